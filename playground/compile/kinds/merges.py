"""The layers with two inputs: sums, products, a VAE's sampling and joins. Each is one of the playground's own small
modules, so exports define its class."""

from __future__ import annotations

from torch import nn

from ..modules import Add, Concat, Multiply, Sample
from .base import CodeWriter, Imported, ImportPattern, KindHome, first

ADD_SOURCE = '''
class Add(nn.Module):
    """Element-wise sum of two tensors of the same shape (a residual connection)."""

    def forward(self, a, b):
        return a + b
'''
MULTIPLY_SOURCE = '''
class Multiply(nn.Module):
    """Element-wise product (an image times one weight per channel broadcasts: a gate)."""

    def forward(self, a, b):
        return a * b
'''
SAMPLE_SOURCE = '''
class Sample(nn.Module):
    """A VAE's reparameterization: mean + exp(log_variance / 2) * noise while training, the mean at test time."""

    def forward(self, mean, log_variance):
        if self.training:
            return mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        return mean
'''
CONCAT_SOURCE = '''
class Concat(nn.Module):
    """Join two tensors along features (dim -1) or image channels (dim 1)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, a, b):
        return torch.cat((a, b), dim=self.dim)
'''


def _merge(module: type[nn.Module], source: str, eval_identity: bool = False) -> KindHome:
    kind = module.__name__
    return KindHome(kind, lambda p, inputs: module(), (CodeWriter(module, lambda m: f"{kind}()", source),),
                    (ImportPattern(kind, (), lambda a: Imported(kind, {}), helper=True),), eval_identity=eval_identity)


HOMES = (
    _merge(Add, ADD_SOURCE),
    _merge(Multiply, MULTIPLY_SOURCE),
    # A trained VAE answers with the mean at test time: the sampling exists only while training.
    _merge(Sample, SAMPLE_SOURCE, eval_identity=True),
    # The join is along image channels for images, along features otherwise: the editor holds no setting for it.
    KindHome("Concat", lambda p, inputs: Concat(1 if first(inputs).rank == 3 else -1),
             (CodeWriter(Concat, lambda m: f"Concat(dim={m.dim})", CONCAT_SOURCE),),
             (ImportPattern("Concat", ("dim",), lambda a: Imported("Concat", {}), helper=True),)),
)
