"""Graph to torch: each network compiles to a readable ``torch.fx.GraphModule``."""

from .compiler import CompiledNetwork, build_layer, capture, compile_network

__all__ = ["CompiledNetwork", "build_layer", "capture", "compile_network"]
