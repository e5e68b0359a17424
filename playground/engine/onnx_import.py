"""Open ``.onnx`` files in the editor: the graph becomes a lab, its initializers the network's weights.

The file is read with the ``onnx`` package (parsed and shape-inferred, never run). Each ONNX operator, or the
short patterns torch writes for one module (MatMul + Add for a Linear on sequences, Transpose + LSTM + Squeeze +
Transpose for a batch-first recurrent layer), becomes one layer of the catalog, and its weights are converted to
the names and layouts the compiler's modules use. Operators that compute shapes (Shape, Gather on a shape,
Concat of sizes...) draw nothing. Anything the editor cannot represent is refused with one message that names
the operator and its node.

The reader itself lives in :mod:`playground.engine.onnx_importing`, split by job; this module is its entry point.
"""

from __future__ import annotations

from pathlib import Path

from playground.graph import Lab

from .onnx_importing.assembly import _check_weights, _guess_data
from .onnx_importing.folding import _fold_constants
from .onnx_importing.norms_shapes import EPSILON
from .onnx_importing.reader import _Reader
from .onnx_importing.values import OnnxImport, OnnxImportError

__all__ = ["EPSILON", "MAX_FILE_BYTES", "OnnxImport", "OnnxImportError", "import_onnx", "import_onnx_bytes",
           "lab_from_onnx"]

MAX_FILE_BYTES = 1 << 30  # a module attribute, so tests can lower it


# Reading the file ------------------------------------------------------------------------------------------------


def import_onnx(path: str | Path) -> OnnxImport:
    """The lab and weights of an ``.onnx`` file (read and shape-inferred, never run)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise OnnxImportError(f"Cannot read {p}: {e.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise OnnxImportError(f"{p.name} is {size / 2**20:.0f} MiB, more than the {MAX_FILE_BYTES / 2**20:.0f} MiB "
                              f"an ONNX file may have here")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise OnnxImportError(f"Cannot read {p}: {e.strerror}") from None
    return import_onnx_bytes(data, p.name)


def import_onnx_bytes(data: bytes, filename: str = "model.onnx") -> OnnxImport:
    import onnx
    from onnx import shape_inference

    if len(data) > MAX_FILE_BYTES:
        raise OnnxImportError(f"{filename} is {len(data) / 2**20:.0f} MiB, more than the "
                              f"{MAX_FILE_BYTES / 2**20:.0f} MiB an ONNX file may have here")
    try:
        model = onnx.load_from_string(data)
    except Exception:  # protobuf raises DecodeError and others: any of them means "not ONNX"
        raise OnnxImportError(f"{filename} is not an ONNX model (it cannot be parsed)") from None
    if not model.graph.node and not model.graph.input:
        raise OnnxImportError(f"{filename} is not an ONNX model (it has no graph)")
    for tensor in model.graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise OnnxImportError(f"{filename} keeps its weights in separate files ({tensor.name!r}): save the "
                                  f"model as one file (onnx.save(model, path, save_as_external_data=False))")
    _fold_constants(model)
    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception as e:  # the inference raises several types for a broken graph
        raise OnnxImportError(f"{filename}: onnx cannot infer the shapes of its graph ({_first_line(e)})") from None
    reader = _Reader(inferred, filename)
    graph, state = reader.read()
    name = Path(filename).stem.replace("_", " ") or "Imported model"
    lab = Lab(name=name, description=f"Imported from {filename}.")
    lab.add_network("model", "model", graph)
    _guess_data(lab, graph)
    _check_weights(lab, state, filename)
    return OnnxImport(lab, {"model": state}, reader.notes)


def lab_from_onnx(path: str | Path) -> Lab:
    """Only the lab of an ONNX file (its weights are dropped)."""
    return import_onnx(path).lab


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
