"""compile_network: templates, readable code, parameter counts, capture, several inputs and outputs."""

from __future__ import annotations

import pytest
import torch
from torch import fx, nn

from playground.compile import CompiledNetwork, build_layer, capture, compile_network
from playground.graph import Graph, GraphError, MissingInputError, Shape, ShapeError
from playground.graph.graph import RESERVED_NAMES
from playground.graph.templates import TEMPLATES


def batch(shape: Shape, n: int = 3) -> torch.Tensor:
    if shape.is_tokens:
        return torch.randint(0, 2, (n, *shape.dims))
    return torch.randn(n, *shape.dims)


def run(net: CompiledNetwork, n: int = 3) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        out = net.module(*[batch(net.input_shapes[i], n) for i in net.inputs])
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_compiles_runs_and_counts_parameters(key: str) -> None:
    lab = TEMPLATES[key].build()
    for network in lab.networks:
        graph = network.graph
        inference = graph.check()
        net = compile_network(graph, network.name)
        assert isinstance(net.module, fx.GraphModule)
        assert net.name == network.name
        assert net.parameter_count == inference.total_params
        layers = [n for n in graph.topological_order() if graph.node(n).kind not in ("Input", "Output")]
        for name in layers:
            assert f"self.{name}(" in net.code, net.code
            sub = net.module.get_submodule(name)
            assert sum(p.numel() for p in sub.parameters()) == inference.param_counts[name], name
        assert [dict(net.module.named_children())] == [{n: net.module.get_submodule(n) for n in layers}]
        outs = run(net)
        assert len(outs) == len(net.outputs)
        for name, out in zip(net.outputs, outs):
            assert tuple(out.shape) == (3, *inference.shapes[name].dims)
            assert torch.isfinite(out).all()
        assert net.inputs == [n.name for n in graph.nodes_of_kind("Input")]
        assert all(net.heads[o] == graph.node(o).params["head"] for o in net.outputs)


def test_code_reads_like_the_diagram() -> None:
    net = compile_network(TEMPLATES["mnist_2_layers"].build().network("model").graph, "model")
    code = net.code
    assert "def forward(self, input_1):" in code
    assert "flatten_1 = self.flatten_1(input_1)" in code
    assert "dense_1 = self.dense_1(flatten_1)" in code
    assert "relu_1 = self.relu_1(dense_1)" in code
    assert "dense_2 = self.dense_2(relu_1)" in code
    assert "return dense_2" in code
    assert type(net.module).__name__ == "Model"
    assert net.output_sources == {"output_1": "dense_2"}
    again = compile_network(TEMPLATES["mnist_2_layers"].build().network("model").graph, "model")
    assert again.code == code  # deterministic


def test_residual_code_adds_both_branches() -> None:
    net = compile_network(TEMPLATES["residual_block"].build().network("model").graph)
    assert "add_1 = self.add_1(tanh_1, dense_3)" in net.code


def two_head_encoder() -> Graph:
    """A VAE encoder: image -> flatten -> dense -> (mean, log_variance) heads."""
    g = Graph()
    g.add_node("Input", "image", {"kind": "image", "channels": 1, "height": 6, "width": 6})
    g.add_node("Flatten", "flat")
    g.add_node("Dense", "hidden", {"units": 8})
    g.add_node("Dense", "mu", {"units": 2})
    g.add_node("Dense", "log_var", {"units": 2})
    g.add_node("Output", "mean", {"head": "mean"})
    g.add_node("Output", "log_variance", {"head": "log_variance"})
    g.chain("image", "flat", "hidden", "mu", "mean")
    g.chain("hidden", "log_var", "log_variance")
    return g


def test_two_outputs_return_a_tuple_in_order() -> None:
    net = compile_network(two_head_encoder(), "vae encoder")
    assert type(net.module).__name__ == "VaeEncoder"
    assert net.outputs == ["mean", "log_variance"]
    assert net.heads == {"mean": "mean", "log_variance": "log_variance"}
    assert net.head_of("log_variance") == "log_variance" and net.head_of("realness") is None
    assert net.output_sources == {"mean": "mu", "log_variance": "log_var"}
    assert net.output_shapes == {"mean": Shape((2,)), "log_variance": Shape((2,))}
    x = torch.randn(4, 1, 6, 6)
    with capture(net.module, ["mu", "log_var"]) as seen, torch.no_grad():
        out = net.module(x)
    assert isinstance(out, tuple) and len(out) == 2
    assert torch.equal(out[0], seen["mu"]) and torch.equal(out[1], seen["log_var"])
    assert "return (mu, log_var)" in net.code


def test_output_order_follows_the_graph_not_the_names() -> None:
    g = two_head_encoder()
    g.rename_node("mean", "z_mean")
    g.rename_node("log_variance", "a_log_variance")
    net = compile_network(g)
    assert net.outputs == ["z_mean", "a_log_variance"]


def test_one_node_feeding_two_outputs() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 3})
    g.add_node("Dense", params={"units": 2})
    g.add_node("Output")
    g.add_node("Output")
    g.chain("input_1", "dense_1", "output_1")
    g.connect("dense_1", "output_2")
    a, b = run(compile_network(g))
    assert torch.equal(a, b)


def test_two_inputs_are_forward_arguments_in_order() -> None:
    g = Graph()
    g.add_node("Input", "noise", {"kind": "vector", "features": 3})
    g.add_node("Input", "label", {"kind": "vector", "features": 2})
    g.add_node("Concat", "joined")
    g.add_node("Dense", "out_dense", {"units": 4})
    g.add_node("Output", "fake", {"head": "generated"})
    g.connect("noise", "joined", "a")
    g.connect("label", "joined", "b")
    g.chain("joined", "out_dense", "fake")
    net = compile_network(g, "generator")
    assert net.inputs == ["noise", "label"]
    assert "def forward(self, noise, label):" in net.code
    noise, label = torch.randn(5, 3), torch.randn(5, 2)
    with capture(net.module, ["joined"]) as seen, torch.no_grad():
        out = net.module(noise, label)
    assert out.shape == (5, 4)
    assert torch.equal(seen["joined"], torch.cat([noise, label], dim=1))


def test_input_straight_to_output_is_the_identity() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 3})
    g.add_node("Output", params={"head": "regression"})
    g.connect("input_1", "output_1")
    net = compile_network(g)
    x = torch.randn(2, 3)
    assert torch.equal(net.module(x), x)
    assert net.parameter_count == 0


def test_capture_records_chosen_nodes_only_inside_the_block() -> None:
    net = compile_network(TEMPLATES["lenet"].build().network("model").graph)
    x = torch.randn(2, 1, 28, 28)
    with capture(net.module, ["conv_1", "maxpool_2", "dense_3", "input_1", "no_such_node"]) as seen, torch.no_grad():
        net.module(x)
    assert set(seen) == {"conv_1", "maxpool_2", "dense_3"}  # Input is a placeholder, not a submodule
    assert seen["conv_1"].shape == (2, 6, 28, 28)
    assert seen["maxpool_2"].shape == (2, 16, 5, 5)
    assert seen["dense_3"].shape == (2, 10)
    assert not seen["conv_1"].requires_grad
    recorded = dict(seen)
    net.module(x)  # after the block: hooks are gone
    assert all(torch.equal(recorded[k], seen[k]) for k in recorded)
    assert all(not m._forward_hooks for m in net.module.modules())


def test_capture_records_recurrent_layers_and_inner_modules() -> None:
    g = Graph()
    g.add_node("Input", params={"kind": "tokens", "steps": 5})
    g.add_node("Embedding", params={"vocabulary": 10, "dim": 4})
    g.add_node("LSTM", params={"hidden": 3, "output": "last"})
    g.add_node("Output")
    g.chain("input_1", "embedding_1", "lstm_1", "output_1")
    net = compile_network(g)
    with capture(net.module, ["embedding_1", "lstm_1", "lstm_1.rnn"]) as seen, torch.no_grad():
        out = net.module(torch.randint(0, 10, (2, 5)))
    assert seen["embedding_1"].shape == (2, 5, 4)
    assert torch.equal(seen["lstm_1"], out)
    assert seen["lstm_1.rnn"].shape == (2, 5, 3)


def test_compile_refuses_a_graph_with_problems() -> None:
    g = two_head_encoder()
    g.disconnect("hidden", "log_var")
    with pytest.raises(MissingInputError) as info:
        compile_network(g)
    assert info.value.node == "log_var"
    g.connect("hidden", "log_var")
    g.set_param("image", "kind", "tokens")
    with pytest.raises(ShapeError):
        compile_network(g)
    with pytest.raises(GraphError):
        compile_network(Graph())


def test_build_layer_of_every_kind_in_a_template_matches_the_module_in_the_network() -> None:
    graph = TEMPLATES["lenet"].build().network("model").graph
    inference = graph.infer()
    net = compile_network(graph)
    for name, ins in inference.input_shapes.items():
        node = graph.node(name)
        if node.kind in ("Input", "Output"):
            continue
        layer = build_layer(node, ins)
        assert type(layer) is type(net.module.get_submodule(name))


def test_reserved_node_names_cover_every_attribute_of_a_compiled_module() -> None:
    # If a torch upgrade adds a public attribute to nn.Module or GraphModule, add it to RESERVED_NAMES too.
    net = compile_network(two_head_encoder())
    public = {a for a in set(dir(net.module)) | set(dir(fx.GraphModule)) | set(dir(nn.Module))
              if not a.startswith("_")}
    layers = set(dict(net.module.named_children()))
    assert public - layers <= RESERVED_NAMES, sorted(public - layers - RESERVED_NAMES)


def test_compiled_module_trains() -> None:
    torch.manual_seed(0)
    net = compile_network(TEMPLATES["residual_block"].build().network("model").graph)
    opt = torch.optim.Adam(net.module.parameters(), lr=0.05)
    x = torch.randn(64, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    first = None
    for _ in range(60):
        loss = nn.functional.cross_entropy(net.module(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.7
