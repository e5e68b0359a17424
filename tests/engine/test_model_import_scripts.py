"""Training scripts as they are written (issue 17): sizes from argparse options with defaults, a branch on the
device beside a known setting, a try block around the data, GroupNorm. Each imported network is held against
torch's own instantiation of the same code (run by the test only)."""

from __future__ import annotations

import argparse
import re
import textwrap

import pytest
import torch

from playground.compile import compile_network
from playground.engine.model_import import ModelImportError, import_report, import_source

_SCRIPT = """\
import argparse
import torch
import torch.nn as nn

parser = argparse.ArgumentParser(description='a GAN', formatter_class=argparse.ArgumentDefaultsHelpFormatter)
parser.add_argument('--dataroot', required=True, help='path to dataset')
parser.add_argument('--nz', type=int, default=16, help='size of the latent z vector')
parser.add_argument('--ngf', type=int, default='8')
parser.add_argument('--hidden-size', dest='hidden', type=int, default=12)
parser.add_argument('--ngpu', type=int, default=1)
parser.add_argument('--wide', action='store_true')
parser.add_argument('--channels', type=int)
opt = parser.parse_args()
nz, ngf = int(opt.nz), int(opt.ngf)
try:
    dataset = load(opt.dataroot)
    nc = 3
except ValueError:
    print('no data')


class Generator(nn.Module):
    def __init__(self, ngpu):
        super().__init__()
        self.ngpu = ngpu
        width = ngf * 2 if opt.wide else ngf
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, width, 4, 1, 0, bias=False),
            nn.GroupNorm(min(4, width), width),
            nn.ReLU(True),
            nn.ConvTranspose2d(width, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            return nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        return self.main(input)


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(opt.hidden, 2)

    def forward(self, x):
        return self.fc(x)


netG = Generator(opt.ngpu)
head = Head()
"""


def _torch(text: str, origin: str) -> torch.nn.Module:
    """Torch's own model: the script run with its options at their defaults and its data loading left out."""

    class Defaults(argparse.ArgumentParser):
        def parse_args(self, args=None, namespace=None):  # argparse's own signature
            return argparse.Namespace(**{a.dest: a.default for a in self._actions if a.dest != "help"})

    scope: dict = {"load": lambda _root: None, "Defaults": Defaults}
    exec(compile(text.replace("argparse.ArgumentParser(", "Defaults("), "script.py", "exec"), scope)
    return eval(origin, scope)


def test_a_scripts_options_size_the_layers_with_the_defaults_the_file_writes() -> None:
    report = import_report(_SCRIPT, "dcgan.py")
    assert not report.refused
    nets = {n.name: n for n in report.networks}
    for name in ("netG", "head"):
        net = nets[name]
        model = _torch(_SCRIPT, net.origin).eval()
        ours = compile_network(net.graph, net.name).module.eval()
        assert sorted(tuple(p.shape) for p in model.parameters()) == \
            sorted(tuple(p.shape) for p in ours.parameters())
        dims = net.graph.infer().shapes[net.graph.nodes_of_kind("Input")[0].name].dims
        x = torch.randn(2, *dims)
        with torch.no_grad():
            assert model(x).shape == ours(x).shape
    generator = nets["netG"].graph
    assert [n.kind for n in generator.nodes.values()] == ["Input", "ConvTranspose2d", "GroupNorm", "ReLU",
                                                          "ConvTranspose2d", "Tanh", "Output"]
    norm = generator.nodes_of_kind("GroupNorm")[0]
    assert norm.params == {"groups": 4, "affine": True}
    # the string default '8' becomes 8 through type=int, as argparse does; the flag --wide is off by default
    assert generator.infer().shapes[norm.name].dims[0] == 8
    assert generator.infer().shapes[generator.nodes_of_kind("Input")[0].name].dims[0] == 16


@pytest.mark.parametrize(("use", "message"), [
    ("opt.dataroot", r"dcgan.py, line 44: 'opt.dataroot' is a required command-line option \(--dataroot\), known "
                     r"only when the script runs, so it cannot be used as the in_features of Linear"),
    ("opt.channels", r"dcgan.py, line 44: 'opt.channels' is a command-line option without a default \(--channels\)"),
])
def test_an_option_without_a_default_is_refused_where_a_layer_needs_it(use: str, message: str) -> None:
    report = import_report(_SCRIPT.replace("nn.Linear(opt.hidden, 2)", f"nn.Linear({use}, 2)"), "dcgan.py")
    assert [n.name for n in report.networks] == ["netG"]
    ((name, why),) = report.refused
    assert name == "head" and re.match(message, why), why


def test_a_branch_on_the_device_is_decided_by_a_known_setting_beside_it() -> None:
    text = textwrap.dedent("""\
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self, ngpu=2):
                super().__init__()
                self.ngpu = ngpu
                self.a = nn.Linear(2, 2)
            def forward(self, x):
                if x.is_cuda or self.ngpu > 1:
                    return self.a(x)
                return x
    """)
    # 'x.is_cuda or ngpu > 1' is true whatever the device: the branch is known
    (net,) = import_source(text, "model.py")
    assert [n.kind for n in net.graph.nodes.values()] == ["Input", "Dense", "Output"]
    # 'x.is_cuda and ngpu > 1' with ngpu 2 depends on the device: refused with its line
    with pytest.raises(ModelImportError, match=r"line 8: 'if x.is_cuda and self.ngpu > 1' depends on what is "
                                               r"known only when the model runs"):
        import_source(text.replace("x.is_cuda or", "x.is_cuda and"), "model.py")


def test_a_factory_that_assigns_its_settings_first_makes_a_network() -> None:
    # kuangliu/pytorch-cifar's RegNet: def RegNetX_200MF(): cfg = {...}; return RegNet(cfg)
    text = textwrap.dedent("""\
        import torch.nn as nn
        class Net(nn.Module):
            def __init__(self, cfg):
                super().__init__()
                layers, width = [], 1
                for w in cfg['widths']:
                    layers += [nn.Conv2d(width, w, 3, padding=1), nn.ReLU()]
                    width = w
                self.features = nn.Sequential(*layers)
            def forward(self, x):
                return self.features(x)
        def Small():
            cfg = {'widths': [4, 8]}
            return Net(cfg)
        def Large():
            cfg = {'widths': [4, 8, 16]}
            return Net(cfg)
    """)
    nets = {n.name: n for n in import_source(text, "model.py")}
    assert {k: [n.kind for n in v.graph.nodes.values()].count("Conv2d") for k, v in nets.items()} == \
        {"small": 2, "large": 3}


def test_a_network_held_by_a_plain_class_is_still_a_network() -> None:
    # MorvanZhou's DQN: class DQN(object) holds an eval and a target Net
    text = textwrap.dedent("""\
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(4, 10)
                self.out = nn.Linear(10, 2)
            def forward(self, x):
                return self.out(F.relu(self.fc1(x)))
        class DQN(object):
            def __init__(self):
                self.eval_net, self.target_net = Net(), Net()
    """)
    report = import_report(text, "dqn.py")
    assert [n.name for n in report.networks] == ["net"]


def test_a_function_that_returns_a_sequential_is_a_network_and_one_that_needs_a_trial_is_named() -> None:
    text = textwrap.dedent("""\
        import torch.nn as nn
        def get_model():
            layers = [nn.Linear(4, 8), nn.ReLU()]
            layers.append(nn.Linear(8, 3))
            return nn.Sequential(*layers)
        def moved(model):
            return model.to('cpu')
    """)
    (net,) = import_source(text, "model.py")
    assert net.origin == "get_model()"
    assert [n.kind for n in net.graph.nodes.values()] == ["Input", "Dense", "ReLU", "Dense", "Output"]
    # Optuna's define_model(trial): the sizes are the search's, known only when it runs
    searched = text.replace("def get_model():", "def define_model(trial):") \
        .replace("nn.Linear(4, 8)", "nn.Linear(4, trial.suggest_int('units', 4, 128))")
    report = import_report(searched, "optuna.py")
    assert not report.networks
    assert report.refused == [("define_model", "optuna.py, line 2: define_model() builds an nn.Sequential from the "
                                               "arguments trial, and the file never calls it with values written out")]


def test_a_module_level_branch_is_followed_when_known_and_names_what_it_sets_when_not() -> None:
    text = textwrap.dedent("""\
        import argparse
        import torch.nn as nn
        parser = argparse.ArgumentParser()
        parser.add_argument('--dataset', required=True)
        parser.add_argument('--wide', action='store_true')
        opt = parser.parse_args()
        hidden = 8
        if opt.wide:
            hidden = 64
        if opt.dataset == 'mnist':
            nc = 1
        elif opt.dataset == 'cifar10':
            nc = 3
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, hidden)
                self.conv = nn.Conv2d(nc, 4, 3)
            def forward(self, x):
                return self.conv(x)
        class Mlp(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, hidden)
            def forward(self, x):
                return self.fc(x)
    """)
    report = import_report(text, "train.py")
    # --wide is off unless given: the MLP has its 8 hidden units
    (mlp,) = report.networks
    assert mlp.graph.infer().shapes[mlp.graph.nodes_of_kind("Dense")[0].name].dims == (8,)
    # which dataset is known only when the script runs: nc is refused where the convolution needs it, at the if
    assert report.refused == [("net", "train.py, line 10: 'nc' is set under 'if opt.dataset == 'mnist'', which is "
                                      "known only when the script runs, so it cannot be used as the in_channels of "
                                      "Conv2d: write the value out (or give what the branch reads a default)")]
    # a value assigned before an undecided branch that may change it is not kept
    changed = text.replace("if opt.wide:", "if opt.dataset == 'big':")
    assert not import_report(changed, "train.py").networks


def test_a_class_that_changes_a_torch_layer_is_refused_as_such() -> None:
    # pytorch/examples' forward-forward: class Layer(nn.Linear) with its own forward
    text = textwrap.dedent("""\
        import torch
        import torch.nn as nn
        class Layer(nn.Linear):
            def forward(self, x):
                return torch.relu(x / x.norm(2, 1, keepdim=True) @ self.weight.T)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = Layer(4, 3)
            def forward(self, x):
                return self.a(x)
    """)
    with pytest.raises(ModelImportError, match=r"line 9: class Layer derives from nn.Linear with a forward of its "
                                               r"own: the editor's layers compute only what torch's do"):
        import_source(text, "model.py")
