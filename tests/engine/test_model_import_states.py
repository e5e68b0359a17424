"""A recurrent state passed into forward and returned (``def forward(self, x, hidden): out, hidden =
self.rnn(x, hidden); return self.fc(out), hidden``, issue 17): imported with the state taken as zeros, as torch takes
``hidden=None``, and the returned state dropped; the report says so. A state used any other way is refused with its
name. Each imported network is held against torch's own module from the same code, with the same weights."""

from __future__ import annotations

import textwrap

import pytest
import torch

from playground.compile import compile_network
from playground.engine.model_import import import_report, import_source
from playground.engine.model_importing.lab import report_notes

HEAD = "import torch\nimport torch.nn as nn\n"

RNN_REGRESSOR = HEAD + '''
class RNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(input_size=1, hidden_size=16, num_layers=1, batch_first=True)
        self.out = nn.Linear(16, 1)

    def forward(self, x, h_state):
        r_out, h_state = self.rnn(x, h_state)
        return self.out(r_out), h_state

rnn = RNN()
'''

LSTM_LANGUAGE_MODEL = HEAD + '''
class RNNLM(nn.Module):
    def __init__(self, vocab_size=50, embed_size=8, hidden_size=12, num_layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h):
        x = self.embed(x)
        out, (h, c) = self.lstm(x, h)
        return self.linear(out), (h, c)

model = RNNLM()
'''

GRU_TWO_STATES_IN = HEAD + '''
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 6, batch_first=True)
        self.lstm = nn.LSTM(6, 5, batch_first=True)
        self.fc = nn.Linear(5, 3)

    def forward(self, x, hidden, state):
        out, hidden = self.gru(x, hidden)
        out, state = self.lstm(out, state)
        return torch.log_softmax(self.fc(out), dim=-1), hidden, state

tagger = Tagger()
'''


def _with_torch_weights(text: str):
    """The one imported network, torch's module from the same code, and ours with torch's weights copied in."""
    (net,) = import_source(text, "model.py")
    namespace: dict = {}
    exec(compile(text, "model.py", "exec"), namespace)  # the test's own reference
    torch.manual_seed(0)
    model = eval(net.origin, namespace).eval()
    ours = compile_network(net.graph, net.name).module.eval()
    theirs_params, ours_params = list(model.parameters()), list(ours.parameters())
    assert [p.shape for p in theirs_params] == [p.shape for p in ours_params]
    with torch.no_grad():
        for mine, theirs in zip(ours_params, theirs_params):
            mine.copy_(theirs)
    return net, model, ours


@pytest.mark.parametrize(("text", "states", "x"), [
    (RNN_REGRESSOR, ["h_state"], torch.randn(3, 7, 1)),
    (LSTM_LANGUAGE_MODEL, ["h"], torch.randint(0, 50, (3, 9))),
])
def test_a_state_passed_in_and_returned_is_zeros_in_and_dropped_out(text, states, x):
    net, model, ours = _with_torch_weights(text)
    assert net.states == states and net.dropped_outputs == [1]
    assert [n.kind for n in net.graph.nodes_of_kind("Input")] == ["Input"]  # the state is no input of the lab
    with torch.no_grad():
        expected, _state = model(x, None)
        assert torch.allclose(ours(x), expected, atol=1e-6)


def test_two_states_in_and_out_of_two_recurrent_layers():
    net, model, ours = _with_torch_weights(GRU_TWO_STATES_IN)
    assert net.states == ["hidden", "state"] and net.dropped_outputs == [1, 2]
    x = torch.randn(2, 5, 4)
    with torch.no_grad():
        expected = model(x, None, None)[0]
        # the classification head applies the log-softmax forward ends with
        assert net.graph.nodes_of_kind("Output")[0].params["head"] == "classification"
        assert torch.allclose(torch.log_softmax(ours(x), dim=-1), expected, atol=1e-6)


def test_the_report_says_in_one_line_what_becomes_of_the_state():
    report = import_report(RNN_REGRESSOR, "rnn.py")
    assert ("forward's `h_state` is taken as a zero initial state on each sequence; the state it returns is not an "
            "output of the lab.") in report_notes(report)
    plain = import_report(HEAD + "m = nn.Sequential(nn.Linear(2, 3))\n", "m.py")
    assert not any("initial state" in note for note in report_notes(plain))


def _forward(body: str, extra: str = "") -> str:
    return HEAD + textwrap.dedent(f'''
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(3, 8, batch_first=True)
                self.rnn2 = nn.GRU(8, 8, batch_first=True)
                self.fc = nn.Linear(8, 2){extra}

            def forward(self, x, hidden):
                out, h = self.rnn(x, hidden)
        ''') + textwrap.indent(textwrap.dedent(body), " " * 8) + "\nm = M()\n"


@pytest.mark.parametrize(("body", "named"), [
    ("return self.fc(hidden), h", "forward's `hidden` is a recurrent state and cannot be used as a layer's input"),
    ("return self.fc(out), hidden", "forward's `hidden` is a recurrent state and cannot be used as an output"),
    ("return self.fc(out + hidden), h", "'out + hidden'"),
    ("out, h2 = self.rnn2(out, h)\nreturn self.fc(out), h2", "'self.rnn2(out, h)' passes a starting state"),
    ("return self.fc(torch.cat([out, h], dim=2)), h", "the state 'self.rnn(x, hidden)' returns cannot be used"),
    ("return self.fc(h[-1]), h", "'h[-1]'"),
])
def test_a_state_used_any_other_way_is_refused_by_name(body, named):
    text = _forward(body)
    report = import_report(text, "m.py")
    assert not report.networks
    ((_name, why),) = report.refused
    assert named in why, why


def test_a_state_into_a_starting_state_other_than_forwards_is_refused_as_before():
    text = HEAD + textwrap.dedent('''
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.GRU(3, 8, batch_first=True)

            def forward(self, x, hidden):
                out, hidden = self.rnn(x, hidden * 2)
                return out, hidden

        m = M()
    ''')
    ((_name, why),) = import_report(text, "m.py").refused
    assert "'hidden * 2'" in why
