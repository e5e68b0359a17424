"""Graph to torch: each network compiles to a readable ``torch.fx.GraphModule``; each layer kind's torch side
(its build, its code in exports, its pattern in imported code) lives in :mod:`.kinds`."""

from .compiler import CompiledNetwork, build_layer, capture, compile_network

__all__ = ["CompiledNetwork", "build_layer", "capture", "compile_network"]
