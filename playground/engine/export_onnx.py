"""ONNX export: one .onnx file with a dynamic batch dimension (and a free sequence length where the network reads
any length), checked with onnxruntime right after it is written."""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from playground.compile import CompiledNetwork
from playground.graph.files import atomic_write

from .export_networks import (
    EXPORT_BATCH,
    DynamicAxes,
    ExportError,
    ExportResult,
    _check_inputs,
    _difference,
    _result,
    dynamic_axes,
    example_inputs,
    run_torch,
)
from .export_program import _export_dims

ONNX_OPSET = 17
STEPS_PROPERTY = "playground.steps."  # ONNX metadata: the trained length of a sequence input whose length is free

# What runs an ONNX model for the check: (the model, its input names, the inputs) -> its outputs.
OnnxRunner = Callable[[bytes, list[str], tuple[torch.Tensor, ...]], list[Any]]


def export_onnx(net: CompiledNetwork, path: str | Path, run: OnnxRunner | None = None) -> ExportResult:
    """One .onnx file with a dynamic batch dimension, checked with onnxruntime right after it is written: with
    ``run`` (``run_onnx`` unless told), whose answers are compared with torch's."""
    run = run if run is not None else run_onnx
    start = time.perf_counter()
    path = Path(path)
    args = example_inputs(net, EXPORT_BATCH)
    axes = dynamic_axes(net)
    data = _onnx_bytes(net, args, axes)
    try:
        import onnx

        model = onnx.load_from_string(data)
        if axes.steps:
            # The length is free; the one the network was trained with is kept for the editor's importer.
            for name in axes.steps_inputs:
                onnx.helper.set_model_props(model, {**{p.key: p.value for p in model.metadata_props},
                                                    f"{STEPS_PROPERTY}{name}": str(net.input_shapes[name].dims[0])})
            data = model.SerializeToString()
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # the checker raises several types; any of them means a broken file
        raise ExportError(f"{net.name}: the ONNX model does not pass onnx's checker: {e}") from None
    atomic_write(path, data)
    worst, scale = 0.0, 1.0
    for check in _check_inputs(net, axes):
        w, s = _difference(run_torch(net, check), run(data, net.inputs, check))
        worst, scale = max(worst, w), max(scale, s)
    return _result(net, "onnx", [path], start, worst, scale, "onnxruntime")

def _onnx_bytes(net: CompiledNetwork, args: tuple[torch.Tensor, ...], axes: DynamicAxes | None = None) -> bytes:
    # The TorchScript exporter (dynamo=False) writes these graphs of plain modules in milliseconds and maps
    # nn.LSTM/GRU/RNN to ONNX's own recurrent operators; the dynamo exporter takes seconds per network. It is
    # the fallback should a future torch drop the TorchScript path or fail on a module.
    axes = axes if axes is not None else DynamicAxes()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The exporter writes to a file object as well (its docs say so); its annotation names paths only.
            torch.onnx.export(net.module, args, buffer, input_names=list(net.inputs),  # type: ignore[arg-type]
                              output_names=list(net.outputs), dynamic_axes=axes.onnx(net), opset_version=ONNX_OPSET,
                              dynamo=False)
        return buffer.getvalue()
    except Exception as first:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                program = torch.onnx.export(net.module, args, input_names=list(net.inputs),
                                            output_names=list(net.outputs),
                                            dynamic_shapes=_export_dims(net, axes), dynamo=True,
                                            external_data=False, verbose=False)
            assert program is not None
            return bytes(program.model_proto.SerializeToString())
        except Exception as second:
            raise ExportError(f"{net.name}: torch cannot export this network to ONNX ({first}; the dynamo "
                              f"exporter: {second})") from None


def run_onnx(model: bytes | str | Path, input_names: list[str], inputs: tuple[torch.Tensor, ...]) -> list[Any]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    return list(session.run(None, {n: t.numpy() for n, t in zip(input_names, inputs)}))
