"""Forward traced into layers and edges: calls of layers, functional calls (F.relu, torch.cat, F.max_pool2d...),
tensor methods (view, flatten, size), adaptive pools, recurrent layers, joins and adds, and a VAE's sampling."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from playground.compile.kinds import FUNCTIONAL, STATEFUL_PATTERNS, PatternError
from playground.graph import Shape

from .builder import _Builder, _Layer
from .layers import _Layers
from .steps import CELLS, PER_STEP, _AfterLoop, _Step, _StepCount, _Steps, state_expected
from .values import (
    _BATCH,
    _MISSING,
    _Batch,
    _code,
    _FuncRef,
    _Halved,
    _Instance,
    _is_state_argument,
    _is_zero_state,
    _Jitter,
    _Leaf,
    _ModuleList,
    _node_name,
    _Noise,
    _Refused,
    _ReturnedState,
    _same,
    _SampleCount,
    _Seq,
    _ShapeOf,
    _Side,
    _Spread,
    _square,
    _State,
    _Tensor,
    _Unknown,
)
from .vocabulary import (
    _ADAPTIVE,
    _FUNCTIONAL,
    _PARAMETER_FREE,
    _RECURRENT_HINT,
    _prefix,
)


class _Forward(_Layers):
    """What forward's calls draw: each call of a layer or a function with a layer adds a node and its edges."""

    def call_module(self, module: Any, args: list[Any], kwargs: dict[str, Any], builder: _Builder,
                    node: ast.AST) -> Any:
        if isinstance(module, _Seq):
            if kwargs or len(args) != 1:
                raise _Refused(node, "an nn.Sequential takes one input")
            x = args[0]
            for item in module.items:
                if isinstance(item, _Leaf) and item.kind in STATEFUL_PATTERNS:
                    raise _Refused(item.call, f"nn.{item.kind} " + _RECURRENT_HINT.format(kind=item.kind))
                x = self.call_module(item, [x], {}, builder, node)
            return x
        if isinstance(module, _ModuleList):
            raise _Refused(node, "an nn.ModuleList cannot be called: loop over it or index it")
        if isinstance(module, _Instance):
            forward = self._m(module.cls, "forward")
            if forward is None:
                raise _Refused(node, f"class {module.cls.name} has no forward")
            return self.call(_FuncRef(forward, module), args, kwargs, node, builder)
        return self._call_leaf(module, args, kwargs, builder, node)

    def _call_leaf(self, leaf: _Leaf, args: list[Any], kwargs: dict[str, Any], builder: _Builder,
                   node: ast.AST) -> Any:
        """A layer made in __init__, called: the node its kind's import pattern reads, fed by the arguments."""
        if leaf.kind in CELLS:
            return self._cell(leaf, args, kwargs, builder, node)
        if any(isinstance(a, _Step) for a in args):
            return self._per_step(lambda xs: self._call_leaf(leaf, xs, kwargs, builder, node), args, builder, node)
        if leaf.kind in STATEFUL_PATTERNS:
            return self._recurrent(leaf, args, kwargs, builder, node)
        if kwargs or len(args) != 1 and leaf.kind not in ("Add", "Multiply", "Sample", "Concat"):
            raise _Refused(node, f"{_code(node)} passes {len(args) + len(kwargs)} inputs to a {leaf.kind}, which "
                                 f"takes one")
        leaf.uses += 1
        if leaf.uses > 1 and leaf.kind not in _PARAMETER_FREE:
            where = f"self.{leaf.path}" if leaf.path else f"the {leaf.kind}"
            raise _Refused(node, f"{where} is used twice: its weights are shared between both uses, which the "
                                 f"editor cannot draw (declare a second layer for the second use)")
        sources = []
        for a in args:
            sources.append(self._tensor_of(a, node))
        if leaf.kind == "LogSoftmax":
            return self._log_softmax(sources[0], leaf.args.get("dim", _MISSING), leaf.call)
        if leaf.kind == "Dropout2d":
            leaf = _Leaf("Dropout", {"p": leaf.args.get("p", 0.5)}, leaf.call, leaf.path)
        if leaf.kind in _ADAPTIVE:
            return self._adaptive(leaf.kind, leaf.args.get("output_size", _MISSING), sources[0], leaf.call, builder,
                                  _node_name(leaf.path))
        implicit = leaf.kind == "Softmax" and "dim" not in leaf.args
        if implicit:
            leaf = _Leaf("Softmax", {"dim": -1}, leaf.call, leaf.path)
        layer = self.translate(leaf, builder)
        if implicit:  # torch picks the dimension: the features of a batch of vectors, but the batch of sequences
            layer.expects = lambda s: None if s.rank == 1 else (f"without dim receives {s.describe()}, where torch "
                                                                f"would pick another dimension: write dim=-1")
        layer.sources = [s.node for s in sources]
        builder.add(layer)
        return _Tensor(layer.name)

    def _recurrent(self, leaf: _Leaf, args: list[Any], kwargs: dict[str, Any], builder: _Builder,
                   node: ast.AST) -> Any:
        kind = leaf.kind
        a = dict(leaf.args)
        for pname, value in a.items():
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {pname} of nn.{kind}")
        try:
            found = STATEFUL_PATTERNS[kind].read(a)
        except PatternError as e:
            raise _Refused(leaf.call, str(e)) from None
        passed_in = len(args) == 2 and _is_state_argument(args[1])
        if kwargs or not args or len(args) > 2 or (len(args) == 2 and not _is_zero_state(args[1]) and not passed_in):
            raise _Refused(node, f"{_code(node)} passes a starting state to nn.{kind}: the editor's {kind} starts "
                                 f"from zeros (leave the state out, or pass zeros or None)")
        leaf.uses += 1
        if leaf.uses > 1:
            raise _Refused(node, f"self.{leaf.path} is used twice: its weights are shared between both uses, which "
                                 f"the editor cannot draw")
        source = self._tensor_of(args[0], node)
        name = builder.claim(_node_name(leaf.path), kind.lower())
        builder.add(_Layer(name, found.kind, found.params, leaf.call.lineno, [source.node], size=found.size,
                           expects=found.expects))
        if builder.states:  # forward was given a state: the one this layer returns is dropped from its outputs
            state = _ReturnedState(node)
            return (_Tensor(name), (state, state) if kind == "LSTM" else state)
        return (_Tensor(name), _Unknown(node))

    def _cell(self, leaf: _Leaf, args: list[Any], kwargs: dict[str, Any], builder: _Builder,
              node: ast.AST) -> Any:
        """``nn.LSTMCell`` called at one step of a loop over time steps: the recurrent layer over the whole
        sequence, when its state starts from zeros and each step reads the state the step before returned (the
        loop checks that its body writes the state back; see the interpreter's step loop)."""
        loop = self.step_loops[-1] if self.step_loops else None
        step = args[0] if args else None
        if loop is None or not isinstance(step, _Step) or step.loop is not loop.node or not step.node:
            raise _Refused(node, f"{_code(node)} calls nn.{leaf.kind} outside a loop over the time steps of a "
                                 f"sequence: the editor draws a cell only as the recurrent layer it runs (loop "
                                 f"'for x_t in x.split(1, dim=1)', or use nn.{CELLS[leaf.kind]})")
        if kwargs or len(args) > 2:
            raise _Refused(node, f"{_code(node)} passes nn.{leaf.kind} more than an input and a state")
        if leaf.uses:
            raise _Refused(node, f"{_code(node)} runs nn.{leaf.kind} twice in one time step, which is not one "
                                 f"recurrent layer: declare a cell for each")
        if not _is_zero_state(args[1] if len(args) == 2 else None):
            raise _Refused(node, f"{_code(node)} starts nn.{leaf.kind} from a state other than zeros: the "
                                 f"editor's {CELLS[leaf.kind]} starts from zeros (make the state with torch.zeros "
                                 f"before the loop)")
        loop.cells.append((leaf, node))
        kind = CELLS[leaf.kind]
        a = {k: v for k, v in leaf.args.items() if k != "nonlinearity" or kind == "RNN"}
        if a.pop("bias", True) is not True:
            raise _Refused(leaf.call, f"nn.{leaf.kind} without bias cannot be drawn: the editor's {kind} has biases")
        layer = self._recurrent(_Leaf(kind, {**a, "batch_first": True}, leaf.call, leaf.path),
                                [_Tensor(step.node)], {}, builder, node)[0]
        made = builder.layer(layer.node)
        if made is not None:
            _reads_steps(made)
        leaf.uses += 1
        out = tuple(_Step(layer.node if i == 0 else "", loop.node, leaf, i) for i in range(state_expected(leaf)))
        return out if len(out) > 1 else out[0]

    def _per_step(self, apply: Callable[[list[Any]], Any], args: list[Any], builder: _Builder,
                  node: ast.AST) -> Any:
        """A layer applied to one time step inside a loop over steps: applied to every step, the same layer over
        the sequence, for layers that compute each step on its own (Linear, activations, dropout)."""
        step = args[0]
        if len(args) != 1 or not isinstance(step, _Step) or not step.node:
            raise _Refused(node, f"{_code(node)} mixes a time step with other values, which the editor cannot draw")
        before = len(builder.layers)
        out = apply([_Tensor(step.node)])
        added = builder.layers[before:]
        if not isinstance(out, _Tensor) or out.final or not added \
                or any(layer.kind not in PER_STEP for layer in added):
            raise _Refused(node, f"{_code(node)} applies to one time step a layer that does not compute each step "
                                 f"on its own (the editor draws Linear, activations and dropout inside a loop over "
                                 f"steps)")
        _reads_steps(added[0])
        return _Step(out.node, step.loop)

    def _joined_steps(self, name: str, parts: list[Any], dim: Any, call: ast.Call, builder: _Builder) -> Any:
        """``torch.cat(outputs, dim=1)`` or ``torch.stack(outputs, dim=1)`` of one value collected per step of
        a loop: the sequence of those values (stacked), or its steps side by side (joined, a Flatten)."""
        first = parts[0] if parts else None
        if len(parts) != 1 or not isinstance(first, _Step) or not first.node or dim != 1:
            raise _Refused(call, f"{_code(call)} must join one value per time step along dim=1 to be drawn "
                                 f"(collect each step's output once, then torch.{name}(outputs, dim=1))")
        if name == "stack":
            return _Tensor(first.node)
        return self._single("Flatten", _Tensor(first.node), {}, call, builder)

    def _tensor_of(self, value: Any, node: ast.AST) -> _Tensor:
        if isinstance(value, _Step):
            raise _Refused(node, f"{_code(node)} uses one time step where the editor needs the whole sequence: "
                                 f"collect the steps and join them with torch.stack(outputs, dim=1)")
        if isinstance(value, _AfterLoop):
            raise value.refuse(node)
        if isinstance(value, _Tensor):
            if value.final:
                raise _Refused(node, f"{_code(node)} uses the result of {value.final}, which the editor draws only "
                                     f"as the last step of a classifier")
            return value
        if isinstance(value, _Unknown):
            raise value.refuse("as a layer's input")
        raise _Refused(node, f"{_code(node)} gives a layer an input that is not a tensor of the network")

    def _merge(self, kind: str, parts: list[Any], node: ast.AST, builder: _Builder) -> _Tensor:
        tensors = [self._tensor_of(p, node) for p in parts]
        if len(tensors) < 2:
            raise _Refused(node, f"{_code(node)} joins fewer than two tensors")
        current = tensors[0]
        for other in tensors[1:]:
            layer = _Layer(builder.fresh(kind.lower()), kind, {}, getattr(node, "lineno", 0),
                           [current.node, other.node])
            builder.add(layer)
            current = _Tensor(layer.name)
        return current

    def _single(self, kind: str, x: Any, params: dict[str, Any], call: ast.Call, builder: _Builder) -> _Tensor:
        source = self._tensor_of(x, call)
        layer = _Layer(builder.fresh(_prefix(kind)), kind, params, call.lineno, [source.node])
        builder.add(layer)
        return _Tensor(layer.name)

    def _adaptive(self, kind: str, size: Any, x: _Tensor, call: ast.AST, builder: _Builder,
                  own: str | None) -> _Tensor:
        """nn.AdaptiveAvgPool2d(n): a pool whose window is worked out from the image arriving (n divides its side)."""
        if isinstance(size, _Unknown):
            raise size.refuse(f"as the output size of {kind}")
        n = _square(size) if size is not _MISSING else None
        if n is None or n < 1:
            raise _Refused(call, f"{kind} with output size {size!r} cannot be drawn: give one whole size, e.g. 1")
        pool = _ADAPTIVE[kind]

        def resolve(s: Shape) -> dict[str, Any] | str:
            if s.rank != 3 or s.dims[1] != s.dims[2] or s.dims[1] % n:
                return (f"pools {s.describe()} to {n}×{n}, which the editor's {pool} does only for a square image "
                        f"whose side {n} divides")
            return {"kernel_size": s.dims[1] // n, "stride": 0, "padding": 0}

        layer = _Layer(builder.claim(own, _prefix(pool)), pool, {"kernel_size": 1, "stride": 0, "padding": 0},
                       getattr(call, "lineno", 0), [x.node], resolve=resolve)
        builder.add(layer)
        return _Tensor(layer.name)

    def _log_softmax(self, x: _Tensor, dim: Any, node: ast.AST) -> _Tensor:
        if dim not in (-1, 1, _MISSING):
            raise _Refused(node, f"log_softmax(dim={dim!r}) cannot be drawn: only over the classes (dim=1 or -1)")
        return _Tensor(x.node, "log_softmax")

    def _tensor_subscript(self, x: _Tensor, expr: ast.Subscript, builder: _Builder | None) -> Any:
        text = ast.unparse(expr.slice).replace(" ", "").strip("()")
        if builder is not None and text in (":,-1", ":,-1,:"):
            layer = builder.layer(x.node)
            if layer is None or layer.kind not in ("RNN", "GRU", "LSTM") or layer.params["output"] != "sequence" \
                    or builder.consumers(x.node):
                raise _Refused(expr, f"{_code(expr)} takes the last step of a sequence: the editor draws that only "
                                     f"right after a recurrent layer")
            layer.params["output"] = "last"
            return x
        raise _Refused(expr, f"{_code(expr)} slices a tensor, which the editor has no layer for")

    def tensor_method(self, x: _Tensor, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
                      builder: _Builder) -> Any:
        if name == "size":
            if args == [0] or kwargs == {"dim": 0}:
                return _BATCH
            if not args and not kwargs:
                return _ShapeOf(x)
            if args == [1] and not kwargs or kwargs == {"dim": 1} and not args:
                return _StepCount(x, call)  # only range() reads it: the steps of a sequence to loop over
            if len(args) == 1 and not kwargs and args[0] in (2, 3, -1, -2) and not isinstance(args[0], bool):
                return _Side(call, x)
            raise _Refused(call, f"{_code(call)} reads a size of the data other than the batch, which the editor "
                                 f"cannot draw")
        if name in ("split", "unbind"):
            return self._steps(x, name, args, kwargs, call)
        if name in ("view", "reshape"):
            dims = list(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else list(args)
            return self._reshape(x, dims, call, builder)
        if name == "flatten":
            start = args[0] if args else kwargs.get("start_dim", 0)
            if start != 1 or (len(args) > 1 and args[1] != -1):
                raise _Refused(call, f"{_code(call)} must keep the batch to be drawn: write .flatten(1)")
            return self._single("Flatten", x, {}, call, builder)
        if name in ("to", "contiguous", "float", "cuda", "cpu", "clone", "detach", "type_as"):
            return x
        low = args[0] if args else kwargs.get("min")
        if name in ("clamp", "clamp_", "clamp_min", "clamp_min_") and not args[1:] and kwargs.get("max") is None \
                and isinstance(low, (int, float)) and low == 0:
            return self._single("ReLU", x, {}, call, builder)  # x.clamp(min=0) is a ReLU
        if name in _FUNCTIONAL:
            return self.function(name, [x, *args], kwargs, call, builder)
        raise _Refused(call, f"{_code(call)} is a tensor operation the editor has no layer for")

    def _steps(self, x: _Tensor, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call) -> _Steps:
        """``x.split(1, dim=1)`` or ``x.unbind(1)``: the time steps of x, to be looped over."""
        if name == "split":
            size = args[0] if args else kwargs.get("split_size_or_sections", kwargs.get("split_size"))
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            ok = size == 1 and dim == 1 and len(args) + len(kwargs) == 2
        else:
            ok = (args == [1] and not kwargs) or (kwargs == {"dim": 1} and not args)
        if not ok:
            raise _Refused(call, f"{_code(call)} is a tensor operation the editor has no layer for (it reads "
                                 f"x.split(1, dim=1) and x.unbind(1) as a loop over time steps)")
        return _Steps(self._tensor_of(x, call), call, name)

    def _reshape(self, x: _Tensor, dims: list[Any], call: ast.Call, builder: _Builder) -> _Tensor:
        if len(dims) == 2 and (dims[0] is _BATCH or dims[0] == -1) and isinstance(dims[1], _SampleCount) \
                and dims[1].tensor == x:
            return self._single("Flatten", x, {}, call, builder)  # x.view(-1, self.num_flat_features(x))
        if dims and dims[0] is _BATCH:
            rest = dims[1:]
            if rest == [-1]:
                return self._single("Flatten", x, {}, call, builder)
        elif dims and dims[0] == -1:
            rest = dims[1:]
            if -1 in rest:
                raise _Refused(call, f"{_code(call)} leaves two sizes open")
        else:
            raise _Refused(call, f"{_code(call)} must keep the batch first to be drawn: write "
                                 f"x.view(x.size(0), -1) or x.view(-1, size)")
        if not rest or not all(isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1) for d in rest):
            raise _Refused(call, f"{_code(call)} reshapes to sizes the importer cannot read as numbers")
        if len(rest) > 3:
            raise _Refused(call, f"{_code(call)} reshapes to {len(rest)} dimensions: the editor's Reshape has at "
                                 f"most 3")
        return self._single("Reshape", x, {"shape": rest}, call, builder)

    def function(self, name: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
                 builder: _Builder) -> Any:
        """torch.relu(x), F.max_pool2d(x, 2), torch.flatten(x, 1), torch.cat((a, b), 1), F.log_softmax(x, 1)..."""
        base = name.rstrip("_") if name.endswith("_") and not name.startswith("_") else name
        if args and isinstance(args[0], _Step) and base not in ("cat", "stack"):
            return self._per_step(lambda xs: self.function(name, [*xs, *args[1:]], kwargs, call, builder), args,
                                  builder, call)
        if base in ("cat", "stack"):
            parts = args[0] if args else kwargs.get("tensors")
            if isinstance(parts, (tuple, list)) and any(isinstance(p, _Step) for p in parts):
                return self._joined_steps(base, list(parts), args[1] if len(args) > 1 else kwargs.get("dim", 0),
                                          call, builder)
        if base in ("split", "unbind") and args and isinstance(args[0], _Tensor):
            return self._steps(args[0], base, list(args[1:]), kwargs, call)
        if base in ("zeros", "ones", "zeros_like") and all(isinstance(a, (int, _Batch)) for a in args):
            return _State()
        if base == "cat":
            parts = args[0] if args else kwargs.get("tensors")
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            if not isinstance(parts, (tuple, list)):
                raise _Refused(call, "torch.cat needs a tuple of tensors written out: torch.cat((a, b), dim=1)")
            if dim == 0 or not isinstance(dim, int):
                raise _Refused(call, f"{_code(call)} joins along dim={dim!r}: the editor's Concat joins features "
                                     f"or channels (dim=1)")
            out = self._merge("Concat", list(parts), call, builder)
            concat = builder.layer(out.node)
            if concat is not None:
                concat.expects = _concat_dim(dim)
                node = builder.layer(out.node)
                assert node is not None
            return out
        if base == "add" and len(args) == 2:
            return self._merge("Add", list(args), call, builder)
        if base == "mul" and len(args) == 2:
            return self._merge("Multiply", list(args), call, builder)
        if base == "exp" and len(args) == 1 and not kwargs and isinstance(args[0], _Halved):
            return _Spread(args[0].tensor)  # the standard deviation, from a log-variance
        if base == "randn_like" and len(args) == 1 and not kwargs and isinstance(args[0], _Spread):
            return _Noise(args[0])
        return self._functional(base, args, kwargs, call, builder)

    def _functional(self, base: str, args: list[Any], kwargs: dict[str, Any], call: ast.Call,
                    builder: _Builder) -> Any:
        """F.relu(x), F.max_pool2d(x, 2), torch.flatten(x, 1), F.log_softmax(x, 1)...: a call with a layer."""
        if base not in _FUNCTIONAL:
            raise _Refused(call, f"{_code(call.func)}(...) is not a layer the editor knows: use layers declared in "
                                 f"__init__")
        if not args:
            raise _Refused(call, f"{_code(call.func)} needs an input")
        x = args[0]
        extra = args[1:]

        def arg(i: int, key: str, default: Any) -> Any:
            value = kwargs.get(key, extra[i] if len(extra) > i else default)
            if isinstance(value, _Unknown):
                raise value.refuse(f"as the {key} of {base}")
            return value

        if base == "log_softmax":
            return self._log_softmax(self._tensor_of(x, call), arg(0, "dim", _MISSING), call)
        if base in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
            kind = "AdaptiveAvgPool2d" if base == "adaptive_avg_pool2d" else "AdaptiveMaxPool2d"
            return self._adaptive(kind, arg(0, "output_size", _MISSING), self._tensor_of(x, call), call, builder, None)
        if base in ("max_pool2d", "avg_pool2d"):
            return self._functional_pool(base, x, extra, kwargs, arg, call, builder)
        if base in ("dropout", "dropout2d"):
            p = arg(0, "p", 0.5)
            if kwargs.get("training", True) is False:
                return x
            return self._single("Dropout", x, {"p": float(p)}, call, builder)
        if base == "flatten":
            start = arg(0, "start_dim", 0)
            if start != 1 or arg(1, "end_dim", -1) != -1:
                raise _Refused(call, "torch.flatten must keep the batch: torch.flatten(x, 1)")
            return self._single("Flatten", x, {}, call, builder)
        if base == "interpolate":
            scale = arg(1, "scale_factor", None)
            mode = arg(2, "mode", "nearest")
            return self._functional_layer(_Leaf("Upsample", {"scale_factor": scale, "mode": mode}, call), x, call,
                                          builder)
        # An activation: F.leaky_relu(x, 0.2) takes the arguments of nn.LeakyReLU(0.2) after its input, so the
        # kind's import pattern reads them (and refuses what the editor's layer cannot hold).
        return self._functional_layer(self._twin(base, arg, call), x, call, builder)

    def _twin(self, base: str, arg: Callable[[int, str, Any], Any], call: ast.Call) -> _Leaf:
        """The nn constructor a functional call stands for, with the arguments after its input."""
        pattern = FUNCTIONAL[base]
        a = {n: arg(i, n, _MISSING) for i, n in enumerate(pattern.functional_arguments)}
        return _Leaf(pattern.name, {k: v for k, v in a.items() if v is not _MISSING}, call)

    def _functional_pool(self, base: str, x: Any, extra: list[Any], kwargs: dict[str, Any],
                         arg: Callable[[int, str, Any], Any], call: ast.Call, builder: _Builder) -> _Tensor:
        kind = "MaxPool2d" if base == "max_pool2d" else "AvgPool2d"
        window = extra[0] if extra else kwargs.get("kernel_size")
        if isinstance(window, _Side) and window.tensor == x and len(extra) <= 1 and set(kwargs) <= {"kernel_size"}:
            # F.avg_pool2d(x, x.size(2)): one window over the whole (square) image
            return self._adaptive("AdaptiveAvgPool2d" if kind == "AvgPool2d" else "AdaptiveMaxPool2d", 1,
                                  self._tensor_of(x, call), call, builder, None)
        return self._functional_layer(self._twin(base, arg, call), x, call, builder)

    def _functional_layer(self, leaf: _Leaf, x: Any, call: ast.Call, builder: _Builder) -> _Tensor:
        """F.max_pool2d(x, 2), F.interpolate(x, scale_factor=2): the layer its nn twin makes, reading ``x``."""
        layer = self.translate(leaf, builder)
        layer.sources = [self._tensor_of(x, call).node]
        builder.add(layer)
        return _Tensor(layer.name)

    def _reparameterization(self, op: ast.operator, a: Any, b: Any, node: ast.AST,
                            builder: _Builder | None) -> Any:
        """A VAE's sampling, step by step: std = torch.exp(0.5 * logvar) (or logvar / 2), eps =
        torch.randn_like(std), z = mu + eps * std, drawn as one Sample layer. None for any other arithmetic."""
        half = (isinstance(op, ast.Mult) and any(_same(v, 0.5) for v in (a, b))) \
            or (isinstance(op, ast.Div) and _same(b, 2))
        if half:
            tensor = a if isinstance(a, _Tensor) else b
            if isinstance(tensor, _Tensor) and not tensor.final:
                return _Halved(tensor)
        if isinstance(op, ast.Mult):
            noise, spread = (a, b) if isinstance(a, _Noise) else (b, a)
            if isinstance(noise, _Noise) and isinstance(spread, _Spread) and noise.spread == spread:
                return _Jitter(spread.log_variance)
        if isinstance(op, ast.Add) and builder is not None:
            mean, jitter = (a, b) if isinstance(b, _Jitter) else (b, a)
            if isinstance(jitter, _Jitter) and isinstance(mean, _Tensor):
                mean = self._tensor_of(mean, node)
                layer = _Layer(builder.fresh("sample"), "Sample", {}, getattr(node, "lineno", 0),
                               [mean.node, jitter.log_variance.node])
                builder.add(layer)
                return _Tensor(layer.name)
        return None


def _reads_steps(layer: _Layer) -> None:
    """A layer reading one time step in a loop reads the whole sequence: it must arrive as one (steps, features)."""
    inner = layer.expects

    def check(s: Shape) -> str | None:
        if s.rank != 2:
            return (f"reads the time steps of {s.describe()}, which the editor draws only for a sequence of "
                    f"(steps, features)")
        return inner(s) if inner is not None else None

    layer.expects = check


def _concat_dim(dim: int) -> Callable[[Shape], str | None]:
    """What is wrong with joining along ``dim`` (with the batch first) what arrives, if anything."""

    def check(s: Shape) -> str | None:
        rank = s.rank + 1
        own = 1 if s.rank in (1, 3) else rank - 1  # channels of an image, features of a vector or a sequence
        if dim % rank == own % rank:
            return None
        return (f"joins along dim={dim} of {s.describe()}: the editor's Concat joins along "
                f"{'channels' if s.rank == 3 else 'features'} (dim={own})")

    return check
