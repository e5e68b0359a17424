"""Loops over time steps with recurrent cells (issue 17): ``for x_t in x.split(1, dim=1)`` feeding nn.LSTMCell,
GRUCell or RNNCell that carry their own state from zeros is the recurrent layer over the sequence; each import is
held against torch's own instantiation of the same code (run by the test only). Anything else in such a loop is
refused with its line."""

from __future__ import annotations

import pytest
import torch

from playground.compile import compile_network
from playground.engine.model_import import ModelImportError, import_source

_LSTM_CELLS = """\
import torch
import torch.nn as nn


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 12)
        self.lstm2 = nn.LSTMCell(12, 8)
        self.linear = nn.Linear(8, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 12)
        c_t = torch.zeros(input.size(0), 12)
        h_t2 = torch.zeros(input.size(0), 8)
        c_t2 = torch.zeros(input.size(0), 8)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
        return torch.cat(outputs, dim=1)
"""

_GRU_CELL = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.GRUCell(input_size=1, hidden_size=6)
        self.out = nn.Linear(6, 3)

    def forward(self, x):
        h = None
        steps = []
        for x_t in torch.split(x, 1, dim=1):
            h = self.cell(x_t, h)
            steps.append(F.relu(self.out(h)))
        return torch.stack(steps, dim=1)
"""

_INDEXED = """\
import torch
import torch.nn as nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(input_size=2, hidden_size=16, batch_first=True)
        self.cell = nn.RNNCell(16, 5, nonlinearity='relu')
        self.out = nn.Linear(5, 1)

    def forward(self, x):
        r_out, _ = self.rnn(x)
        h = torch.zeros(x.size(0), 5)
        outs = []
        for time_step in range(r_out.size(1)):
            h = self.cell(r_out[:, time_step, :], h)
            outs.append(self.out(h))
        return torch.stack(outs, dim=1)
"""

_UNBOUND = """\
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(3, 7)

    def forward(self, x):
        h, c = None, None
        hs = []
        for x_t in x.unbind(1):
            if h is None:
                h, c = self.cell(x_t)
            else:
                h, c = self.cell(x_t, (h, c))
            hs.append(h)
        return torch.stack(hs, dim=1)
"""


def _torch_model(source: str, cls: str) -> torch.nn.Module:
    namespace: dict[str, object] = {}
    exec(compile(source, "model.py", "exec"), namespace)  # the test's own check of what torch builds
    model = namespace[cls]
    assert isinstance(model, type)
    made = model()
    assert isinstance(made, torch.nn.Module)
    return made


@pytest.mark.parametrize(("source", "cls", "kinds"), [
    (_LSTM_CELLS, "Sequence", ["Input", "Reshape", "LSTM", "LSTM", "Dense", "Flatten", "Output"]),
    (_GRU_CELL, "Tagger", ["Input", "Reshape", "GRU", "Dense", "ReLU", "Output"]),
    (_INDEXED, "Regressor", ["Input", "RNN", "RNN", "Dense", "Output"]),
])
def test_a_cell_looped_over_the_time_steps_is_the_recurrent_layer_torch_builds(source: str, cls: str,
                                                                                 kinds: list[str]) -> None:
    (net,) = import_source(source)
    graph = net.graph
    assert [graph.node(n).kind for n in graph.nodes] == kinds
    theirs = _torch_model(source, cls)
    ours = compile_network(graph, net.name).module
    assert sorted(tuple(p.shape) for p in theirs.parameters()) == sorted(tuple(p.shape) for p in ours.parameters())
    x = torch.randn(3, 20) if source != _INDEXED else torch.randn(3, 20, 2)
    with torch.no_grad():
        assert theirs(x).shape == ours(x).shape


def test_the_loop_computes_what_torch_computes_with_the_same_weights() -> None:
    (net,) = import_source(_GRU_CELL)
    theirs = _torch_model(_GRU_CELL, "Tagger")
    ours = compile_network(net.graph, net.name).module
    # The cell's weights are the recurrent layer's of its one layer; the Linear's are the Dense's.
    renamed = {"weight_ih_l0": "cell.weight_ih", "weight_hh_l0": "cell.weight_hh", "bias_ih_l0": "cell.bias_ih",
               "bias_hh_l0": "cell.bias_hh", "weight": "out.weight", "bias": "out.bias"}
    theirs_params = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, param in ours.named_parameters():
            param.copy_(theirs_params[renamed[name.rsplit(".", 1)[-1]]])
        x = torch.randn(4, 20)
        assert torch.allclose(theirs(x), ours(x), atol=1e-5)


@pytest.mark.parametrize(("change", "said"), [
    (("            h = self.cell(x_t, h)\n", "            h2 = self.cell(x_t, h)\n            h = h2\n"),
     "must carry its state from one step to the next"),
    (("        h = None\n", "        h = x\n"), "from a state other than zeros"),
    (("            steps.append(F.relu(self.out(h)))\n", "            steps.append(self.out(h))\n"
      "            steps.append(self.out(h))\n"), "is used twice"),
    (("        return torch.stack(steps, dim=1)\n", "        return torch.tanh(h)\n"), "is the last step of the loop"),
    (("torch.split(x, 1, dim=1)", "torch.split(x, 2, dim=1)"), "as a loop over time steps"),
    (("            h = self.cell(x_t, h)\n", "            h = self.cell(x_t, h)\n            h = self.cell(h, h)\n"),
     "twice in one time step"),
    (("        return torch.stack(steps, dim=1)\n", "        return torch.cat(steps, dim=0)\n"),
     "must join one value per time step along dim=1"),
])
def test_what_is_not_exactly_a_recurrent_layer_is_refused_with_its_line(change: tuple[str, str], said: str) -> None:
    old, new = change
    assert old in _GRU_CELL
    with pytest.raises(ModelImportError, match="line [0-9]+") as e:
        import_source(_GRU_CELL.replace(old, new))
    assert said in e.value.message


def test_a_cell_called_outside_a_loop_over_steps_is_refused() -> None:
    source = _GRU_CELL.replace("        for x_t in torch.split(x, 1, dim=1):\n", "        for x_t in [x]:\n")
    with pytest.raises(ModelImportError, match="outside a loop over the time steps"):
        import_source(source)


def test_a_cell_whose_first_step_is_written_apart_is_refused_not_guessed() -> None:
    with pytest.raises(ModelImportError, match="line 15:.*must carry its state from one step to the next"):
        import_source(_UNBOUND)


def test_a_loop_over_the_unbound_steps_of_a_sequence_is_the_recurrent_layer() -> None:
    source = _UNBOUND.replace("""            if h is None:
                h, c = self.cell(x_t)
            else:
                h, c = self.cell(x_t, (h, c))
""", """            h, c = self.cell(x_t, (h, c))
""").replace("h, c = None, None", "h = c = torch.zeros(x.size(0), 7)")
    (net,) = import_source(source)
    assert [net.graph.node(n).kind for n in net.graph.nodes] == ["Input", "LSTM", "Output"]
    assert net.graph.infer().shapes["x"].dims == (20, 3)
    theirs = _torch_model(source, "Encoder")
    ours = compile_network(net.graph, net.name).module
    assert sorted(tuple(p.shape) for p in theirs.parameters()) == sorted(tuple(p.shape) for p in ours.parameters())


@pytest.mark.parametrize(("change", "said"), [
    (("r_out[:, time_step, :]", "r_out[:, time_step - 1, :]"), "slices a tensor"),
    (("r_out[:, time_step, :]", "x[:, time_step, :]"), "takes a step of another tensor than the loop's"),
    (("r_out[:, time_step, :]", "r_out[time_step]"), "slices a tensor"),
    (("r_out[:, time_step, :]", "r_out[:, time_step, 0]"), "slices a tensor"),
    (("r_out[:, time_step, :]", "r_out[:, time_step, time_step]"), "must take one whole time step"),
])
def test_an_index_that_is_not_exactly_one_step_is_refused(change: tuple[str, str], said: str) -> None:
    old, new = change
    with pytest.raises(ModelImportError, match=said):
        import_source(_INDEXED.replace(old, new))
