"""The layer catalog: every kind a user can place, its parameters, teaching text, shape rule and parameter count.

Each kind owns a short shape rule written in plain Python and checked against torch itself by the test suite.
Rules raise :class:`ShapeError` with a message that names the node and says how to fix the graph.

This module holds the table of kinds and the look-ups; the parameters are in :mod:`params`, the kind record in
:mod:`layer_kind` and the rules in :mod:`shape_rules`. Their public names are re-exported here.
"""

from __future__ import annotations

from .errors import UnknownKindError, shown
from .layer_kind import CountRule, LayerKind, RuleContext, ShapeRule
from .params import PARAM_TYPES, Param
from .shape_rules import (
    add_rule,
    batchnorm_count,
    batchnorm_rule,
    concat_rule,
    conv_count,
    conv_rule,
    convt_rule,
    dense_count,
    dense_rule,
    embedding_count,
    embedding_rule,
    flatten_rule,
    groupnorm_count,
    groupnorm_rule,
    input_rule,
    instancenorm_count,
    instancenorm_rule,
    layernorm_count,
    multiply_rule,
    no_params,
    output_rule,
    pad_rule,
    pixel_shuffle_rule,
    pool_rule,
    recurrent_counter,
    recurrent_rule,
    reshape_rule,
    same_rule,
    sample_rule,
    softmax_rule,
    upsample_rule,
)

__all__ = [
    "CATEGORIES",
    "KINDS",
    "PARAM_TYPES",
    "CountRule",
    "LayerKind",
    "Param",
    "RuleContext",
    "ShapeRule",
    "get_kind",
    "kinds_in",
]

_BIAS = Param("bias", "bool", True, "Add a learned bias b to each output.")


def _act(name: str, summary: str, params: tuple[Param, ...] = (), details: str = "") -> LayerKind:
    return LayerKind(
        name=name,
        category="Activations",
        summary=summary,
        params=params,
        inputs=("in",),
        rule=same_rule,
        count=no_params,
        prefix=name.lower(),
        key_params=tuple(p.name for p in params),
        details=details,
    )


_RECURRENT_PARAMS = (
    Param("hidden", "int", 32, "Size of the hidden state h_t.", 1, 4096),
    Param("layers", "int", 1, "Recurrent layers stacked on top of each other.", 1, 8),
    Param("bidirectional", "bool", False, "Also read the sequence backwards and join both hidden states."),
    Param("output", "choice", "sequence", "'sequence': h_t for every step (many to many); 'last': only the final "
          "step (many to one).", choices=("sequence", "last")),
)

KINDS: dict[str, LayerKind] = {}


def _register(*kinds: LayerKind) -> None:
    for k in kinds:
        KINDS[k.name] = k


_register(
    LayerKind(
        "Input", "Inputs",
        "Where data enters the network; its shape is one sample (the batch dimension is added by training).",
        (
            Param("kind", "choice", "vector", "vector: features; image: channels×height×width; sequence: "
                  "steps×features; tokens: a sequence of integer ids for an Embedding.",
                  choices=("vector", "image", "sequence", "tokens")),
            Param("features", "int", 2, "Number of features (vector and sequence inputs).", 1, 100000),
            Param("channels", "int", 1, "Colour channels of an image: 1 for grayscale, 3 for RGB; more for a "
                  "code shaped as an image (a DCGAN's generator reads 100×1×1 numbers).", 1, 1024),
            Param("height", "int", 28, "Image height in pixels.", 1, 1024),
            Param("width", "int", 28, "Image width in pixels.", 1, 1024),
            Param("steps", "int", 20, "Length of a sequence (time steps).", 1, 10000),
        ),
        (), input_rule, no_params, "input", ("kind",),
    ),
    LayerKind(
        "Dense", "Dense",
        "Fully connected: each output is a weighted sum of all inputs plus a bias, y = W·x + b.",
        (Param("units", "int", 16, "Number of outputs (neurons).", 1, 100000), _BIAS),
        ("in",), dense_rule, dense_count, "dense", ("units",),
        "Parameters: inputs × units weights + units biases. On a sequence it acts on every step.",
    ),
    LayerKind(
        "Conv2d", "Convolution",
        "Slides small learned filters over the image: out[c,i,j] = Σ w[c]·patch(i,j) + b[c]. Each filter "
        "finds one pattern wherever it is.",
        (
            Param("filters", "int", 8, "Number of filters, i.e. output channels.", 1, 4096),
            Param("kernel_size", "int", 3, "Width and height of each filter.", 1, 15),
            Param("stride", "int", 1, "Step between neighbouring filter positions.", 1, 8),
            Param("padding", "int", 0, "Zeros added around the image; (k-1)/2 keeps the size.", 0, 16),
            _BIAS,
            Param("groups", "int", 1, "Splits input channels and filters into this many groups, each filter "
                  "seeing only its group's channels: 1 is an ordinary convolution, groups = channels a depthwise "
                  "one (MobileNet), a few groups ResNeXt's.", 1, 4096),
        ),
        ("in",), conv_rule, conv_count, "conv", ("filters", "kernel_size", "stride", "padding"),
        "Output size: ⌊(n + 2·padding − kernel) / stride⌋ + 1. Weights: channels/groups × filters × kernel².",
    ),
    LayerKind(
        "ConvTranspose2d", "Convolution",
        "Learned upsampling, the transpose of a convolution: each input pixel paints a filter into a larger "
        "output. Used in decoders and generators.",
        (
            Param("filters", "int", 8, "Number of output channels.", 1, 4096),
            Param("kernel_size", "int", 4, "Width and height of each filter.", 1, 15),
            Param("stride", "int", 2, "Upsampling factor.", 1, 8),
            Param("padding", "int", 1, "Rows and columns cropped from each border of the output.", 0, 16),
            Param("output_padding", "int", 0, "Extra rows and columns added on one side (smaller than stride).",
                  0, 7),
            _BIAS,
        ),
        ("in",), convt_rule, conv_count, "deconv", ("filters", "kernel_size", "stride"),
        "Output size: (n − 1)·stride − 2·padding + kernel + output_padding.",
    ),
    LayerKind(
        "Pad2d", "Convolution",
        "Adds a border of rows and columns around the image before a convolution: zeros, a mirror image of the "
        "edge (reflect) or copies of the edge pixels (replicate). No parameters to learn.",
        (
            Param("padding", "int", 1, "Rows and columns added on each side.", 1, 16),
            Param("mode", "choice", "zeros", "zeros: a black frame, as a convolution's own padding; reflect: the "
                  "image mirrored at its edge (style transfer uses it against dark borders); replicate: the edge "
                  "pixel repeated.", choices=("zeros", "reflect", "replicate")),
        ),
        ("in",), pad_rule, no_params, "pad", ("padding", "mode"),
        "Output size: n + 2·padding.",
    ),
    LayerKind(
        "MaxPool2d", "Pooling",
        "Keeps the largest value in each window: out = max(window). Shrinks the image and tolerates small shifts.",
        (
            Param("kernel_size", "int", 2, "Window width and height (the whole image for a global pool).", 1, 64),
            Param("stride", "int", 0, "Step between windows; 0 means equal to the window.", 0, 16),
            Param("padding", "int", 0, "Padding around the image (at most half the window).", 0, 8),
        ),
        ("in",), pool_rule, no_params, "maxpool", ("kernel_size",),
    ),
    LayerKind(
        "AvgPool2d", "Pooling",
        "Averages each window: out = mean(window). A smooth way to shrink an image.",
        (
            Param("kernel_size", "int", 2, "Window width and height (the whole image for a global pool).", 1, 64),
            Param("stride", "int", 0, "Step between windows; 0 means equal to the window.", 0, 16),
            Param("padding", "int", 0, "Padding around the image (at most half the window).", 0, 8),
        ),
        ("in",), pool_rule, no_params, "avgpool", ("kernel_size",),
    ),
    LayerKind(
        "Upsample", "Pooling",
        "Enlarges an image by a whole factor, repeating pixels (nearest) or interpolating (bilinear). "
        "No parameters to learn.",
        (
            Param("scale", "int", 2, "Enlargement factor for height and width.", 1, 8),
            Param("mode", "choice", "nearest", "How new pixels are filled.", choices=("nearest", "bilinear")),
        ),
        ("in",), upsample_rule, no_params, "upsample", ("scale",),
    ),
    LayerKind(
        "PixelShuffle", "Pooling",
        "Sub-pixel convolution: rearranges r² channels into an r×r block of pixels, C·r²×H×W → C×(H·r)×(W·r). "
        "A convolution before it learns the fine detail of every block, so the image is enlarged by learned "
        "filters instead of by repeating or blending pixels. No parameters to learn.",
        (Param("factor", "int", 2, "Upscale factor r for height and width; the channels arriving must be a "
               "multiple of r².", 1, 8),),
        ("in",), pixel_shuffle_rule, no_params, "pixelshuffle", ("factor",),
        "Output size: channels / r², height · r, width · r (used for super-resolution, e.g. ESPCN).",
    ),
    LayerKind(
        "Flatten", "Shape",
        "Lays an image or sequence out as one long vector, e.g. 1×28×28 → 784, so Dense layers can read it.",
        (), ("in",), flatten_rule, no_params, "flatten",
    ),
    LayerKind(
        "Reshape", "Shape",
        "Rearranges the same values into a new shape, e.g. 784 → 1×28×28 for a convolution.",
        (Param("shape", "shape", [1, 28, 28], "Target shape without the batch, e.g. [1, 28, 28]; one entry may "
               "be -1 to be inferred.", maximum=100_000_000),),
        ("in",), reshape_rule, no_params, "reshape", ("shape",),
    ),
    LayerKind(
        "Dropout", "Normalization & regularization",
        "During training zeroes each value with probability p and scales the rest by 1/(1−p); off at test time. "
        "Fights overfitting.",
        (Param("p", "float", 0.5, "Probability of dropping each value.", 0.0, 0.95),),
        ("in",), same_rule, no_params, "dropout", ("p",),
    ),
    LayerKind(
        "BatchNorm", "Normalization & regularization",
        "Normalizes each feature over the batch, y = γ·(x − μ_batch)/σ_batch + β. Speeds up and stabilizes "
        "training.",
        (Param("momentum", "float", 0.1, "How fast the running mean and variance follow the batches.", 0.0, 1.0),),
        ("in",), batchnorm_rule, batchnorm_count, "batchnorm",
        details="Per channel for images, per feature for vectors.",
    ),
    LayerKind(
        "InstanceNorm", "Normalization & regularization",
        "Normalizes each channel of each image over its own pixels, y = γ·(x − μ_image)/σ_image + β: no "
        "statistics of the batch, so every image is treated alone. Used in style transfer and GANs.",
        (Param("affine", "bool", True, "Learn a scale γ and a shift β per channel."),),
        ("in",), instancenorm_rule, instancenorm_count, "instancenorm", ("affine",),
        "The same at training and test time (no running averages).",
    ),
    LayerKind(
        "GroupNorm", "Normalization & regularization",
        "Splits the channels into groups and normalizes each group of each image over its channels and pixels, "
        "y = γ·(x − μ_group)/σ_group + β: no statistics of the batch, so it works as well with a batch of 2 as of "
        "200.",
        (Param("groups", "int", 2, "How many groups the channels are split into; it must divide the channels. "
               "1 group normalizes over the whole image (like LayerNorm), one per channel is InstanceNorm.", 1, 1024),
         Param("affine", "bool", True, "Learn a scale γ and a shift β per channel.")),
        ("in",), groupnorm_rule, groupnorm_count, "groupnorm", ("groups",),
        "The same at training and test time (no running averages). Common where batches are small (detection, "
        "private training).",
    ),
    LayerKind(
        "LayerNorm", "Normalization & regularization",
        "Normalizes each sample over its features, y = γ·(x − μ)/σ + β. Independent of the batch; "
        "used in sequence models.",
        (), ("in",), same_rule, layernorm_count, "layernorm",
    ),
    _act("ReLU", "Rectified linear unit: f(x) = max(0, x). Cheap, and its gradient does not vanish for x > 0."),
    _act("LeakyReLU", "f(x) = x for x > 0, else α·x: a ReLU that never dies completely.",
         (Param("slope", "float", 0.01, "Slope α for negative inputs.", 0.0, 1.0),)),
    _act("Sigmoid", "σ(x) = 1 / (1 + e^−x): squashes to (0, 1). Saturates, so gradients vanish for large |x|."),
    _act("Tanh", "tanh(x) = (e^x − e^−x)/(e^x + e^−x): squashes to (−1, 1), centred on zero."),
    _act("GELU", "f(x) = x·Φ(x): a smooth ReLU, weighting x by how likely it is under a standard normal."),
    _act("Softplus", "f(x) = log(1 + e^(βx))/β: a smooth ReLU whose output is always positive.",
         (Param("beta", "float", 1.0, "Sharpness β; larger is closer to ReLU.", 0.01, 100.0),)),
    _act("Identity", "f(x) = x: a linear unit. Without a nonlinearity, stacked layers stay one linear map."),
    LayerKind(
        "Softmax", "Activations",
        "Turns scores into probabilities that sum to 1: softmax(z)_i = e^z_i / Σ_j e^z_j.",
        (), ("in",), softmax_rule, no_params, "softmax",
    ),
    LayerKind(
        "Embedding", "Recurrent",
        "Looks up a learned vector for each token id: a table of vocabulary × dim numbers.",
        (
            Param("vocabulary", "int", 64, "Number of distinct token ids.", 2, 100000),
            Param("dim", "int", 16, "Length of each token's vector.", 1, 4096),
        ),
        ("in",), embedding_rule, embedding_count, "embedding", ("vocabulary", "dim"),
    ),
    LayerKind(
        "RNN", "Recurrent",
        "Simple recurrent layer: h_t = tanh(W·x_t + U·h_(t−1) + b). Remembers, but gradients fade over long "
        "sequences.",
        _RECURRENT_PARAMS + (Param("nonlinearity", "choice", "tanh", "Activation of the hidden state.",
                                   choices=("tanh", "relu")),),
        ("in",), recurrent_rule, recurrent_counter("RNN"), "rnn", ("hidden", "output"),
    ),
    LayerKind(
        "GRU", "Recurrent",
        "Gated recurrent unit: an update gate z and a reset gate r decide how much of h_(t−1) to keep, "
        "h_t = (1−z)·h_(t−1) + z·h̃_t.",
        _RECURRENT_PARAMS, ("in",), recurrent_rule, recurrent_counter("GRU"), "gru", ("hidden", "output"),
    ),
    LayerKind(
        "LSTM", "Recurrent",
        "Long short-term memory: a cell c_t carried along with input, forget and output gates, "
        "c_t = f·c_(t−1) + i·g, h_t = o·tanh(c_t). Learns long-range dependencies.",
        _RECURRENT_PARAMS, ("in",), recurrent_rule, recurrent_counter("LSTM"), "lstm", ("hidden", "output"),
    ),
    LayerKind(
        "Add", "Merge",
        "Adds two tensors of the same shape element by element, a + b: the skip connection of residual blocks.",
        (), ("a", "b"), add_rule, no_params, "add",
    ),
    LayerKind(
        "Multiply", "Merge",
        "Multiplies two tensors element by element, a · b, or each channel of an image by its own weight (a "
        "C×1×1 input): a gate, as in squeeze-and-excitation, where a small branch decides how much of each channel "
        "passes.",
        (), ("a", "b"), multiply_rule, no_params, "multiply",
    ),
    LayerKind(
        "Sample", "Merge",
        "The reparameterization trick of a VAE: z = μ + e^(log σ²/2)·ε with ε drawn from N(0, 1), so the "
        "gradients reach μ and log σ² through a sum. At test time z = μ.",
        (), ("mean", "log_variance"), sample_rule, no_params, "sample",
        details="A VAE's encoder gives μ and log σ² for each latent dimension; the decoder reads z.",
    ),
    LayerKind(
        "Concat", "Merge",
        "Joins two tensors along features (vectors, sequences) or channels (images).",
        (), ("a", "b"), concat_rule, no_params, "concat",
    ),
    LayerKind(
        "Output", "Outputs",
        "Where the network's result leaves; its head says what the task does with it.",
        (Param("head", "choice", "classification", "classification: class scores, trained with softmax "
               "cross-entropy; regression: values, trained with mean squared error; the others feed the "
               "autoencoder, VAE and GAN tasks.",
               choices=("classification", "regression", "reconstruction", "code", "mean", "log_variance",
                        "generated", "realness")),),
        ("in",), output_rule, no_params, "output", ("head",),
    ),
)

CATEGORIES: tuple[str, ...] = (
    "Inputs", "Dense", "Convolution", "Pooling", "Recurrent", "Normalization & regularization", "Activations",
    "Shape", "Merge", "Outputs",
)

def get_kind(name: str) -> LayerKind:
    """Return the kind called ``name``, or raise UnknownKindError listing the kinds that exist."""
    if not isinstance(name, str):  # a lab file may hold anything here, even a list
        raise UnknownKindError(f"A layer kind must be a name such as 'Dense'. Received: kind={shown(name)}",
                               field="kind")
    if name in KINDS:
        return KINDS[name]
    close = [k for k in KINDS if k.lower() == name.lower()]
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known kinds: {', '.join(KINDS)})"
    raise UnknownKindError(f"Unknown layer kind {shown(name)}{hint}", field="kind")


def kinds_in(category: str) -> list[LayerKind]:
    return [k for k in KINDS.values() if k.category == category]
