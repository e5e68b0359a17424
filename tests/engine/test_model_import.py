"""Opening Python models in the editor: the app's own exports round-trip; plain nn.Sequential models open; nothing
in the file ever runs; what cannot be drawn is refused with its line."""

from __future__ import annotations

import textwrap

import pytest
import torch
from safetensors.torch import load_file
from test_export import zoo_lab

from playground.compile import compile_network
from playground.engine.export import (
    ExportSource,
    example_inputs,
    export_source,
    run_torch,
)
from playground.engine.model_import import (
    ModelImportError,
    import_file,
    import_source,
    lab_from_file,
)
from playground.graph.templates import TEMPLATES


def _signature(graph):
    nodes = {}
    for n in graph.nodes.values():
        params = dict(n.params)
        if n.kind == "Reshape":  # the export writes the shape with -1 worked out
            params["shape"] = graph.infer().shapes[n.name].to_list()
        nodes[n.name] = (n.kind, params)
    return nodes, sorted((e.source, e.target, e.port) for e in graph.edges)


@pytest.mark.parametrize("key", [*TEMPLATES, "every_layer"])
def test_the_apps_own_exports_open_as_the_same_graph_and_weights(key, tmp_path):
    lab = zoo_lab() if key == "every_layer" else TEMPLATES[key].build()
    results = export_source(ExportSource(lab), "py", tmp_path)
    for net, result in zip(lab.networks, results):
        (imported,) = import_file(result.paths[0])
        assert imported.name == net.name
        assert _signature(imported.graph) == _signature(net.graph)
        # The weights written beside the code fit the imported graph and give the same outputs.
        original = compile_network(net.graph, net.name)
        original.module.load_state_dict(load_file(str(result.paths[1])))
        reopened = compile_network(imported.graph, net.name)
        reopened.module.load_state_dict(load_file(str(result.paths[1])))
        original.module.eval()
        reopened.module.eval()
        x = example_inputs(original, 3)
        for a, b in zip(run_torch(original, x), run_torch(reopened, x)):
            assert torch.equal(a, b)


def _one(text: str):
    (net,) = import_source(textwrap.dedent(text), "course.py")
    return net


def _nodes(net):
    return [(n.kind, {k: v for k, v in n.params.items()}) for n in net.graph.nodes.values()]


def test_an_mlp_on_flattened_digits_opens_with_a_28x28_input():
    net = _one("""
        import torch.nn as nn
        HIDDEN = 128
        model = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, HIDDEN),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(HIDDEN, 10),
        )
    """)
    g = net.graph
    assert net.name == "model" and not g.problems()
    inp = g.node("input_1").params
    assert (inp["kind"], inp["channels"], inp["height"], inp["width"]) == ("image", 1, 28, 28)
    assert [n.kind for n in g.nodes.values()] == ["Input", "Flatten", "Dense", "ReLU", "Dropout", "Dense", "Output"]
    assert g.node("dense_1").params["units"] == 128 and g.node("dropout_1").params["p"] == 0.2
    assert g.node("output_1").params["head"] == "classification"


def test_a_cnn_finds_the_image_size_its_dense_layer_needs():
    net = _one("""
        from torch import nn
        cnn = nn.Sequential(nn.Conv2d(3, 16, kernel_size=(3, 3), padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(16, 32, 3, padding="same"), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2, 2),
                            nn.Flatten(), nn.Linear(32 * 8 * 8, 10))
    """)
    inp = net.graph.node("input_1").params
    assert (inp["channels"], inp["height"], inp["width"]) == (3, 32, 32)
    assert net.graph.node("conv_2").params["padding"] == 1
    assert net.name == "cnn" and not net.graph.problems()


def test_ordered_dict_names_become_node_names_and_one_output_is_a_regression():
    net = _one("""
        from collections import OrderedDict
        import torch
        net = torch.nn.Sequential(OrderedDict([("fc1", torch.nn.Linear(2, 8)), ("act", torch.nn.Tanh()),
                                               ("out", torch.nn.Linear(8, 1))]))
    """)
    assert list(net.graph.nodes) == ["input_1", "fc1", "act", "out", "output_1"]
    assert net.graph.node("output_1").params["head"] == "regression"


def test_a_module_class_with_functional_calls_opens():
    net = _one('''
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class ResidualNet(nn.Module):
            """Two branches joined, then a skip connection."""

            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3, padding=1)
                self.pool = nn.MaxPool2d(2)
                self.fc1 = nn.Linear(4 * 14 * 14, 32)
                self.fc2 = nn.Linear(32, 32)
                self.head = nn.Sequential(nn.Linear(64, 10), nn.Softmax(dim=-1))

            def forward(self, x):
                x = self.pool(F.relu(self.conv(x)))
                x = x.view(x.size(0), -1)
                h = torch.tanh(self.fc1(x))
                y = self.fc2(h) + h
                return self.head(torch.cat((y, h), dim=1))
    ''')
    g = net.graph
    assert net.name == "residual_net" and not g.problems()
    inp = g.node("x").params
    assert (inp["kind"], inp["channels"], inp["height"], inp["width"]) == ("image", 1, 28, 28)
    kinds = sorted(n.kind for n in g.nodes.values())
    assert kinds == sorted(["Input", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Dense", "Tanh", "Dense", "Add",
                            "Concat", "Dense", "Softmax", "Output"])
    assert g.incoming("add_1") == {"a": "fc2", "b": "tanh_1"}


def test_nothing_in_the_file_runs(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(f"""
        import pathlib
        pathlib.Path({str(marker)!r}).touch()
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    """))
    (net,) = import_file(path)
    assert not marker.exists() and [n.kind for n in net.graph.nodes.values()][1] == "Dense"
    path.write_text(f"import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(len(open({str(path)!r}).read()), 3))\n")
    with pytest.raises(ModelImportError,
                       match=r"model.py, line 2: \"len\(open.* is not known without running the file"):
        import_file(path)


@pytest.mark.parametrize("text, message", [
    ("import torch.nn as nn\nm = nn.Sequential(\n    nn.Linear(2, 4),\n    nn.Conv3d(4, 4, 3))\n",
     "course.py, line 4: nn.Conv3d is not a layer the editor knows"),
    ("import torch.nn as nn\nm = nn.Sequential(\n    nn.Linear(2, 4),\n    nn.Linear(5, 1))\n",
     "course.py, line 4: Dense 'dense_2' expects 5 input features but receives a vector of 4"),
    ("import torch.nn as nn\nm = nn.Sequential(nn.Linear(2, 4),\n  nn.LSTM(4, 8))\n",
     "course.py, line 3: nn.LSTM returns (output, state)"),
    ("import torch.nn as nn\nm = nn.Sequential(nn.Conv2d(1, 4, 3, dilation=2))\n",
     "course.py, line 2: Conv2d with dilation=2 cannot be drawn"),
    ("import torch.nn as nn\nm = nn.Sequential(nn.Linear(2, 4)\n", "course.py, line 2: not valid Python"),
    ("x = 1\n", "holds no model the editor can open"),
    (("import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
      "        self.f = nn.Linear(2, 2)\n    def forward(self, x):\n        x = self.f(x)\n        x = self.f(x)\n"
      "        return x\n"), "course.py, line 8: self.f is used twice"),
    (("import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
      "        self.f = nn.Linear(2, 2)\n    def forward(self, x):\n        for _ in range(3):\n"
      "            x = self.f(x)\n        return x\n"),
     "course.py, line 8: self.f is used twice: its weights are shared"),
])
def test_what_cannot_be_drawn_is_refused_with_its_line(text, message):
    with pytest.raises(ModelImportError) as caught:
        import_source(text, "course.py")
    assert message in str(caught.value)


def test_an_imported_digit_classifier_becomes_a_lab_that_checks(tmp_path):
    path = tmp_path / "mnist_mlp.py"
    path.write_text("import torch.nn as nn\nmodel = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), "
                    "nn.Linear(64, 10))\n")
    lab = lab_from_file(path)
    lab.check()
    assert lab.name == "mnist mlp" and lab.dataset.name == "digits" and lab.networks[0].role == "model"


def test_a_course_lstm_with_the_last_step_opens_as_an_lstm_layer():
    net = _one("""
        import torch.nn as nn

        class SineForecaster(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(1, 32, num_layers=2, batch_first=True)
                self.fc = nn.Linear(32, 1)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.fc(out[:, -1, :])
    """)
    g = net.graph
    assert not g.problems()
    assert g.node("lstm").params == {"hidden": 32, "layers": 2, "bidirectional": False, "output": "last"}
    assert g.node("x").params["kind"] == "sequence" and g.node("x").params["features"] == 1
    assert g.node("output_1").params["head"] == "regression"
    with pytest.raises(ModelImportError, match="line 7: nn.GRU must read batch-first sequences"):
        import_source("import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.fc = nn.Linear(4, 1)\n"
                      "        self.rnn = nn.GRU(4, 4)\n"
                      "        self.rnn = nn.GRU(4, 4)\n    def forward(self, x):\n        out, h = self.rnn(x)\n"
                      "        return self.fc(h)\n", "course.py")
