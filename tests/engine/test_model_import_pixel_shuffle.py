"""PixelShuffle (sub-pixel convolution, the super-resolution example of pytorch/examples; issue 17) as a layer of the
editor: its shape rule, and a hand-written super-resolution network imported from Python code and from torch's
ONNX export (DepthToSpace, mode CRD), each held against torch with the same weights."""

from __future__ import annotations

import textwrap

import onnx
import pytest
import torch
from test_onnx_import import _imported_net, _randomize, _torch_onnx, _worst_difference
from torch import nn

from playground.compile import compile_network
from playground.engine.model_import import import_source
from playground.engine.onnx_import import OnnxImportError, import_onnx_bytes
from playground.graph import Graph, ShapeError

SUPER_RESOLUTION = textwrap.dedent('''
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Net(nn.Module):
        def __init__(self, upscale_factor=3):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 5, 1, 2)
            self.conv2 = nn.Conv2d(16, upscale_factor ** 2, 3, 1, 1)
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self.conv3 = nn.Conv2d(1, 4, 3, 1, 1)

        def forward(self, x):
            x = self.pixel_shuffle(self.conv2(torch.relu(self.conv1(x))))
            return F.pixel_shuffle(self.conv3(x), 2)

    model = Net()
''')


def test_the_shape_rule_moves_channels_into_pixels_and_names_a_factor_that_does_not_divide_them():
    g = Graph()
    g.add_node("Input", "x", {"kind": "image", "channels": 18, "height": 5, "width": 7})
    g.add_node("PixelShuffle", "shuffle", {"factor": 3})
    g.connect("x", "shuffle")
    assert g.infer().shapes["shuffle"].dims == (2, 15, 21)
    assert tuple(nn.PixelShuffle(3)(torch.zeros(1, 18, 5, 7)).shape[1:]) == (2, 15, 21)
    g.set_param("shuffle", "factor", 2)
    problem = g.infer().problem_for("shuffle")
    assert isinstance(problem, ShapeError) and problem.field == "factor"
    assert "18 is not a multiple of 4: choose a factor of 3" in str(problem)


def test_a_super_resolution_network_in_python_opens_with_pixel_shuffles_and_computes_as_torch():
    (net,) = import_source(SUPER_RESOLUTION, "super_resolution.py")
    shuffles = net.graph.nodes_of_kind("PixelShuffle")
    assert [n.params["factor"] for n in shuffles] == [3, 2]
    namespace: dict = {}
    exec(compile(SUPER_RESOLUTION, "super_resolution.py", "exec"), namespace)  # the test's own reference
    model = namespace["model"].eval()
    ours = compile_network(net.graph, net.name).module.eval()
    assert [p.shape for p in ours.parameters()] == [p.shape for p in model.parameters()]
    with torch.no_grad():
        for mine, theirs in zip(ours.parameters(), model.parameters()):
            mine.copy_(theirs)
        x = torch.randn(2, *net.graph.infer().shapes[net.graph.nodes_of_kind("Input")[0].name].dims)
        assert torch.allclose(ours(x), model(x), atol=1e-6)


@pytest.mark.parametrize("dynamo", [False, pytest.param(True, marks=pytest.mark.slow)])  # dynamo: ~11 s
def test_torch_onnx_export_of_pixel_shuffle_opens_as_pixel_shuffle(dynamo):
    namespace: dict = {}
    exec(compile(SUPER_RESOLUTION, "super_resolution.py", "exec"), namespace)
    module = _randomize(namespace["model"])
    x = torch.randn(2, 1, 6, 5)
    data = _torch_onnx(module, x, dynamo=dynamo)
    assert "DepthToSpace" in {n.op_type for n in onnx.load_from_string(data).graph.node}
    result = import_onnx_bytes(data, "super_resolution.onnx")
    graph = result.lab.networks[0].graph
    assert [n.params["factor"] for n in graph.nodes_of_kind("PixelShuffle")] == [3, 2]
    assert _worst_difference(data, result, {"x": x}) <= 1e-5
    with torch.no_grad():
        assert float((_imported_net(result)(x) - module(x)).abs().max()) <= 1e-5


def test_depth_to_space_in_tensorflows_order_is_refused_by_name():
    data = _torch_onnx(_randomize(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.PixelShuffle(2))),
                       torch.randn(2, 1, 4, 4), dynamo=False)
    model = onnx.load_from_string(data)
    for node in model.graph.node:
        if node.op_type == "DepthToSpace":
            for a in node.attribute:
                if a.name == "mode":
                    a.s = b"DCR"
    with pytest.raises(OnnxImportError, match="mode 'DCR'.*PixelShuffle is torch's, mode 'CRD'"):
        import_onnx_bytes(model.SerializeToString(), "tf.onnx")
