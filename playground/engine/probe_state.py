"""What one trainer's probes look at: its task, compiled network, data and device, the test split, the sample the
sample views show and the gradient norms recorded so far. The probes compute from it (``probes``), and so do the
network's health (``health``) and the insight probes (``insight.probes``), which the probes call: it sits below all
three."""

from __future__ import annotations

from array import array

import numpy as np
import torch

from playground.compile import CompiledNetwork

from .data_bundle import DataBundle
from .tasks import Task


class ProbeState:
    """The model, data and readings the probes of one trainer share."""

    def __init__(self, task: Task, network: CompiledNetwork, node_kinds: dict[str, str], data: DataBundle,
                 device: torch.device) -> None:
        self.task = task
        self.network = network
        self.data = data
        self.device = device
        self.layer_order = [str(n.target) for n in network.module.graph.nodes if n.op == "call_module"]
        self.node_kinds = node_kinds
        self.sample_index = 0
        self.sample_image: np.ndarray | None = None  # a drawing, shown instead of a test sample
        self.x_test: torch.Tensor | None = None
        self.y_test: torch.Tensor | None = None
        self.input_shape: tuple[int, ...] = ()
        self.gradient_steps: array[float] = array("d")
        self.gradient_norms: dict[str, array[float]] = {}

    def set_split(self, x_test: torch.Tensor, y_test: torch.Tensor, input_shape: tuple[int, ...]) -> None:
        self.x_test, self.y_test, self.input_shape = x_test, y_test, input_shape

    def sample(self) -> tuple[torch.Tensor, int | None] | None:
        """The sample the feature-map and drawing views look at: a drawing (which has no true class) if one is
        set, else a test sample."""
        if self.sample_image is not None and self.input_shape:
            image = torch.as_tensor(self.sample_image, dtype=torch.float32, device=self.device)
            want = 1
            for d in self.input_shape:
                want *= d
            if image.numel() != want:
                return None
            return image.reshape(1, *self.input_shape), None
        if self.x_test is None or self.y_test is None or not len(self.x_test):
            return None
        i = min(max(0, self.sample_index), len(self.x_test) - 1)
        return self.x_test[i:i + 1], int(self.y_test[i]) if self.y_test.dtype == torch.int64 else None
