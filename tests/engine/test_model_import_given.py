"""Values a file has only when it runs, given by name by the person importing (``playground import --set
NAME=VALUE``): the importer names what it needs, never guesses it, and says which defaults of the script's options
it assumed."""

from __future__ import annotations

import textwrap

import pytest

from playground.cli import main
from playground.engine.model_import import (
    ModelImportError,
    import_report,
    import_source,
    lab_from_file,
    parse_given,
)
from playground.graph import Lab


def _dense_units(net) -> list[int]:
    return [n.params["units"] for n in net.graph.nodes.values() if n.kind == "Dense"]


def test_given_values_are_read_as_python_reads_them_and_bad_pairs_are_named() -> None:
    assert parse_given(["nz=100", "lr=0.5", "dataset=mnist", "flag=True", "name='a b'"]) == {
        "nz": 100, "lr": 0.5, "dataset": "mnist", "flag": True, "name": "a b"}
    with pytest.raises(ValueError, match="write NAME=VALUE"):
        parse_given(["nz"])
    with pytest.raises(ValueError, match="write NAME=VALUE"):
        parse_given(["2x=3"])


OPTIONS = textwrap.dedent("""\
    import argparse
    import torch.nn as nn
    parser = argparse.ArgumentParser()
    parser.add_argument('--nz', type=int, default=100)
    parser.add_argument('--classes', type=int, required=True)
    opt = parser.parse_args()
    model = nn.Sequential(nn.Linear(opt.nz, 32), nn.ReLU(), nn.Linear(32, opt.classes))
""")


def test_a_required_option_is_asked_for_by_name_and_opens_once_given() -> None:
    report = import_report(OPTIONS, "train.py")
    assert not report.networks
    assert report.asks == {"classes": "the script's option --classes"}
    with pytest.raises(ModelImportError, match=r"--set classes=VALUE \(the script's option --classes\)"):
        import_source(OPTIONS, "train.py")
    report = import_report(OPTIONS, "train.py", {"classes": 10})
    (net,) = report.networks
    assert _dense_units(net) == [32, 10]
    assert report.given == {"classes": 10} and not report.asks


def test_the_defaults_read_are_reported_and_a_given_value_replaces_one() -> None:
    report = import_report(OPTIONS, "train.py", {"classes": 10})
    assert report.assumed == {"nz": "100 (the default of --nz)"}
    report = import_report(OPTIONS, "train.py", {"classes": 10, "nz": 64})
    assert report.assumed == {}
    (net,) = report.networks
    assert net.graph.nodes_of_kind("Input")[0].params["features"] == 64


def test_a_name_the_script_sets_when_it_runs_is_asked_for_and_used_once_given() -> None:
    text = textwrap.dedent("""\
        import gym
        import torch.nn as nn
        env = gym.make('CartPole-v0')
        N_STATES = env.observation_space.shape[0]
        N_ACTIONS = env.action_space.n
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(N_STATES, 50)
                self.out = nn.Linear(50, N_ACTIONS)
            def forward(self, x):
                return self.out(self.fc1(x).relu())
    """)
    report = import_report(text, "dqn.py")
    assert not report.networks
    assert report.asks == {"N_STATES": "set at line 4 from 'env.observation_space.shape[0]'"}
    assert "'env.observation_space.shape[0]' is not known without running the file" in report.refused[0][1]
    (net,) = import_report(text, "dqn.py", {"N_STATES": 4, "N_ACTIONS": 2}).networks
    assert _dense_units(net) == [50, 2]
    assert net.graph.nodes_of_kind("Input")[0].params["features"] == 4


def test_a_branch_on_a_required_option_asks_for_the_option_which_then_decides_it() -> None:
    text = textwrap.dedent("""\
        import argparse
        import torch.nn as nn
        parser = argparse.ArgumentParser()
        parser.add_argument('--dataset', required=True)
        opt = parser.parse_args()
        if opt.dataset == 'mnist':
            nc = 1
        else:
            nc = 3
        model = nn.Sequential(nn.Conv2d(nc, 8, 3), nn.ReLU())
    """)
    report = import_report(text, "gan.py")
    assert report.asks == {"dataset": "the script's option --dataset"}
    (net,) = import_report(text, "gan.py", {"dataset": "mnist"}).networks
    assert net.graph.nodes_of_kind("Input")[0].params["channels"] == 1
    (net,) = import_report(text, "gan.py", {"nc": 3}).networks  # or the name the branch sets, given itself
    assert net.graph.nodes_of_kind("Input")[0].params["channels"] == 3


NET = textwrap.dedent("""\
    import torch.nn as nn
    class Net(nn.Module):
        def __init__(self, n_in, n_out, hidden=16):
            super().__init__()
            self.a = nn.Linear(n_in, hidden)
            self.b = nn.Linear(hidden, n_out)
        def forward(self, x):
            return self.b(self.a(x))
""")


def test_a_class_made_only_elsewhere_is_made_with_its_arguments_given() -> None:
    report = import_report(NET, "model.py")
    assert report.refused == [("net", "model.py, line 2: class Net needs the arguments n_in, n_out, and the file "
                                      "never makes one with values written out (as in Net(n_in, n_out) with "
                                      "constants)")]
    assert report.asks == {"n_in": "an argument of Net", "n_out": "an argument of Net"}
    assert import_report(NET, "model.py", {"n_in": 3}).asks == {"n_out": "an argument of Net"}
    (net,) = import_report(NET, "model.py", {"n_in": 3, "n_out": 2}).networks
    assert net.origin == "Net(n_in=3, n_out=2)"
    assert _dense_units(net) == [16, 2]


SEARCH = textwrap.dedent("""\
    import optuna
    import torch.nn as nn
    class Net(nn.Module):
        def __init__(self, trial: optuna.Trial):
            super().__init__()
            layers = []
            n_in = 4
            for i in range(trial.suggest_int('n_layers', 1, 3)):
                n_out = trial.suggest_int('n_units_l{}'.format(i), 4, 128)
                layers += [nn.Linear(n_in, n_out), nn.Dropout(trial.suggest_float(f'dropout_l{i}', 0.2, 0.5))]
                n_in = n_out
            layers.append(nn.Linear(n_in, 2))
            self.net = nn.Sequential(*layers)
        def forward(self, x):
            return self.net(x)
""")


def test_an_optuna_trial_answers_with_the_parameters_given_under_its_names() -> None:
    report = import_report(SEARCH, "search.py")
    assert not report.networks
    assert report.asks == {"n_layers": "Optuna's choice from 1 to 3"}
    assert report.refused[0][1].startswith("search.py, line 3: class Net needs the arguments trial")
    report = import_report(SEARCH, "search.py", {"n_layers": 2, "n_units_l0": 32})
    # what the trial suggests before the reading stops: the next layers' too
    assert report.asks == {"dropout_l0": "Optuna's choice from 0.2 to 0.5", "n_units_l1": "Optuna's choice from 4 "
                           "to 128", "dropout_l1": "Optuna's choice from 0.2 to 0.5"}
    given = {"n_layers": 2, "n_units_l0": 32, "dropout_l0": 0.2, "n_units_l1": 8, "dropout_l1": 0.3}
    report = import_report(SEARCH, "search.py", given)
    (net,) = report.networks
    assert net.origin == "Net(trial=trial)"
    assert _dense_units(net) == [32, 8, 2]
    assert [n.params["p"] for n in net.graph.nodes.values() if n.kind == "Dropout"] == [0.2, 0.3]
    assert report.given == given


def test_a_weights_init_method_is_initialisation_not_layers() -> None:
    text = NET.replace("self.b = nn.Linear(hidden, n_out)", "self.b = nn.Linear(hidden, n_out)\n"
                       "        self.weights_init()").replace("n_in, n_out, hidden=16", "n_in=3, n_out=2, hidden=16")
    text += textwrap.indent(textwrap.dedent("""\
        def weights_init(self):
            for m in self.modules():
                m.weight.data.normal_(0.0, 0.02)
    """), "    ")
    (net,) = import_source(text, "model.py")
    assert _dense_units(net) == [16, 2]


def test_the_lab_and_the_command_line_say_what_was_given_and_assumed(tmp_path, capsys) -> None:
    (tmp_path / "train.py").write_text(OPTIONS)
    lab = lab_from_file(tmp_path / "train.py", {"classes": 10})
    assert "Given: classes=10." in lab.description
    assert "Assumed the script's defaults (give another value with --set NAME=VALUE): nz=100 (the default of " \
           "--nz)." in lab.description
    out = tmp_path / "train.json"
    assert main(["import", str(tmp_path / "train.py"), "--out", str(out)]) == 2
    assert "--set classes=VALUE" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "train.py"), "--set", "classes=10", "--out", str(out)]) == 0
    assert "nz=100 (the default of --nz)" in capsys.readouterr().out
    assert Lab.load(str(out)).networks[0].graph.nodes_of_kind("Output")
    assert main(["import", str(tmp_path / "train.py"), "--set", "classes", "--out", str(out)]) == 2
    assert "--set 'classes': write NAME=VALUE" in capsys.readouterr().err
