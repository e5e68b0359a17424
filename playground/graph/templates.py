"""Built-in lab templates, each valid out of the box, each with one line saying what it teaches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .graph import Graph
from .lab import DatasetSettings, Lab, TrainingSettings
from .worked_example import worked_example

LayerSpec = tuple[str, dict[str, Any]]


def sequential(layers: Sequence[LayerSpec], *, spacing: float = 190.0, wrap: int = 0,
               row_height: float = 150.0) -> Graph:
    """A chain of layers, laid out left to right, each connected to the next.

    With ``wrap`` the chain continues on a new row after that many layers, so long networks stay readable when
    the editor fits them into its view.
    """
    graph = Graph()
    names: list[str] = []
    for i, (kind, params) in enumerate(layers):
        col, row = (i % wrap, i // wrap) if wrap else (i, 0)
        names.append(graph.add_node(kind, params=params, position=(col * spacing, row * row_height)).name)
    graph.chain(*names)
    return graph


def _mlp(features: int, hidden: Sequence[int], activation: str, classes: int, head: str = "classification",
         extra: Sequence[LayerSpec] = ()) -> Graph:
    layers: list[LayerSpec] = [("Input", {"kind": "vector", "features": features})]
    for units in hidden:
        layers += [("Dense", {"units": units}), (activation, {})]
    layers += [("Dense", {"units": classes}), *extra, ("Output", {"head": head})]
    # Long chains wrap onto rows of four so the editor can fit them at a readable size beside the views.
    return sequential(layers, wrap=4 if len(layers) > 5 else 0)


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    teaches: str
    build: Callable[[], Lab]


def logistic_regression() -> Lab:
    lab = Lab(name="Logistic regression", task="classification",
              description="One linear layer and a softmax: a straight decision boundary.",
              dataset=DatasetSettings("gaussian", noise=10.0),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.1, batch_size=10, epochs=50))
    lab.add_network("model", "model", _mlp(2, [], "Tanh", 2))
    return lab


def tensorflow_playground() -> Lab:
    lab = Lab(name="TensorFlow Playground default", task="classification",
              description="Two tanh hidden layers of 4 and 2 neurons on the circle, as TensorFlow Playground "
                          "opens.",
              dataset=DatasetSettings("circle", noise=0.0, train_ratio=0.5),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.03, batch_size=10, epochs=200))
    lab.add_network("model", "model", _mlp(2, [4, 2], "Tanh", 2))
    return lab


def spiral() -> Lab:
    lab = Lab(name="Spiral", task="classification",
              description="The two-arm spiral needs several tanh layers to bend the boundary around.",
              dataset=DatasetSettings("spiral", noise=0.0, train_ratio=0.5),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=300))
    lab.add_network("model", "model", _mlp(2, [16, 16, 16], "Tanh", 2))
    return lab


def multiclass_spiral() -> Lab:
    lab = Lab(name="Three-arm spiral", task="classification",
              description="Three classes, three spiral arms: three softmax outputs, one colour per class, and the "
                          "network must bend three boundaries at once.",
              dataset=DatasetSettings("arms", noise=0.0, train_ratio=0.5, samples=600),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=300))
    lab.add_network("model", "model", _mlp(2, [16, 16, 16], "Tanh", 3))
    return lab


def universal_approximation() -> Lab:
    lab = Lab(name="Universal approximation", task="regression",
              description="One hidden layer of 8 tanh units fits y = sin(1.5x) from noisy samples: the fit is the sum "
                          "of the units' weighted S-curves. Try the step or the sawtooth, and more or fewer units.",
              dataset=DatasetSettings("function", noise=5.0, samples=300, train_ratio=0.7, features=[],
                                      options={"function": "sine"}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.02, batch_size=32, epochs=300))
    lab.add_network("model", "model", _mlp(1, [8], "Tanh", 1, head="regression"))
    return lab


def translation_experiment() -> Lab:
    lab = Lab(name="Translation experiment", task="classification",
              description="A dense network trained on centred digits, tested on digits moved by 2 pixels: 92% on "
                          "centred test digits falls to about 51%. Turn on a random shift of 0.15 under Samples > "
                          "Augment and it reads moved digits again (about 87%); or compare LeNet.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[], options={"test_shift": 2}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, batch_size=64, epochs=5))
    g = sequential([("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}), ("Flatten", {}),
                    ("Dense", {"units": 128}), ("ReLU", {}), ("Dense", {"units": 10}),
                    ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


def cifar_cnn() -> Lab:
    lab = Lab(name="Colour CNN on CIFAR-10", task="classification",
              description="Three 3×3 convolution stages (16, 32, 64 filters) with pooling read 32×32 colour photos; "
                          "the first layer's filters are colour (RGB) kernels. Download CIFAR-10 first (Data panel).",
              dataset=DatasetSettings("cifar10", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, batch_size=64, epochs=10))
    g = sequential([
        ("Input", {"kind": "image", "channels": 3, "height": 32, "width": 32}),
        ("Conv2d", {"filters": 16, "kernel_size": 3, "padding": 1}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"filters": 32, "kernel_size": 3, "padding": 1}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"filters": 64, "kernel_size": 3, "padding": 1}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Flatten", {}), ("Dense", {"units": 64}), ("ReLU", {}), ("Dense", {"units": 10}),
        ("Output", {"head": "classification"}),
    ], wrap=4)
    lab.add_network("model", "model", g)
    return lab


def regression_plane() -> Lab:
    lab = Lab(name="Regression plane", task="regression",
              description="Fit a tilted plane with a small MLP and mean squared error.",
              dataset=DatasetSettings("plane", noise=5.0),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=100))
    lab.add_network("model", "model", _mlp(2, [8], "Tanh", 1, head="regression"))
    return lab


def mnist_one_layer() -> Lab:
    lab = Lab(name="MNIST 1 layer", task="classification",
              description="784 pixels straight to 10 softmax outputs: one weight template per digit.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="sgd", learning_rate=0.5, batch_size=100, epochs=20))
    g = sequential([("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}), ("Flatten", {}),
                    ("Dense", {"units": 10}), ("Softmax", {}), ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


def mnist_two_layers() -> Lab:
    lab = Lab(name="MNIST 2 layers", task="classification",
              description="784 to 512 ReLU to 10: the classic first digit classifier with a hidden layer.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="momentum", learning_rate=0.1, batch_size=32, epochs=30,
                                        schedule="cosine"))
    g = sequential([("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}), ("Flatten", {}),
                    ("Dense", {"units": 512}), ("ReLU", {}), ("Dense", {"units": 10}),
                    ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


def lenet() -> Lab:
    lab = Lab(name="LeNet-style CNN", task="classification",
              description="Two conv-pool stages learn edge and stroke detectors, then dense layers classify.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, batch_size=64, epochs=15))
    g = sequential([
        ("Input", {"kind": "image", "channels": 1, "height": 28, "width": 28}),
        ("Conv2d", {"filters": 6, "kernel_size": 5, "padding": 2}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"filters": 16, "kernel_size": 5}), ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}),
        ("Flatten", {}), ("Dense", {"units": 120}), ("ReLU", {}), ("Dense", {"units": 84}), ("ReLU", {}),
        ("Dense", {"units": 10}), ("Output", {"head": "classification"}),
    ], wrap=5)
    lab.add_network("model", "model", g)
    return lab


def residual_block() -> Lab:
    lab = Lab(name="Residual block", task="classification",
              description="y = x + F(x): the skip connection lets gradients flow straight through the block.",
              dataset=DatasetSettings("spiral", noise=0.0),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=200))
    g = Graph()
    g.add_node("Input", "input_1", {"kind": "vector", "features": 2}, (0, 0))
    g.add_node("Dense", "dense_1", {"units": 16}, (190, 0))
    g.add_node("Tanh", "tanh_1", {}, (380, 0))
    g.add_node("Dense", "dense_2", {"units": 16}, (570, 120))
    g.add_node("Tanh", "tanh_2", {}, (760, 120))
    g.add_node("Dense", "dense_3", {"units": 16}, (950, 120))
    g.add_node("Add", "add_1", {}, (1140, 0))
    g.add_node("Tanh", "tanh_3", {}, (1330, 0))
    g.add_node("Dense", "dense_4", {"units": 2}, (1520, 0))
    g.add_node("Output", "output_1", {"head": "classification"}, (1710, 0))
    g.chain("input_1", "dense_1", "tanh_1", "dense_2", "tanh_2", "dense_3")
    g.connect("tanh_1", "add_1", "a")
    g.connect("dense_3", "add_1", "b")
    g.chain("add_1", "tanh_3", "dense_4", "output_1")
    lab.add_network("model", "model", g)
    return lab


_DIGIT = {"kind": "image", "channels": 1, "height": 28, "width": 28}


def _dense_autoencoder(code: int, hidden: int = 256, code_activation: str = "") -> tuple[Graph, Graph]:
    """784 → hidden → code → hidden → 784 with a Sigmoid, so the outputs are pixel intensities in [0, 1]."""
    enc: list[LayerSpec] = [("Input", _DIGIT), ("Flatten", {}), ("Dense", {"units": hidden}), ("ReLU", {}),
                            ("Dense", {"units": code})]
    if code_activation:
        enc.append((code_activation, {}))
    encoder = sequential([*enc, ("Output", {"head": "code"})], wrap=4 if len(enc) > 5 else 0)
    decoder = sequential([("Input", {"kind": "vector", "features": code}), ("Dense", {"units": hidden}),
                          ("ReLU", {}), ("Dense", {"units": 784}), ("Sigmoid", {}),
                          ("Reshape", {"shape": [1, 28, 28]}), ("Output", {"head": "reconstruction"})], wrap=4)
    return encoder, decoder


def autoencoder() -> Lab:
    lab = Lab(name="Autoencoder", task="autoencoder",
              description="An encoder squeezes each digit into a code of 32 numbers; a decoder rebuilds the digit "
                          "from that code alone.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=20,
                                        reconstruction_loss="bce"))
    encoder, decoder = _dense_autoencoder(32)
    lab.add_network("encoder", "encoder", encoder)
    lab.add_network("decoder", "decoder", decoder)
    return lab


def conv_autoencoder() -> Lab:
    lab = Lab(name="Convolutional autoencoder", task="autoencoder",
              description="Strided convolutions shrink each digit 28→14→7 into a code of 16 numbers; transposed "
                          "convolutions grow it back 7→14→28.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=15,
                                        reconstruction_loss="bce"))
    encoder = sequential([
        ("Input", _DIGIT), ("Conv2d", {"filters": 16, "kernel_size": 3, "stride": 2, "padding": 1}), ("ReLU", {}),
        ("Conv2d", {"filters": 32, "kernel_size": 3, "stride": 2, "padding": 1}), ("ReLU", {}), ("Flatten", {}),
        ("Dense", {"units": 16}), ("Output", {"head": "code"}),
    ], wrap=4)
    decoder = sequential([
        ("Input", {"kind": "vector", "features": 16}), ("Dense", {"units": 32 * 7 * 7}), ("ReLU", {}),
        ("Reshape", {"shape": [32, 7, 7]}),
        ("ConvTranspose2d", {"filters": 16, "kernel_size": 4, "stride": 2, "padding": 1}), ("ReLU", {}),
        ("ConvTranspose2d", {"filters": 1, "kernel_size": 4, "stride": 2, "padding": 1}), ("Sigmoid", {}),
        ("Output", {"head": "reconstruction"}),
    ], wrap=5)
    lab.add_network("encoder", "encoder", encoder)
    lab.add_network("decoder", "decoder", decoder)
    return lab


def denoising_autoencoder() -> Lab:
    lab = Lab(name="Denoising autoencoder", task="autoencoder",
              description="Each digit is shown with Gaussian noise (σ = 0.5) and the network must rebuild the clean "
                          "digit: it learns what digits look like, not just to copy pixels.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=20,
                                        reconstruction_loss="bce", input_noise=0.5))
    encoder, decoder = _dense_autoencoder(32)
    lab.add_network("encoder", "encoder", encoder)
    lab.add_network("decoder", "decoder", decoder)
    return lab


def sparse_autoencoder() -> Lab:
    lab = Lab(name="Sparse autoencoder", task="autoencoder",
              description="A wide code of 64 ReLU units with an L1 penalty on it: each digit is rebuilt from a "
                          "few active units.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=20,
                                        reconstruction_loss="bce", sparsity=0.05))
    encoder, decoder = _dense_autoencoder(64, code_activation="ReLU")
    lab.add_network("encoder", "encoder", encoder)
    lab.add_network("decoder", "decoder", decoder)
    return lab


def vae() -> Lab:
    lab = Lab(name="Variational autoencoder", task="vae",
              description="The encoder outputs a mean and a log-variance; a code is sampled from them, so nearby "
                          "codes decode to similar digits and the 2-D latent space can be explored.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=30,
                                        reconstruction_loss="bce", beta=1.0))
    enc = Graph()
    enc.add_node("Input", "input_1", _DIGIT, (0, 75))
    enc.add_node("Flatten", "flatten_1", {}, (190, 75))
    enc.add_node("Dense", "dense_1", {"units": 256}, (380, 75))
    enc.add_node("ReLU", "relu_1", {}, (570, 75))
    enc.add_node("Dense", "mean", {"units": 2}, (760, 0))
    enc.add_node("Dense", "log_variance", {"units": 2}, (760, 150))
    enc.add_node("Output", "output_mean", {"head": "mean"}, (950, 0))
    enc.add_node("Output", "output_log_variance", {"head": "log_variance"}, (950, 150))
    enc.chain("input_1", "flatten_1", "dense_1", "relu_1", "mean", "output_mean")
    enc.chain("relu_1", "log_variance", "output_log_variance")
    decoder = sequential([("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 256}), ("ReLU", {}),
                          ("Dense", {"units": 784}), ("Sigmoid", {}), ("Reshape", {"shape": [1, 28, 28]}),
                          ("Output", {"head": "reconstruction"})], wrap=4)
    lab.add_network("encoder", "encoder", enc)
    lab.add_network("decoder", "decoder", decoder)
    return lab


def gan() -> Lab:
    lab = Lab(name="GAN", task="gan",
              description="A generator turns 2-D noise into points; a discriminator learns to tell them from the "
                          "real ring. Each improves by beating the other, until the fakes lie on the ring.",
              dataset=DatasetSettings("ring", noise=5.0, samples=2000, train_ratio=0.8),
              # A discriminator a few times faster than the generator keeps it a useful critic, so the generator
              # spreads around the whole ring instead of collapsing onto an arc (about 1,000 steps).
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, discriminator_learning_rate=0.003,
                                        batch_size=128, epochs=300))
    generator = sequential([("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 64}), ("ReLU", {}),
                            ("Dense", {"units": 64}), ("ReLU", {}), ("Dense", {"units": 2}),
                            ("Output", {"head": "generated"})], wrap=4)
    discriminator = sequential([("Input", {"kind": "vector", "features": 2}), ("Dense", {"units": 64}),
                                ("LeakyReLU", {"slope": 0.2}), ("Dense", {"units": 64}),
                                ("LeakyReLU", {"slope": 0.2}), ("Dense", {"units": 1}),
                                ("Output", {"head": "realness"})], wrap=4)
    lab.add_network("generator", "generator", generator)
    lab.add_network("discriminator", "discriminator", discriminator)
    return lab


def gan_digits() -> Lab:
    lab = Lab(name="GAN on digits", task="gan",
              description="A small DCGAN: the generator upsamples 32 noise numbers through two transposed "
                          "convolutions into a 28x28 image; a two-layer convolutional discriminator judges it "
                          "against real digits. Strokes appear within a few hundred steps, digits soon after.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.0005, discriminator_learning_rate=0.0005,
                                        batch_size=64, epochs=30))
    generator = sequential([("Input", {"kind": "vector", "features": 32}), ("Dense", {"units": 64 * 7 * 7}),
                            ("BatchNorm", {}), ("ReLU", {}), ("Reshape", {"shape": [64, 7, 7]}),
                            ("ConvTranspose2d", {"filters": 32, "kernel_size": 4, "stride": 2, "padding": 1}),
                            ("BatchNorm", {}), ("ReLU", {}),
                            ("ConvTranspose2d", {"filters": 1, "kernel_size": 4, "stride": 2, "padding": 1}),
                            ("Sigmoid", {}), ("Output", {"head": "generated"})], wrap=4)
    discriminator = sequential([("Input", _DIGIT),
                                ("Conv2d", {"filters": 16, "kernel_size": 4, "stride": 2, "padding": 1}),
                                ("LeakyReLU", {"slope": 0.2}),
                                ("Conv2d", {"filters": 32, "kernel_size": 4, "stride": 2, "padding": 1}),
                                ("LeakyReLU", {"slope": 0.2}), ("Flatten", {}), ("Dense", {"units": 1}),
                                ("Output", {"head": "realness"})], wrap=4)
    lab.add_network("generator", "generator", generator)
    lab.add_network("discriminator", "discriminator", discriminator)
    return lab


def lstm_sequence() -> Lab:
    lab = Lab(name="LSTM sine forecaster", task="sequence",
              description="An LSTM reads 40 steps of a sum of two sines and predicts every next value (many to "
                          "many); the forecast view feeds its predictions back to continue the wave on its own.",
              dataset=DatasetSettings("sine", noise=2.0, samples=1000, train_ratio=0.8, features=[],
                                      options={"steps": 40}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=32, epochs=40,
                                        grad_clip=1.0))
    g = sequential([("Input", {"kind": "sequence", "steps": 40, "features": 1}),
                    ("LSTM", {"hidden": 32, "output": "sequence"}), ("Dense", {"units": 1}),
                    ("Output", {"head": "regression"})])
    lab.add_network("model", "model", g)
    return lab


def sequence_classifier() -> Lab:
    lab = Lab(name="GRU wave classifier", task="sequence",
              description="A GRU reads 40 noisy steps of a wave and tells sine, square, triangle and sawtooth apart "
                          "from its final hidden state (many to one).",
              dataset=DatasetSettings("waves", noise=5.0, samples=1000, train_ratio=0.8, features=[],
                                      options={"steps": 40}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=32, epochs=40,
                                        grad_clip=1.0))
    g = sequential([("Input", {"kind": "sequence", "steps": 40, "features": 1}),
                    ("GRU", {"hidden": 32, "output": "last"}), ("Dense", {"units": 4}),
                    ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


def char_rnn() -> Lab:
    lab = Lab(name="Character-level LSTM", task="sequence",
              description="An LSTM learns Pride and Prejudice one character at a time, predicting each next "
                          "character; sampled at a temperature, it writes new text.",
              dataset=DatasetSettings("austen", noise=0.0, samples=1000, train_ratio=0.9, features=[],
                                      options={"steps": 64}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.005, batch_size=32, epochs=30,
                                        grad_clip=1.0, temperature=0.7))
    g = sequential([("Input", {"kind": "tokens", "steps": 64}), ("Embedding", {"vocabulary": 71, "dim": 32}),
                    ("LSTM", {"hidden": 128, "output": "sequence"}), ("Dense", {"units": 71}),
                    ("Output", {"head": "classification"})])
    lab.add_network("model", "model", g)
    return lab


# Transfer learning: each pair shares its first layers' names and shapes, so File > Copy weights from… moves the
# trained trunk of the first into the second.


def _digit_cnn_trunk() -> list[LayerSpec]:
    return [("Input", _DIGIT), ("Conv2d", {"filters": 8, "kernel_size": 5, "padding": 2}), ("ReLU", {}),
            ("MaxPool2d", {"kernel_size": 2}), ("Conv2d", {"filters": 16, "kernel_size": 5}), ("ReLU", {}),
            ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("Dense", {"units": 64}), ("ReLU", {})]


def transfer_autoencoder() -> Lab:
    lab = Lab(name="Pretrain an autoencoder", task="autoencoder",
              description="Step 1 of 2: an autoencoder learns a code of 32 numbers from 7,000 digits without any "
                          "label. Train it, save it, then open 'Classify with few labels' and copy this encoder "
                          "into it (File > Copy weights from…).",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=10,
                                        reconstruction_loss="bce"))
    encoder, decoder = _dense_autoencoder(32, hidden=128)
    lab.add_network("encoder", "encoder", encoder)
    lab.add_network("decoder", "decoder", decoder)
    return lab


def transfer_few_labels() -> Lab:
    lab = Lab(name="Classify with few labels", task="classification",
              description="Step 2 of 2: only 100 labelled digits. Its first two layers have the names and shapes of "
                          "the autoencoder's encoder: copy its trained weights in, freeze them, and train only the "
                          "head; compare with training from scratch.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[], options={"train_samples": 100}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=20, epochs=40))
    lab.add_network("model", "model", sequential([
        ("Input", _DIGIT), ("Flatten", {}), ("Dense", {"units": 128}), ("ReLU", {}), ("Dense", {"units": 32}),
        ("ReLU", {}), ("Dense", {"units": 10}), ("Output", {"head": "classification"})], wrap=4))
    return lab


def transfer_digit_cnn() -> Lab:
    lab = Lab(name="Digit CNN to reuse", task="classification",
              description="Step 1 of 2: a small CNN learns the ten digits. Train it, save it, then open 'Fine-tune on "
                          "even or odd' and copy its convolutions in (File > Copy weights from…).",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[]),
              training=TrainingSettings(optimizer="adam", learning_rate=0.002, batch_size=64, epochs=3))
    lab.add_network("model", "model", sequential([*_digit_cnn_trunk(), ("Dense", {"units": 10}),
                                                  ("Output", {"head": "classification"})], wrap=6))
    return lab


def transfer_parity_finetune() -> Lab:
    lab = Lab(name="Fine-tune on even or odd", task="classification",
              description="Step 2 of 2: another task on 300 digits: is it even or odd? The same trunk as the digit "
                          "CNN with a new head of 2 units: copy the trained trunk in, train the head with the trunk "
                          "frozen, then unfreeze it to fine-tune everything.",
              dataset=DatasetSettings("digits", train_ratio=0.8, features=[],
                                      options={"labels": "parity", "train_samples": 300}),
              training=TrainingSettings(optimizer="adam", learning_rate=0.001, batch_size=30, epochs=20))
    lab.add_network("model", "model", sequential([*_digit_cnn_trunk(), ("Dense", {"units": 2}),
                                                  ("Output", {"head": "classification"})], wrap=6))
    return lab


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template("logistic_regression", "Logistic regression",
                 "A single linear layer draws a straight decision boundary.", logistic_regression),
        Template("tensorflow_playground", "TensorFlow Playground MLP",
                 "Hidden neurons combine simple features into curved boundaries.", tensorflow_playground),
        Template("spiral", "Spiral MLP", "Depth lets a network bend its boundary around a spiral.", spiral),
        Template("multiclass_spiral", "Three-arm spiral (3 classes)",
                 "Softmax over three outputs paints one region per class.", multiclass_spiral),
        Template("universal_approximation", "Universal approximation (1-D fit)",
                 "A hidden layer's units add up to any curve: more units, a closer fit.", universal_approximation),
        Template("translation_experiment", "Translation experiment",
                 "Test digits moved by 2 pixels: what a dense network and a CNN make of a moved digit.",
                 translation_experiment),
        Template("cifar_cnn", "Colour CNN (CIFAR-10)",
                 "Convolutions on colour photos: RGB filters, 10 kinds of object.", cifar_cnn),
        Template("regression_plane", "Regression", "Fitting numbers with mean squared error.", regression_plane),
        Template("mnist_1_layer", "MNIST 1 layer", "784 pixels to 10 classes: each class learns a weight template.",
                 mnist_one_layer),
        Template("mnist_2_layers", "MNIST 2 layers", "A hidden ReLU layer of 512 lifts digits to about 98%.",
                 mnist_two_layers),
        Template("lenet", "LeNet-style CNN", "Convolutions and pooling learn local strokes, shared over the image.",
                 lenet),
        Template("residual_block", "Residual block", "A skip connection adds a block's input to its output.",
                 residual_block),
        Template("autoencoder", "Autoencoder", "Compressing data through a bottleneck and rebuilding it.",
                 autoencoder),
        Template("conv_autoencoder", "Convolutional autoencoder",
                 "Strided convolutions down to a small code, transposed convolutions back up.", conv_autoencoder),
        Template("denoising_autoencoder", "Denoising autoencoder",
                 "Rebuilding clean digits from noisy ones: the noise level is a live control.",
                 denoising_autoencoder),
        Template("sparse_autoencoder", "Sparse autoencoder",
                 "An L1 penalty keeps most code units at zero; its weight is a live control.", sparse_autoencoder),
        Template("vae", "Variational autoencoder", "A smooth latent space you can sample new digits from.", vae),
        Template("gan", "GAN", "Two networks in a contest: a generator learns to fool a discriminator.", gan),
        Template("gan_digits", "GAN on digits", "A small convolutional GAN invents handwritten digits from noise.",
                 gan_digits),
        Template("lstm_sequence", "LSTM sine forecaster", "Memory over time: forecasting a wave, then continuing "
                 "it on its own.", lstm_sequence),
        Template("sequence_classifier", "GRU sequence classifier", "The last hidden state sums up a whole "
                 "sequence: telling wave shapes apart.", sequence_classifier),
        Template("char_rnn", "Character-level text LSTM", "Predicting the next character, then sampling new text "
                 "at a temperature.", char_rnn),
        Template("backprop_worked_example", "Backpropagation worked example",
                 "One training step by the chain rule, every number as in the course's example.", worked_example),
        Template("transfer_autoencoder", "Pretrain an autoencoder (transfer 1/2)",
                 "Learn a code from unlabelled digits, to reuse in a classifier.", transfer_autoencoder),
        Template("transfer_few_labels", "Classify with few labels (transfer 2/2)",
                 "100 labels: start from the pretrained encoder, frozen, then fine-tuned.", transfer_few_labels),
        Template("transfer_digit_cnn", "Digit CNN to reuse (fine-tune 1/2)",
                 "A small CNN trained on the ten digits, to reuse on another task.", transfer_digit_cnn),
        Template("transfer_parity_finetune", "Fine-tune on even or odd (fine-tune 2/2)",
                 "A new head on the digit CNN's trunk: 300 images are enough.", transfer_parity_finetune),
    )
}


def build_template(key: str) -> Lab:
    return TEMPLATES[key].build()
