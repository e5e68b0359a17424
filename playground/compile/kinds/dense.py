"""Dense and the activations (Softmax included): each a single torch.nn module with at most one setting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from playground.graph import Shape

from .base import CodeWriter, Imported, ImportPattern, KindHome, Params, PatternError, bias_code, first


def _dense(p: Params, inputs: Sequence[Shape]) -> nn.Module:
    return nn.Linear(first(inputs).dims[-1], p["units"], bias=p["bias"])


def _read_linear(a: dict[str, Any]) -> Imported:
    n_in = a["in_features"]
    return Imported("Dense", {"units": a["out_features"], "bias": bool(a.get("bias", True))},
                    expects=lambda s: None if s.dims[-1] == n_in else
                    f"expects {n_in} input features but receives {s.describe()}", size=n_in)


DENSE = KindHome(
    "Dense", _dense,
    (CodeWriter(nn.Linear, lambda m: f"nn.Linear({m.in_features}, {m.out_features}{bias_code(m)})"),),
    (ImportPattern("Linear", ("in_features", "out_features", "bias", "device", "dtype"), _read_linear),),
)


def _plain(kind: str, module: type[nn.Module], signature: tuple[str, ...] = (), functional: tuple[str, ...] = (),
           eval_identity: bool = False) -> KindHome:
    """An activation without settings: built, written and read back as the bare class."""
    return KindHome(
        kind, lambda p, inputs: module(),
        (CodeWriter(module, lambda m: f"nn.{module.__name__}()"),),
        (ImportPattern(module.__name__, signature, lambda a: Imported(kind, {}), functional=functional),),
        eval_identity=eval_identity,
    )


def _one_setting(kind: str, module: type[nn.Module], param: str, torch_name: str, default: float,
                 build: Callable[[float], nn.Module], signature: tuple[str, ...], functional: str,
                 fixed: dict[str, Any] | None = None, keyword: bool = False) -> KindHome:
    """An activation with one number: the catalog calls it ``param``, torch ``torch_name``."""
    written = f"{torch_name}=" if keyword else ""
    return KindHome(
        kind, lambda p, inputs: build(p[param]),
        (CodeWriter(module, lambda m: f"nn.{module.__name__}({written}{getattr(m, torch_name)!r})"),),
        (ImportPattern(module.__name__, signature,
                       lambda a: Imported(kind, {param: float(a.get(torch_name, default))}), fixed or {},
                       functional=(functional,)),),
    )


def _gelu_code(m: nn.GELU) -> str:
    return "nn.GELU()" if m.approximate == "none" else f"nn.GELU(approximate={m.approximate!r})"


def _read_softmax(a: dict[str, Any]) -> Imported:
    dim = a.get("dim")
    if dim not in (-1, 1):
        raise PatternError(f"Softmax(dim={dim!r}) cannot be drawn: the editor's Softmax is over the last "
                           f"dimension (dim=-1)")
    return Imported("Softmax", {})


HOMES = (
    DENSE,
    _plain("ReLU", nn.ReLU, ("inplace",), ("relu",)),
    _one_setting("LeakyReLU", nn.LeakyReLU, "slope", "negative_slope", 0.01, nn.LeakyReLU,
                 ("negative_slope", "inplace"), "leaky_relu"),
    _plain("Sigmoid", nn.Sigmoid, functional=("sigmoid",)),
    _plain("Tanh", nn.Tanh, functional=("tanh",)),
    KindHome("GELU", lambda p, inputs: nn.GELU(), (CodeWriter(nn.GELU, _gelu_code),),
             (ImportPattern("GELU", ("approximate",), lambda a: Imported("GELU", {}), {"approximate": "none"},
                            functional=("gelu",)),)),
    _one_setting("Softplus", nn.Softplus, "beta", "beta", 1.0, lambda beta: nn.Softplus(beta=beta),
                 ("beta", "threshold"), "softplus", {"threshold": 20.0}, keyword=True),
    _plain("Identity", nn.Identity, eval_identity=True),
    KindHome("Softmax", lambda p, inputs: nn.Softmax(dim=-1),
             (CodeWriter(nn.Softmax, lambda m: f"nn.Softmax(dim={m.dim!r})"),),
             (ImportPattern("Softmax", ("dim",), _read_softmax, functional=("softmax",)),)),
)
