"""The shape rules and parameter counts of the layer kinds, in plain Python.

Each rule takes the node's :class:`RuleContext` and its input shapes and returns its output shape, or raises
:class:`ShapeError` with a message that names the node and says how to fix the graph. The test suite holds every rule
against torch itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .layer_kind import CountRule, RuleContext
from .shapes import Shape


def no_params(_p: Mapping[str, Any], _ins: list[Shape]) -> int:
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


def input_rule(ctx: RuleContext, _ins: list[Shape]) -> Shape:
    p = ctx.p
    kind = p["kind"]
    if kind == "vector":
        return Shape((p["features"],))
    if kind == "image":
        return Shape((p["channels"], p["height"], p["width"]))
    if kind == "sequence":
        return Shape((p["steps"], p["features"]))
    return Shape((p["steps"],), "index")


def dense_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if s.is_image:
        raise ctx.fail(f"needs a vector input but receives {s.describe()}: insert a Flatten before it")
    return Shape(s.dims[:-1] + (ctx.p["units"],))


def dense_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    n_in = ins[0].dims[-1]
    units: int = p["units"]
    return n_in * units + (units if p["bias"] else 0)


def _conv_out(size: int, k: int, s: int, pad: int) -> int:
    return (size + 2 * pad - k) // s + 1


def conv_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def conv_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    groups: int = p.get("groups", 1)
    c_in = ins[0].dims[0] // groups  # each filter sees only its group's channels
    filters: int = p["filters"]
    kernel: int = p["kernel_size"]
    return c_in * filters * kernel**2 + (filters if p["bias"] else 0)


def convt_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def pool_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def pad_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def instancenorm_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    if s.dims[1] * s.dims[2] < 2:
        raise ctx.fail(f"normalizes each channel over its pixels but receives {s.describe()}, one pixel per "
                       f"channel: there is nothing to normalize (use BatchNorm, or keep the image larger)")
    return s


def instancenorm_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    return 2 * ins[0].dims[0] if p["affine"] else 0


def groupnorm_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    c = s.dims[0]
    groups = ctx.p["groups"]
    if c % groups:
        divisors = [d for d in range(1, c + 1) if c % d == 0]
        raise ctx.fail(f"splits {c} channels into {groups} groups, which do not divide them evenly: choose one of "
                       f"{', '.join(map(str, divisors))}", field="groups")
    return s


def groupnorm_count(p: Mapping[str, Any], ins: list[Shape]) -> int:
    return 2 * ins[0].dims[0] if p["affine"] else 0


def upsample_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    c, h, w = s.dims
    f = ctx.p["scale"]
    return Shape((c, h * f, w * f))


def pixel_shuffle_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_image(ctx, s)
    c, h, w = s.dims
    r = ctx.p["factor"]
    if c % (r * r):
        fits = [f for f in range(2, 9) if c % (f * f) == 0]
        hint = (f"choose a factor of {' or '.join(map(str, fits))}" if fits
                else f"give the convolution before it a multiple of {r * r} filters")
        raise ctx.fail(f"turns {c} channels into blocks of {r}×{r} = {r * r} pixels, but {c} is not a multiple of "
                       f"{r * r}: {hint}", field="factor")
    return Shape((c // (r * r), h * r, w * r))


def flatten_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    return Shape((s.size,))


def reshape_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def same_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    return s


def batchnorm_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if s.is_sequence:
        raise ctx.fail(f"receives {s.describe()}: use LayerNorm to normalize sequences")
    if s.rank not in (1, 3):
        raise ctx.fail(f"needs a vector or an image but receives {s.describe()}")
    return s


def batchnorm_count(_p: Mapping[str, Any], ins: list[Shape]) -> int:
    return 2 * ins[0].dims[0]


def layernorm_count(_p: Mapping[str, Any], ins: list[Shape]) -> int:
    s = ins[0]
    return 2 * (s.size if s.rank == 3 else s.dims[-1])


def softmax_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if s.is_image:
        raise ctx.fail(f"turns a vector of scores into probabilities but receives {s.describe()}: "
                       f"insert a Flatten and a Dense before it")
    return s


def embedding_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    if not (s.is_tokens and s.rank == 1):
        raise ctx.fail(
            f"reads token ids but receives {s.describe()}: connect it to an Input whose kind is 'tokens'"
        )
    return Shape((s.dims[0], ctx.p["dim"]))


def embedding_count(p: Mapping[str, Any], _ins: list[Shape]) -> int:
    vocabulary: int = p["vocabulary"]
    dim: int = p["dim"]
    return vocabulary * dim


_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    if not s.is_sequence:
        hint = "insert a Reshape to steps×features" if s.rank == 1 else "it reads steps×features"
        raise ctx.fail(f"needs a sequence input (steps×features) but receives {s.describe()}: {hint}")
    width = ctx.p["hidden"] * (2 if ctx.p["bidirectional"] else 1)
    if ctx.p["output"] == "sequence":
        return Shape((s.dims[0], width))
    return Shape((width,))


def recurrent_counter(kind: str) -> CountRule:
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


def add_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    a, b = ins
    _needs_float(ctx, a)
    _needs_float(ctx, b)
    if a.dims != b.dims:
        raise ctx.fail(
            f"receives {a.describe()} on a and {b.describe()} on b: both inputs must have the same shape "
            f"(adjust the units or filters of one branch)"
        )
    return a


def multiply_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def sample_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    mean, log_variance = ins
    _needs_float(ctx, mean)
    _needs_float(ctx, log_variance)
    if mean.dims != log_variance.dims:
        raise ctx.fail(
            f"receives a mean of {mean.describe()} and a log-variance of {log_variance.describe()}: both must have "
            f"the same shape, one pair per latent dimension"
        )
    return mean


def concat_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
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


def output_rule(ctx: RuleContext, ins: list[Shape]) -> Shape:
    (s,) = ins
    _needs_float(ctx, s)
    return s
