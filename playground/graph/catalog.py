"""The layer catalog: every kind a user can place, its parameters, teaching text, shape rule and parameter count.

Each kind owns a short shape rule written in plain Python and checked against torch itself by the test suite.
Rules raise :class:`ShapeError` with a message that names the node and says how to fix the graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError, ShapeError, UnknownKindError, shown
from .shapes import Shape

PARAM_TYPES = ("int", "float", "bool", "choice", "shape")


@dataclass(frozen=True)
class Param:
    """One parameter of a layer kind: its type, default, range and a tooltip."""

    name: str
    type: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def range_text(self) -> str:
        if self.type == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type == "bool":
            return "true or false"
        if self.type == "shape":
            most = f" up to {_fmt(self.maximum)}" if self.maximum is not None else ""
            return f"a list of positive integers{most} (one of them may be -1)"
        kind = "an integer" if self.type == "int" else "a number"
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f"{kind} from {_fmt(lo)} to {_fmt(hi)}"
        if lo is not None:
            return f"{kind} of at least {_fmt(lo)}"
        return kind

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` normalised to this parameter's type, or raise a ParameterError naming ``where``."""

        def bad() -> ParameterError:
            return ParameterError(
                f"{where}: {self.name} must be {self.range_text()}. Received: {self.name}={shown(value)}",
                field=self.name,
            )

        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise bad()
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad()
            try:
                value = float(value)
            except OverflowError:  # an integer beyond any float, e.g. 1 followed by 400 zeros in a lab file
                raise bad() from None
            if not math.isfinite(value):
                raise bad()
        elif self.type == "bool":
            if not isinstance(value, bool):
                raise bad()
            return value
        elif self.type == "choice":
            if value not in self.choices:
                raise bad()
            return value
        elif self.type == "shape":
            if not isinstance(value, (list, tuple)) or not value:
                raise bad()
            items = list(value)
            if any(isinstance(v, bool) or not isinstance(v, int) or (v < 1 and v != -1)
                   or (self.maximum is not None and v > self.maximum) for v in items):
                raise bad()
            if items.count(-1) > 1 or len(items) > 3:
                raise bad()
            return items
        if self.minimum is not None and value < self.minimum:
            raise bad()
        if self.maximum is not None and value > self.maximum:
            raise bad()
        return value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


class RuleContext:
    """What a shape rule knows about the node it is judging: its kind, name and parameters."""

    def __init__(self, kind: str, node: str, params: Mapping[str, Any]) -> None:
        self.kind = kind
        self.node = node
        self.p = params

    @property
    def label(self) -> str:
        return f"{self.kind} {shown(self.node)}"

    def fail(self, text: str, field: str | None = None) -> ShapeError:
        return ShapeError(f"{self.label} {text}", node=self.node, field=field)


ShapeRule = Callable[[RuleContext, list[Shape]], Shape]
CountRule = Callable[[Mapping[str, Any], list[Shape]], int]


@dataclass(frozen=True)
class LayerKind:
    """A kind of layer in the catalog."""

    name: str
    category: str
    summary: str
    params: tuple[Param, ...]
    inputs: tuple[str, ...]
    rule: ShapeRule
    count: CountRule
    prefix: str
    key_params: tuple[str, ...] = ()
    details: str = ""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: (list(p.default) if isinstance(p.default, list) else p.default) for p in self.params}

    def check_params(self, params: Mapping[str, Any], node: str) -> dict[str, Any]:
        """Fill defaults and validate every value; raise ParameterError naming the node and field."""
        where = f"{self.name} {shown(node)}"
        known = {p.name for p in self.params}
        for key in params:
            if key not in known:
                hint = ", ".join(sorted(known)) or "none"
                raise ParameterError(
                    f"{where} has no parameter {shown(key)} (its parameters: {hint})", node=node, field=key
                )
        out = self.defaults()
        for p in self.params:
            if p.name in params:
                try:
                    out[p.name] = p.check(params[p.name], where)
                except ParameterError as e:
                    e.node = node
                    raise
        return out

    def output_shape(self, node: str, params: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        return self.rule(RuleContext(self.name, node, params), inputs)

    def parameter_count(self, params: Mapping[str, Any], inputs: list[Shape]) -> int:
        return self.count(params, inputs)

    def tooltip(self) -> str:
        text = f"{self.name}: {self.summary}"
        if self.details:
            text += "\n" + self.details
        return text


# --------------------------------------------------------------------------------------------------------------
# Shape rules


def _no_params(_p: Mapping[str, Any], _ins: list[Shape]) -> int:
    return 0


def _needs_float(ctx: RuleContext, s: Shape) -> None:
    if s.is_tokens:
        raise ctx.fail(f"receives {s.describe()}: token ids must pass through an Embedding first")


def _square_hint(n: int) -> str:
    side = math.isqrt(n)
    if side * side == n:
        return f"insert a Reshape to 1×{side}×{side}"
    for c in (3, 2, 4):
        if n % c == 0:
            side = math.isqrt(n // c)
            if side * side * c == n:
                return f"insert a Reshape to {c}×{side}×{side}"
    return "insert a Reshape to channels×height×width"


def _needs_image(ctx: RuleContext, s: Shape) -> None:
    _needs_float(ctx, s)
    if not s.is_image:
        hint = _square_hint(s.size) if s.rank == 1 else "insert a Reshape to channels×height×width"
        raise ctx.fail(f"needs an image input (C×H×W) but receives {s.describe()}: {hint}")


def _input_rule(ctx: RuleContext, _ins: list[Shape]) -> Shape:
    p = ctx.p
    kind = p["kind"]
    if kind == "vector":
        return Shape((p["features"],))
    if kind == "image":
        return Shape((p["channels"], p["height"], p["width"]))
    if kind == "sequence":
        return Shape((p["steps"], p["features"]))
    return Shape((p["steps"],), "index")


def _dense_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if s.is_image:
        raise ctx.fail(f"needs a vector input but receives {s.describe()}: insert a Flatten before it")
    return Shape(s.dims[:-1] + (ctx.p["units"],))


def _dense_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    n_in = ins[0].dims[-1]
    units: int = p["units"]
    return n_in * units + (units if p["bias"] else 0)


def _conv_out(size: int, k: int, s: int, pad: int) -> int:
    return (size + 2 * pad - k) // s + 1


def _conv_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    _c, h, w = s.dims
    k, st, pad = ctx.p["kernel_size"], ctx.p["stride"], ctx.p["padding"]
    if h + 2 * pad < k or w + 2 * pad < k:
        extra = f" with padding {pad}" if pad else ""
        raise ctx.fail(
            f"has kernel {k}, larger than its {h}×{w} input{extra}: use a kernel of at most "
            f"{min(h, w) + 2 * pad} or add padding",
            field="kernel_size",
        )
    groups = ctx.p.get("groups", 1)
    if _c % groups or ctx.p["filters"] % groups:
        raise ctx.fail(
            f"splits its {_c} input channels and {ctx.p['filters']} filters into {groups} groups: both must be "
            f"multiples of the groups",
            field="groups",
        )
    return Shape((ctx.p["filters"], _conv_out(h, k, st, pad), _conv_out(w, k, st, pad)))


def _conv_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    groups: int = p.get("groups", 1)
    c_in = ins[0].dims[0] // groups  # each filter sees only its group's channels
    filters: int = p["filters"]
    kernel: int = p["kernel_size"]
    return c_in * filters * kernel**2 + (filters if p["bias"] else 0)


def _convt_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    _c, h, w = s.dims
    k, st, pad, op = ctx.p["kernel_size"], ctx.p["stride"], ctx.p["padding"], ctx.p["output_padding"]
    if op >= st:
        raise ctx.fail(
            f"has output padding {op}, which must be smaller than its stride {st}", field="output_padding"
        )

    def out(n: int) -> int:
        return int((n - 1) * st - 2 * pad + k + op)

    if out(h) < 1 or out(w) < 1:
        raise ctx.fail(
            f"would produce an empty {out(h)}×{out(w)} image: reduce padding {pad} or enlarge the kernel",
            field="padding",
        )
    return Shape((ctx.p["filters"], out(h), out(w)))


def _pool_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    c, h, w = s.dims
    k, pad = ctx.p["kernel_size"], ctx.p["padding"]
    st = ctx.p["stride"] or k
    if 2 * pad > k:
        raise ctx.fail(f"has padding {pad}, more than half its kernel {k}: use padding of at most {k // 2}",
                       field="padding")
    if h + 2 * pad < k or w + 2 * pad < k:
        raise ctx.fail(
            f"has window {k}, larger than its {h}×{w} input: use a window of at most {min(h, w) + 2 * pad}",
            field="kernel_size",
        )
    return Shape((c, _conv_out(h, k, st, pad), _conv_out(w, k, st, pad)))


def _pad_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    c, h, w = s.dims
    pad = ctx.p["padding"]
    if ctx.p["mode"] == "reflect" and (pad >= h or pad >= w):
        raise ctx.fail(
            f"mirrors {pad} rows and columns of its {h}×{w} input, which has too few: reflection padding must be "
            f"smaller than the image's side (here at most {min(h, w) - 1}); use mode 'replicate' or 'zeros'",
            field="padding",
        )
    return Shape((c, h + 2 * pad, w + 2 * pad))


def _instancenorm_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    if s.dims[1] * s.dims[2] < 2:
        raise ctx.fail(f"normalizes each channel over its pixels but receives {s.describe()}, one pixel per "
                       f"channel: there is nothing to normalize (use BatchNorm, or keep the image larger)")
    return s


def _instancenorm_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    return 2 * ins[0].dims[0] if p["affine"] else 0


def _upsample_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    c, h, w = s.dims
    f = ctx.p["scale"]
    return Shape((c, h * f, w * f))


def _flatten_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    return Shape((s.size,))


def _reshape_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    target = list(ctx.p["shape"])
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        if s.size % known:
            raise ctx.fail(
                f"cannot reshape {s.describe()} ({s.size} values) to {_dims(target)}: {s.size} is not a "
                f"multiple of {known}",
                field="shape",
            )
        target[target.index(-1)] = s.size // known
    elif known != s.size:
        raise ctx.fail(
            f"cannot reshape {s.describe()} ({s.size} values) to {_dims(target)} ({known} values): "
            f"the sizes must match",
            field="shape",
        )
    return Shape(tuple(target))


def _dims(d: list[int]) -> str:
    return "×".join(str(x) for x in d)


def _same_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    return s


def _batchnorm_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if s.is_sequence:
        raise ctx.fail(f"receives {s.describe()}: use LayerNorm to normalize sequences")
    if s.rank not in (1, 3):
        raise ctx.fail(f"needs a vector or an image but receives {s.describe()}")
    return s


def _batchnorm_count(_p: Mapping[str, Any], ins: list[Shape]) -> int:
    return 2 * ins[0].dims[0]


def _layernorm_count(_p: Mapping[str, Any], ins: list[Shape]) -> int:
    s = ins[0]
    return 2 * (s.size if s.rank == 3 else s.dims[-1])


def _softmax_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if s.is_image:
        raise ctx.fail(f"turns a vector of scores into probabilities but receives {s.describe()}: "
                       f"insert a Flatten and a Dense before it")
    return s


def _embedding_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    if not (s.is_tokens and s.rank == 1):
        raise ctx.fail(
            f"reads token ids but receives {s.describe()}: connect it to an Input whose kind is 'tokens'"
        )
    return Shape((s.dims[0], ctx.p["dim"]))


def _embedding_count(p: Mapping[str, Any], _ins: list[Shape]) -> int:
    vocabulary: int = p["vocabulary"]
    dim: int = p["dim"]
    return vocabulary * dim


_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _recurrent_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if not s.is_sequence:
        hint = "insert a Reshape to steps×features" if s.rank == 1 else "it reads steps×features"
        raise ctx.fail(f"needs a sequence input (steps×features) but receives {s.describe()}: {hint}")
    width = ctx.p["hidden"] * (2 if ctx.p["bidirectional"] else 1)
    if ctx.p["output"] == "sequence":
        return Shape((s.dims[0], width))
    return Shape((width,))


def _recurrent_counter(kind: str) -> CountRule:
    gates = _GATES[kind]

    def count(p: Mapping[str, Any], ins: list[Shape]) -> int:
        h: int = p["hidden"]
        dirs = 2 if p["bidirectional"] else 1
        total = 0
        n_in = ins[0].dims[-1]
        for layer in range(p["layers"]):
            width = n_in if layer == 0 else h * dirs
            total += dirs * (gates * h * (width + h) + 2 * gates * h)
        return total

    return count


def _add_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    a, b = ins
    _needs_float(ctx, a)
    _needs_float(ctx, b)
    if a.dims != b.dims:
        raise ctx.fail(
            f"receives {a.describe()} on a and {b.describe()} on b: both inputs must have the same shape "
            f"(adjust the units or filters of one branch)"
        )
    return a


def _multiply_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    a, b = ins
    _needs_float(ctx, a)
    _needs_float(ctx, b)
    if a.dims == b.dims:
        return a
    for image, gate in ((a, b), (b, a)):
        if image.rank == 3 and gate.dims == (image.dims[0], 1, 1):
            return image
    raise ctx.fail(
        f"receives {a.describe()} on a and {b.describe()} on b: both inputs must have the same shape, or one "
        f"must hold one weight per channel of the other image (channels×1×1)"
    )


def _sample_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    mean, log_variance = ins
    _needs_float(ctx, mean)
    _needs_float(ctx, log_variance)
    if mean.dims != log_variance.dims:
        raise ctx.fail(
            f"receives a mean of {mean.describe()} and a log-variance of {log_variance.describe()}: both must have "
            f"the same shape, one pair per latent dimension"
        )
    return mean


def _concat_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    a, b = ins
    _needs_float(ctx, a)
    _needs_float(ctx, b)
    if a.rank != b.rank:
        raise ctx.fail(f"receives {a.describe()} on a and {b.describe()} on b: both must be of the same kind")
    if a.rank == 3:
        if a.dims[1:] != b.dims[1:]:
            raise ctx.fail(
                f"joins images along channels but their sizes differ ({a.dims[1]}×{a.dims[2]} and "
                f"{b.dims[1]}×{b.dims[2]}): make both branches keep the same height and width"
            )
        return Shape((a.dims[0] + b.dims[0],) + a.dims[1:])
    if a.dims[:-1] != b.dims[:-1]:
        raise ctx.fail(f"receives sequences of {a.dims[0]} and {b.dims[0]} steps: they must have equal lengths")
    return Shape(a.dims[:-1] + (a.dims[-1] + b.dims[-1],))


def _output_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    return s


# --------------------------------------------------------------------------------------------------------------
# The catalog

_BIAS = Param("bias", "bool", True, "Add a learned bias b to each output.")


def _act(name: str, summary: str, params: tuple[Param, ...] = (), details: str = "") -> LayerKind:
    return LayerKind(
        name=name,
        category="Activations",
        summary=summary,
        params=params,
        inputs=("in",),
        rule=_same_rule,
        count=_no_params,
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
            Param("channels", "int", 1, "Colour channels of an image: 1 for grayscale, 3 for RGB.", 1, 64),
            Param("height", "int", 28, "Image height in pixels.", 1, 1024),
            Param("width", "int", 28, "Image width in pixels.", 1, 1024),
            Param("steps", "int", 20, "Length of a sequence (time steps).", 1, 10000),
        ),
        (), _input_rule, _no_params, "input", ("kind",),
    ),
    LayerKind(
        "Dense", "Dense",
        "Fully connected: each output is a weighted sum of all inputs plus a bias, y = W·x + b.",
        (Param("units", "int", 16, "Number of outputs (neurons).", 1, 100000), _BIAS),
        ("in",), _dense_rule, _dense_count, "dense", ("units",),
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
        ("in",), _conv_rule, _conv_count, "conv", ("filters", "kernel_size", "stride", "padding"),
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
        ("in",), _convt_rule, _conv_count, "deconv", ("filters", "kernel_size", "stride"),
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
        ("in",), _pad_rule, _no_params, "pad", ("padding", "mode"),
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
        ("in",), _pool_rule, _no_params, "maxpool", ("kernel_size",),
    ),
    LayerKind(
        "AvgPool2d", "Pooling",
        "Averages each window: out = mean(window). A smooth way to shrink an image.",
        (
            Param("kernel_size", "int", 2, "Window width and height (the whole image for a global pool).", 1, 64),
            Param("stride", "int", 0, "Step between windows; 0 means equal to the window.", 0, 16),
            Param("padding", "int", 0, "Padding around the image (at most half the window).", 0, 8),
        ),
        ("in",), _pool_rule, _no_params, "avgpool", ("kernel_size",),
    ),
    LayerKind(
        "Upsample", "Pooling",
        "Enlarges an image by a whole factor, repeating pixels (nearest) or interpolating (bilinear). "
        "No parameters to learn.",
        (
            Param("scale", "int", 2, "Enlargement factor for height and width.", 1, 8),
            Param("mode", "choice", "nearest", "How new pixels are filled.", choices=("nearest", "bilinear")),
        ),
        ("in",), _upsample_rule, _no_params, "upsample", ("scale",),
    ),
    LayerKind(
        "Flatten", "Shape",
        "Lays an image or sequence out as one long vector, e.g. 1×28×28 → 784, so Dense layers can read it.",
        (), ("in",), _flatten_rule, _no_params, "flatten",
    ),
    LayerKind(
        "Reshape", "Shape",
        "Rearranges the same values into a new shape, e.g. 784 → 1×28×28 for a convolution.",
        (Param("shape", "shape", [1, 28, 28], "Target shape without the batch, e.g. [1, 28, 28]; one entry may "
               "be -1 to be inferred.", maximum=100_000_000),),
        ("in",), _reshape_rule, _no_params, "reshape", ("shape",),
    ),
    LayerKind(
        "Dropout", "Normalization & regularization",
        "During training zeroes each value with probability p and scales the rest by 1/(1−p); off at test time. "
        "Fights overfitting.",
        (Param("p", "float", 0.5, "Probability of dropping each value.", 0.0, 0.95),),
        ("in",), _same_rule, _no_params, "dropout", ("p",),
    ),
    LayerKind(
        "BatchNorm", "Normalization & regularization",
        "Normalizes each feature over the batch, y = γ·(x − μ_batch)/σ_batch + β. Speeds up and stabilizes "
        "training.",
        (Param("momentum", "float", 0.1, "How fast the running mean and variance follow the batches.", 0.0, 1.0),),
        ("in",), _batchnorm_rule, _batchnorm_count, "batchnorm",
        details="Per channel for images, per feature for vectors.",
    ),
    LayerKind(
        "InstanceNorm", "Normalization & regularization",
        "Normalizes each channel of each image over its own pixels, y = γ·(x − μ_image)/σ_image + β: no "
        "statistics of the batch, so every image is treated alone. Used in style transfer and GANs.",
        (Param("affine", "bool", True, "Learn a scale γ and a shift β per channel."),),
        ("in",), _instancenorm_rule, _instancenorm_count, "instancenorm", ("affine",),
        "The same at training and test time (no running averages).",
    ),
    LayerKind(
        "LayerNorm", "Normalization & regularization",
        "Normalizes each sample over its features, y = γ·(x − μ)/σ + β. Independent of the batch; "
        "used in sequence models.",
        (), ("in",), _same_rule, _layernorm_count, "layernorm",
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
        (), ("in",), _softmax_rule, _no_params, "softmax",
    ),
    LayerKind(
        "Embedding", "Recurrent",
        "Looks up a learned vector for each token id: a table of vocabulary × dim numbers.",
        (
            Param("vocabulary", "int", 64, "Number of distinct token ids.", 2, 100000),
            Param("dim", "int", 16, "Length of each token's vector.", 1, 4096),
        ),
        ("in",), _embedding_rule, _embedding_count, "embedding", ("vocabulary", "dim"),
    ),
    LayerKind(
        "RNN", "Recurrent",
        "Simple recurrent layer: h_t = tanh(W·x_t + U·h_(t−1) + b). Remembers, but gradients fade over long "
        "sequences.",
        _RECURRENT_PARAMS + (Param("nonlinearity", "choice", "tanh", "Activation of the hidden state.",
                                   choices=("tanh", "relu")),),
        ("in",), _recurrent_rule, _recurrent_counter("RNN"), "rnn", ("hidden", "output"),
    ),
    LayerKind(
        "GRU", "Recurrent",
        "Gated recurrent unit: an update gate z and a reset gate r decide how much of h_(t−1) to keep, "
        "h_t = (1−z)·h_(t−1) + z·h̃_t.",
        _RECURRENT_PARAMS, ("in",), _recurrent_rule, _recurrent_counter("GRU"), "gru", ("hidden", "output"),
    ),
    LayerKind(
        "LSTM", "Recurrent",
        "Long short-term memory: a cell c_t carried along with input, forget and output gates, "
        "c_t = f·c_(t−1) + i·g, h_t = o·tanh(c_t). Learns long-range dependencies.",
        _RECURRENT_PARAMS, ("in",), _recurrent_rule, _recurrent_counter("LSTM"), "lstm", ("hidden", "output"),
    ),
    LayerKind(
        "Add", "Merge",
        "Adds two tensors of the same shape element by element, a + b: the skip connection of residual blocks.",
        (), ("a", "b"), _add_rule, _no_params, "add",
    ),
    LayerKind(
        "Multiply", "Merge",
        "Multiplies two tensors element by element, a · b, or each channel of an image by its own weight (a "
        "C×1×1 input): a gate, as in squeeze-and-excitation, where a small branch decides how much of each channel "
        "passes.",
        (), ("a", "b"), _multiply_rule, _no_params, "multiply",
    ),
    LayerKind(
        "Sample", "Merge",
        "The reparameterization trick of a VAE: z = μ + e^(log σ²/2)·ε with ε drawn from N(0, 1), so the "
        "gradients reach μ and log σ² through a sum. At test time z = μ.",
        (), ("mean", "log_variance"), _sample_rule, _no_params, "sample",
        details="A VAE's encoder gives μ and log σ² for each latent dimension; the decoder reads z.",
    ),
    LayerKind(
        "Concat", "Merge",
        "Joins two tensors along features (vectors, sequences) or channels (images).",
        (), ("a", "b"), _concat_rule, _no_params, "concat",
    ),
    LayerKind(
        "Output", "Outputs",
        "Where the network's result leaves; its head says what the task does with it.",
        (Param("head", "choice", "classification", "classification: class scores, trained with softmax "
               "cross-entropy; regression: values, trained with mean squared error; the others feed the "
               "autoencoder, VAE and GAN tasks.",
               choices=("classification", "regression", "reconstruction", "code", "mean", "log_variance",
                        "generated", "realness")),),
        ("in",), _output_rule, _no_params, "output", ("head",),
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
