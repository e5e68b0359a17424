"""The importer reads the model code people write (issue 17): constructor defaults, module constants, plain
attributes, functional calls, reshapes, residual adds, reused parameter-free layers, ModuleList and loops, block
classes, helper methods, nn.Sequential(*layers), tuples returned; one network that cannot be opened does not stop
the others. Each imported network is held against torch's own instantiation of the same code (run by the test
only)."""

from __future__ import annotations

import textwrap

import pytest
import torch

from playground.compile import compile_network
from playground.engine.model_import import (
    ModelImportError,
    import_report,
    import_source,
    lab_from_file,
)


def _same_as_torch(text: str, origin: str | None = None):
    """Import ``text``; check its one network against torch (parameter shapes and output shapes); return it."""
    text = textwrap.dedent(text)
    (net,) = import_source(text, "model.py")
    namespace: dict = {}
    exec(compile(text, "model.py", "exec"), namespace)  # the test's own reference
    model = eval(origin or net.origin, namespace)
    ours = compile_network(net.graph, net.name).module
    assert sorted(tuple(p.shape) for p in model.parameters()) == sorted(tuple(p.shape) for p in ours.parameters())
    shapes = net.graph.infer().shapes
    x = [torch.randn(2, *shapes[n.name].dims) for n in net.graph.nodes_of_kind("Input")]
    model.eval()
    ours.eval()
    with torch.no_grad():
        a, b = model(*x), ours(*x)
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    assert [t.shape for t in a] == [t.shape for t in b]
    return net


def _kinds(net) -> list[str]:
    return [n.kind for n in net.graph.nodes.values()]


def test_constructor_defaults_module_tuples_and_plain_attributes_size_the_layers():
    net = _same_as_torch("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        dropout1, dropout2 = 0.25, 0.5

        class Net(nn.Module):
            def __init__(self, num_classes=10, hidden=64):
                super(Net, self).__init__()
                self.hidden_size = hidden
                self.conv1 = nn.Conv2d(1, 8, 3, 1)
                self.pool = nn.MaxPool2d(2)
                self.drop = nn.Dropout2d(dropout1)
                self.fc1 = nn.Linear(8 * 13 * 13, self.hidden_size)
                self.fc2 = nn.Linear(hidden, num_classes)
                self.out = nn.Dropout(dropout2)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.drop(x)
                x = torch.flatten(x, 1)
                x = self.out(F.relu(self.fc1(x)))
                return F.log_softmax(self.fc2(x), dim=1)
    """)
    g = net.graph
    assert net.name == "net" and net.origin == "Net()"
    assert _kinds(net) == ["Input", "Conv2d", "ReLU", "MaxPool2d", "Dropout", "Flatten", "Dense", "ReLU", "Dropout",
                           "Dense", "Output"]
    assert g.node("drop").params["p"] == 0.25 and g.node("fc2").params["units"] == 10
    # The final log_softmax is the classification head's own: the network ends at the scores.
    assert g.node("output_1").params["head"] == "classification"
    assert g.incoming("output_1") == {"in": "fc2"}


def test_a_pool_used_twice_is_two_nodes_and_views_become_reshapes():
    net = _same_as_torch("""
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 6, 5)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 10)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 16 * 5 * 5)
                return nn.Softmax()(self.fc2(F.relu(self.fc1(x))))
    """)
    assert [n.name for n in net.graph.nodes_of_kind("MaxPool2d")] == ["pool", "pool_1"]
    assert net.graph.node("reshape_1").params["shape"] == [400]
    assert net.graph.node("x").params["height"] == 32 and _kinds(net)[-2] == "Softmax"


def test_a_layer_with_weights_used_twice_is_refused_with_its_line():
    with pytest.raises(ModelImportError, match=r"model.py, line 9: self.fc is used twice: its weights are shared"):
        import_source(textwrap.dedent("""\
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 4)
                    self.act = nn.ReLU()
                def forward(self, x):
                    x = self.act(self.fc(x))
                    return self.act(self.fc(x))
        """), "model.py")


def test_module_lists_loops_helpers_and_sequentials_from_lists():
    net = _same_as_torch("""
        import torch.nn as nn

        LAYERS = [16, 32, 32]

        class MLP(nn.Module):
            def __init__(self, inputs=8, outputs=3, depth=2):
                super().__init__()
                sizes = [inputs] + LAYERS
                self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
                blocks = []
                for _ in range(depth):
                    blocks.append(nn.Linear(32, 32))
                    blocks += [nn.Tanh()]
                self.blocks = nn.Sequential(*blocks)
                self.head = self._make_head(32, outputs)

            def _make_head(self, width, outputs):
                return nn.Sequential(nn.Dropout(0.1), nn.Linear(width, outputs))

            def features(self, x):
                for layer in self.hidden:
                    x = nn.functional.relu(layer(x))
                return x

            def forward(self, x):
                return self.head(self.blocks(self.features(x)))
    """)
    assert _kinds(net).count("Dense") == 6 and net.graph.node("x").params["features"] == 8
    assert "hidden_0" in net.graph.nodes and "head_1" in net.graph.nodes


def test_block_classes_with_residual_adds_and_empty_shortcuts():
    net = _same_as_torch("""
        import torch.nn as nn
        import torch.nn.functional as F

        def conv3x3(i, o, stride=1):
            return nn.Conv2d(i, o, kernel_size=3, stride=stride, padding=1, bias=False)

        class BasicBlock(nn.Module):
            expansion = 1

            def __init__(self, in_planes, planes, stride=1):
                super().__init__()
                self.conv1 = conv3x3(in_planes, planes, stride)
                self.bn1 = nn.BatchNorm2d(planes)
                self.conv2 = conv3x3(planes, planes)
                self.bn2 = nn.BatchNorm2d(planes)
                self.shortcut = nn.Sequential()
                if stride != 1 or in_planes != self.expansion * planes:
                    self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                                                  nn.BatchNorm2d(planes))

            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = self.bn2(self.conv2(out))
                out += self.shortcut(x)
                return F.relu(out)

        class ResNet(nn.Module):
            def __init__(self, block, num_blocks, num_classes=10):
                super().__init__()
                self.in_planes = 8
                self.conv1 = conv3x3(3, 8)
                self.layer1 = self._make_layer(block, 8, num_blocks[0], 1)
                self.layer2 = self._make_layer(block, 16, num_blocks[1], 2)
                self.linear = nn.Linear(16 * block.expansion, num_classes)

            def _make_layer(self, block, planes, n, stride):
                layers = []
                for s in [stride] + [1] * (n - 1):
                    layers.append(block(self.in_planes, planes, s))
                    self.in_planes = planes * block.expansion
                return nn.Sequential(*layers)

            def forward(self, x):
                out = self.layer2(self.layer1(F.relu(self.conv1(x))))
                out = F.avg_pool2d(out, 16)
                out = out.view(out.size(0), -1)
                return self.linear(out)

        def ResNetTiny():
            return ResNet(BasicBlock, [2, 1])
    """)
    assert net.name == "resnettiny" and net.origin == "ResNetTiny()"
    assert len(net.graph.nodes_of_kind("Add")) == 3
    assert "layer2_0_shortcut_0" in net.graph.nodes  # the downsampling shortcut, named after where it sits


def test_a_forward_that_returns_a_tuple_has_an_output_for_each():
    net = _same_as_torch("""
        import torch
        import torch.nn as nn

        class AutoEncoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(28 * 28, 64), nn.Tanh(), nn.Linear(64, 3))
                self.decoder = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 28 * 28), nn.Sigmoid())

            def forward(self, x):
                encoded = self.encoder(x)
                decoded = self.decoder(encoded)
                return encoded, decoded
    """)
    assert [n.name for n in net.graph.nodes_of_kind("Output")] == ["output_1", "output_2"]


def test_a_forward_that_returns_a_list_has_an_output_for_each():
    text = textwrap.dedent("""\
        import torch.nn as nn

        class Heads(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Linear(6, 8)
                self.mu = nn.Linear(8, 2)
                self.logvar = nn.Linear(8, 2)

            def forward(self, x):
                h = self.body(x)
                return [self.mu(h), self.logvar(h)]
    """)
    (net,) = import_source(text, "model.py")
    namespace: dict = {}
    exec(compile(text, "model.py", "exec"), namespace)  # the test's own reference
    model = namespace["Heads"]()
    ours = compile_network(net.graph, net.name).module
    x = torch.randn(2, 6)
    with torch.no_grad():
        assert [t.shape for t in model(x)] == [t.shape for t in ours(x)]
    assert [n.name for n in net.graph.nodes_of_kind("Output")] == ["output_1", "output_2"]


def test_one_network_that_cannot_be_opened_does_not_stop_the_others():
    report = import_report(textwrap.dedent("""\
        import torch.nn as nn
        good = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        class Video(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv3d(1, 4, 3)
            def forward(self, x):
                return self.conv(x)
    """), "mixed.py")
    assert [n.name for n in report.networks] == ["good"]
    ((name, why),) = report.refused
    assert name == "video" and why.startswith("mixed.py, line 6: nn.Conv3d is not a layer the editor knows (it knows ")


def test_a_branch_that_depends_on_the_data_is_refused_with_its_line():
    with pytest.raises(ModelImportError, match=r"line 8: 'if x.shape\[1\] > 2' depends on what is known only when"):
        import_source(textwrap.dedent("""\
            import torch.nn as nn
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = nn.Linear(2, 2)
                    self.b = nn.Linear(2, 2)
                def forward(self, x):
                    if x.shape[1] > 2:
                        return self.a(x)
                    return self.b(x)
        """), "model.py")


def test_a_generator_and_a_discriminator_make_a_gan_lab(tmp_path):
    path = tmp_path / "gan.py"
    path.write_text(textwrap.dedent("""\
        import torch.nn as nn
        LATENT, IMAGE = 16, 784
        G = nn.Sequential(nn.Linear(LATENT, 128), nn.ReLU(), nn.Linear(128, IMAGE), nn.Tanh())
        D = nn.Sequential(nn.Linear(IMAGE, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1), nn.Sigmoid())
        criterion = nn.BCELoss()
    """))
    lab = lab_from_file(path)
    assert lab.task == "gan"
    assert [(n.name, n.role) for n in lab.networks] == [("G", "generator"), ("D", "discriminator")]
    assert lab.networks[0].graph.node("output_1").params["head"] == "generated"
    assert lab.networks[1].graph.node("output_1").params["head"] == "realness"


def test_an_encoder_and_a_decoder_make_an_autoencoder_lab_and_what_is_refused_is_named(tmp_path):
    path = tmp_path / "ae.py"
    path.write_text(textwrap.dedent("""\
        import torch.nn as nn
        encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 32))
        decoder = nn.Sequential(nn.Linear(32, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
        extra = nn.Sequential(nn.Conv3d(1, 1, 3))
    """))
    lab = lab_from_file(path)
    assert lab.task == "autoencoder" and [n.role for n in lab.networks] == ["encoder", "decoder"]
    assert "Not opened: ae.py, line 4: nn.Conv3d is not a layer the editor knows" in lab.description


def test_the_tutorials_num_flat_features_is_a_flatten():
    net = _same_as_torch("""
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.fc1 = nn.Linear(6 * 14 * 14, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
                x = x.view(-1, self.num_flat_features(x))
                return self.fc1(x)

            def num_flat_features(self, x):
                size = x.size()[1:]  # all dimensions except the batch dimension
                num_features = 1
                for s in size:
                    num_features *= s
                return num_features
    """)
    assert _kinds(net) == ["Input", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Dense", "Output"]
    assert net.graph.node("x").params["height"] == 32


def test_an_autoencoder_class_opens_as_its_encoder_and_decoder(tmp_path):
    path = tmp_path / "ae.py"
    path.write_text(textwrap.dedent("""\
        import torch.nn as nn

        class AutoEncoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(nn.Linear(28 * 28, 64), nn.Tanh(), nn.Linear(64, 3))
                self.decoder = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 28 * 28), nn.Sigmoid())

            def forward(self, x):
                encoded = self.encoder(x)
                decoded = self.decoder(encoded)
                return encoded, decoded
    """))
    lab = lab_from_file(path)
    assert lab.task == "autoencoder" and lab.dataset.name == "digits"  # 784 inputs: flattened digits
    assert [(n.name, n.role) for n in lab.networks] == [("encoder", "encoder"), ("decoder", "decoder")]
    assert lab.networks[0].graph.node("output_1").params["head"] == "code"
    assert lab.networks[1].graph.node("input_1").params["features"] == 3
    assert lab.networks[1].graph.node("output_1").params["head"] == "reconstruction"


def test_adaptive_pools_take_their_window_from_the_image_that_arrives():
    net = _same_as_torch("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self, num_classes=10):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU())
                self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
                self.classifier = nn.Linear(32 * 2 * 2, num_classes)

            def forward(self, x):
                x = self.avgpool(self.features(x))
                x = torch.flatten(x, 1)
                return self.classifier(x)
    """)
    # Conv2d(3, ...) first tries 28×28: 14×14 after the pool, so the 2×2 output is a 7×7 window.
    assert net.graph.node("avgpool").params == {"kernel_size": 7, "stride": 0, "padding": 0}
    with pytest.raises(ModelImportError, match=r"model.py, line 7: MaxPool2d 'pool' pools an image 4×26×26 .* to 3×3"):
        import_source(textwrap.dedent("""\
            import torch.nn as nn
            INPUTS = {'x': {'kind': 'image', 'channels': 1, 'height': 28, 'width': 28}}
            class Net(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = nn.Conv2d(1, 4, 3)
                    self.pool = nn.AdaptiveMaxPool2d(
                        3)
                    self.fc = nn.Linear(36, 2)
                def forward(self, x):
                    return self.fc(self.pool(self.conv(x)).flatten(1))
        """), "model.py")


def test_half_a_pair_of_names_keeps_the_model_role(tmp_path):
    path = tmp_path / "one.py"
    path.write_text("import torch.nn as nn\nd = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))\n")
    lab = lab_from_file(path)
    assert lab.task == "classification" and [n.role for n in lab.networks] == ["model"]


def test_a_gan_of_digit_images_reads_the_digits(tmp_path):
    path = tmp_path / "digits_gan.py"
    path.write_text("import torch.nn as nn\n"
                    "G = nn.Sequential(nn.Linear(16, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))\n"
                    "D = nn.Sequential(nn.Flatten(), nn.Linear(784, 1), nn.Sigmoid())\n")
    lab = lab_from_file(path)
    lab.check()
    assert (lab.task, lab.dataset.name) == ("gan", "digits")


def test_a_module_in_two_networks_of_a_file_opens_in_both():
    report = import_report("import torch.nn as nn\nG = nn.Sequential(nn.Linear(4, 8), nn.Tanh())\n"
                           "D = nn.Sequential(nn.Linear(8, 1), nn.Sigmoid())\ngan = nn.Sequential(G, D)\n", "gan.py")
    assert [n.name for n in report.networks] == ["G", "D", "gan"] and not report.refused


def test_grouped_and_depthwise_convolutions_keep_their_groups():
    net = _same_as_torch("""
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self, c=8):
                super().__init__()
                self.depthwise = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
                self.pointwise = nn.Conv2d(c, 16, 1)
                self.grouped = nn.Conv2d(16, 16, 3, padding=1, groups=4)

            def forward(self, x):
                return self.grouped(self.pointwise(self.depthwise(x)))
    """)
    groups = {n.name: n.params["groups"] for n in net.graph.nodes_of_kind("Conv2d")}
    assert groups == {"depthwise": 8, "pointwise": 1, "grouped": 4}


def test_sizes_of_a_tensor_made_from_written_out_sizes_are_known():
    # pytorch/examples regression: the layer is sized from a target made with torch.randn(POLY_DEGREE, 1).
    net = _same_as_torch("""
        import torch

        POLY_DEGREE = 4
        W_target = torch.randn(POLY_DEGREE, 1) * 5
        fc = torch.nn.Linear(W_target.size(0), W_target.shape[1] + 1)
    """)
    assert [n.params["units"] for n in net.graph.nodes_of_kind("Dense")] == [2]
    with pytest.raises(ModelImportError, match="not known without running"):
        import_source("import torch\nw = torch.randn(n, 1)\nfc = torch.nn.Linear(w.size(0), 1)\n", "m.py")


def test_padding_layers_and_instance_norm_open_as_pad2d_and_instancenorm():
    net = _same_as_torch("""
        import torch

        class Style(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.reflect = torch.nn.ReflectionPad2d(4)
                self.conv = torch.nn.Conv2d(3, 8, 9)
                self.norm = torch.nn.InstanceNorm2d(8, affine=True)
                self.zero = torch.nn.ZeroPad2d((1, 1, 1, 1))
                self.edge = torch.nn.ReplicationPad2d(1)
                self.plain = torch.nn.InstanceNorm2d(8)

            def forward(self, x):
                return self.plain(self.edge(self.zero(torch.relu(self.norm(self.conv(self.reflect(x)))))))
    """)
    pads = [(n.params["padding"], n.params["mode"]) for n in net.graph.nodes_of_kind("Pad2d")]
    assert pads == [(4, "reflect"), (1, "zeros"), (1, "replicate")]
    assert [n.params["affine"] for n in net.graph.nodes_of_kind("InstanceNorm")] == [True, False]
    with pytest.raises(ModelImportError, match="Pad2d"):
        import_source("import torch.nn as nn\nm = nn.Sequential(nn.ZeroPad2d((1, 2, 1, 1)))\n", "m.py")
    with pytest.raises(ModelImportError, match="track_running_stats"):
        import_source("import torch.nn as nn\nm = nn.Sequential(nn.InstanceNorm2d(3, track_running_stats=True))\n",
                      "m.py")


def test_squeeze_and_excitation_multiplies_each_channel_by_its_gate():
    # kuangliu/pytorch-cifar SENet: a pool over the whole image (x.size(2)), two 1x1 convolutions, out * w.
    net = _same_as_torch("""
        import torch.nn as nn
        import torch.nn.functional as F

        class SE(nn.Module):
            def __init__(self, planes=16):
                super().__init__()
                self.conv = nn.Conv2d(3, planes, 3, padding=1)
                self.fc1 = nn.Conv2d(planes, planes // 4, kernel_size=1)
                self.fc2 = nn.Conv2d(planes // 4, planes, kernel_size=1)

            def forward(self, x):
                out = self.conv(x)
                w = F.avg_pool2d(out, out.size(2))
                w = F.sigmoid(self.fc2(F.relu(self.fc1(w))))
                return out * w
    """)
    assert "Multiply" in _kinds(net)
    with pytest.raises(ModelImportError, match="cannot read as numbers"):
        import_source("import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n    def forward(self, x):\n"
                      "        return self.fc(x.view(-1, x.size(2)))\n", "m.py")


@pytest.mark.parametrize("half", ["0.5 * logvar", "logvar / 2"])
def test_a_vae_samples_with_the_reparameterization_trick_as_one_sample_layer(half):
    # pytorch/examples and yunjey/pytorch-tutorial VAEs: encode, reparameterize, decode in one class.
    net = _same_as_torch(f"""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.fc21, self.fc22 = nn.Linear(784, 40), nn.Linear(40, 2), nn.Linear(40, 2)
                self.fc3, self.fc4 = nn.Linear(2, 40), nn.Linear(40, 784)

            def reparameterize(self, mu, logvar):
                std = torch.exp({half})
                eps = torch.randn_like(std)
                return mu + eps * std

            def forward(self, x):
                h = F.relu(self.fc1(x.view(-1, 784)))
                mu, logvar = self.fc21(h), self.fc22(h)
                z = self.reparameterize(mu, logvar)
                return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar
    """)
    (sample,) = net.graph.nodes_of_kind("Sample")
    assert sorted(e.source for e in net.graph.edges if e.target == sample.name) == ["fc21", "fc22"]
    with pytest.raises(ModelImportError, match="arithmetic on tensors"):
        import_source("import torch\nimport torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n    def forward(self, x):\n"
                      "        return self.fc(x) + torch.exp(0.3 * x)\n", "m.py")
