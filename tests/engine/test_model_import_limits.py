"""The Python importer's limits: deep, large and malformed files are refused with one line that says where, and the
importer's own work grows linearly with the layers of a file (issue 11)."""

from __future__ import annotations

import pytest

from playground.engine import model_import
from playground.engine.model_import import (
    MAX_BYTES,
    MAX_DEPTH,
    ModelImportError,
    import_source,
)
from playground.engine.model_importing import limits


def _refused(text: str) -> str:
    with pytest.raises(ModelImportError) as caught:
        import_source(text, "deep.py")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("terms", [330, 3000, 100_000])
def test_a_deeply_nested_expression_is_refused_with_its_line(terms):
    # 330 terms crashed the importer's own readers with RecursionError; from a few thousand Python's parser fails.
    text = "import torch.nn as nn\n\nm = nn.Sequential(nn.Linear(" + "+".join(["1"] * terms) + ", 2))\n"
    message = _refused(text)
    assert message.startswith("deep.py, line 3: an expression nested")
    assert f"at most {MAX_DEPTH} levels deep" in message


def test_too_many_brackets_name_the_parsers_message_and_line():
    message = _refused("import torch.nn as nn\nx = 1\nm = " + "(" * 1000 + "1" + ")" * 1000 + "\n")
    assert message == "deep.py, line 3: not valid Python (too many nested parentheses)"


def test_an_expression_just_inside_the_depth_bound_still_imports():
    # A 40-term sum nests 40 levels (plus the call around it): well inside the bound, and it must still work.
    text = "import torch.nn as nn\nm = nn.Sequential(nn.Linear(" + "+".join(["1"] * 40) + ", 2))\n"
    (net,) = import_source(text, "ok.py")
    assert net.graph.node("input_1").params["features"] == 40


def test_a_nul_byte_is_refused_with_its_line_and_column():
    message = _refused("import torch.nn as nn\nm = nn.Seq\x00uential(nn.Linear(2, 2))\n")
    assert message == "deep.py, line 2: not valid Python (a NUL byte at column 11)"


def test_keyword_unpacking_is_named_as_written():
    message = _refused("import json\nimport torch.nn as nn\nkw = json.load(open('layer.json'))\n"
                       "m = nn.Sequential(\n    nn.Linear(**kw))\n")
    assert message.startswith("deep.py, line 5: Linear is called with '**kw': write its arguments out")
    assert "None" not in message


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed():
    text = "import torch.nn as nn\n" + "#" * MAX_BYTES + "\nm = nn.Sequential(nn.Linear(2, 2))\n"
    message = _refused(text)
    assert message == f"deep.py is {len(text):,} bytes: the importer reads model files of at most {MAX_BYTES:,} bytes"


def test_a_network_over_the_layer_limit_is_refused_with_the_line_of_the_first_layer_too_many(monkeypatch):
    monkeypatch.setattr(limits, "MAX_LAYERS", 5)
    text = "import torch.nn as nn\nm = nn.Sequential(\n" + "".join("    nn.Linear(4, 4),\n" for _ in range(6)) + ")\n"
    assert _refused(text) == ("deep.py, line 8: the network has more than 5 layers: the importer opens networks of "
                              "at most 5")
    monkeypatch.setattr(limits, "MAX_LAYERS", 6)
    (net,) = import_source(text, "ok.py")
    assert len(net.graph.nodes) == 8


class _CountingSet(set):
    probes = 0

    def __contains__(self, item):
        _CountingSet.probes += 1
        return super().__contains__(item)


@pytest.mark.parametrize("layers", [200, 800])
def test_naming_the_layers_of_a_long_sequential_takes_linear_work(monkeypatch, layers):
    # Each new name used to be found by trying dense_1, dense_2, ... again: 20,000 layers took 80 seconds.
    original = model_import._Builder.__init__

    def counting(self, reader):
        original(self, reader)
        self.names = _CountingSet()

    monkeypatch.setattr(model_import._Builder, "__init__", counting)
    _CountingSet.probes = 0
    text = "import torch.nn as nn\nm = nn.Sequential(\n" + "".join("    nn.Linear(4, 4),\n" for _ in range(layers))
    import_source(text + ")\n", "long.py")
    assert _CountingSet.probes <= 4 * layers


def test_layers_of_a_sequential_held_by_a_class_get_distinct_names():
    # PyTorch's FashionMNIST tutorial: "A node named 'dense_1' already exists".
    (net,) = import_source(
        "import torch.nn as nn\n"
        "class NeuralNetwork(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.stack = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "    def forward(self, x):\n"
        "        return self.stack(x)\n", "tutorial.py")
    assert [n.kind for n in net.graph.nodes.values()] == ["Input", "Dense", "ReLU", "Dense", "Output"]
    assert len(set(net.graph.nodes)) == 5


class _CountingEdges(list):
    visited = 0

    def __iter__(self):
        _CountingEdges.visited += len(self)
        return super().__iter__()


@pytest.mark.parametrize("layers", [200, 800])
def test_building_the_graph_of_a_long_sequential_visits_each_edge_a_bounded_number_of_times(monkeypatch, layers):
    # Connecting, ordering and inferring scanned every edge for each node: quadratic in the layers of the file.
    from playground.graph import Graph

    original = Graph.__init__

    def counting(self):
        original(self)
        self._edges = _CountingEdges()

    monkeypatch.setattr(Graph, "__init__", counting)
    _CountingEdges.visited = 0
    text = "import torch.nn as nn\nm = nn.Sequential(\n" + "".join("    nn.Linear(4, 4),\n" for _ in range(layers))
    import_source(text + ")\n", "long.py")
    assert _CountingEdges.visited <= 10 * layers


@pytest.mark.slow
def test_nested_loops_and_growing_lists_in_a_model_stop_at_a_budget_with_their_line():
    # Each loop alone is within the unrolling limit; together they would run 10^8 steps.
    looping = ("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
               "        n = 0\n        for i in range(10000):\n            for j in range(10000):\n"
               "                n = n + 1\n        self.fc = nn.Linear(2, 2)\n    def forward(self, x):\n"
               "        return self.fc(x)\n")
    message = _refused(looping)
    assert message.startswith("deep.py, line ") and "steps to build its models" in message
    doubling = ("import torch.nn as nn\nsizes = [1]\nfor _ in range(40):\n    pass\n"
                "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        s = [1]\n"
                "        for _ in range(40):\n            s = s + s\n        self.fc = nn.Linear(len(s), 2)\n"
                "    def forward(self, x):\n        return self.fc(x)\n")
    assert _refused(doubling) == ("deep.py, line 10: 's + s' builds a list of 131,072 entries: the importer reads "
                                  "lists of at most 100,000")
