"""Small modules for graph nodes that torch.nn has no single class for, so every node is one submodule."""

from __future__ import annotations

import torch
from torch import nn


class Reshape(nn.Module):
    """Reshape each sample to ``shape`` (the batch dimension is kept)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Add(nn.Module):
    """Element-wise sum of two tensors of the same shape (a residual connection)."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b


class Multiply(nn.Module):
    """Element-wise product: of two tensors of the same shape, or of an image and one weight per channel (C×1×1),
    the gate of squeeze-and-excitation."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a * b


class Sample(nn.Module):
    """The reparameterization trick of a VAE: z = mean + exp(log_variance / 2) · ε, ε ~ N(0, 1), while training
    (gradients reach the mean and the log-variance through the sum); the mean itself at test time, so a trained
    model answers the same every time."""

    def forward(self, mean: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
        if self.training:
            return mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        return mean


class Concat(nn.Module):
    """Join two tensors along features (dim -1) or image channels (dim 1)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.cat((a, b), dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Recurrent(nn.Module):
    """An RNN, GRU or LSTM over batch-first sequences that returns every step's output or only the last one."""

    CELLS = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}

    def __init__(self, cell: str, input_size: int, hidden: int, layers: int = 1, bidirectional: bool = False,
                 last_only: bool = False, nonlinearity: str = "tanh") -> None:
        super().__init__()
        kwargs = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
        self.cell = cell
        self.rnn = self.CELLS[cell](input_size, hidden, num_layers=layers, batch_first=True,
                                    bidirectional=bidirectional, **kwargs)
        self.last_only = last_only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.rnn(x)[0]
        return out[:, -1] if self.last_only else out

    def extra_repr(self) -> str:
        return f"last_only={self.last_only}"
