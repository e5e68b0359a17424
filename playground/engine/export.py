"""Export trained networks: ONNX, a standalone PyTorch ``.py`` file with safetensors weights, ``torch.export``.

Every writer checks what it wrote against the torch module it came from, on a fresh random batch of a size other
than the one used to export (so a batch dimension frozen by mistake shows up), and reports the largest
difference. Nothing here loads code from disk: weights come from safetensors, labs from JSON.

This module reads what an export starts from and sends each network to its writer; the writers live beside it:
``export_networks`` (building, example inputs, free axes, the check against torch), ``export_onnx``,
``export_program`` (``torch.export``) and ``export_code`` (the standalone PyTorch module).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import torch

from playground.compile import CompiledNetwork
from playground.graph import GraphError, Lab
from playground.graph.errors import shown
from playground.graph.files import atomic_write

from .errors import EngineError
from .export_code import (
    export_python,
    forward_code,
    input_params,
    module_constructor,
    python_source,
)
from .export_networks import (
    CHECK_BATCH,
    EXPORT_BATCH,
    FORMAT_TITLES,
    FORMATS,
    SEQUENCE_PROBE,
    TOLERANCE,
    DynamicAxes,
    ExportError,
    ExportResult,
    ExportSource,
    build_networks,
    dynamic_axes,
    example_inputs,
    load_weights,
    run_torch,
)
from .export_onnx import ONNX_OPSET, STEPS_PROPERTY, export_onnx, run_onnx
from .export_program import ScannedRecurrent, export_program

__all__ = [
    "CHECK_BATCH", "EXPORT_BATCH", "FORMATS", "FORMAT_TITLES", "ONNX_OPSET", "SEQUENCE_PROBE", "STEPS_PROPERTY",
    "TOLERANCE", "DynamicAxes", "ExportError", "ExportResult", "ExportSource", "ScannedRecurrent", "build_networks",
    "dynamic_axes", "example_inputs", "export_network", "export_onnx", "export_program", "export_python",
    "export_source", "forward_code", "input_params", "load_weights", "module_constructor", "network_file_stems",
    "python_source", "read_source", "run_onnx", "run_torch", "target_paths", "write_history_csv",
]

# Sources -------------------------------------------------------------------------------------------------------


def read_source(path: str | Path) -> ExportSource:
    """Read a ``playground train --out`` folder, a project file, or a bare lab (weights from its seed)."""
    p = Path(path)
    if p.is_dir():
        return _read_run_folder(p)
    if not p.exists():
        raise ExportError(f"{shown(p, quote=False)} does not exist: give a project file or the --out folder of "
                          f"'playground train'")
    if p.suffix.lower() == ".json":
        try:
            return ExportSource(Lab.load(str(p)), origin=str(p))
        except GraphError as e:
            raise ExportError(str(e)) from None
    return _read_project(p)


def _read_run_folder(folder: Path) -> ExportSource:
    lab_path = folder / "lab.json"
    if not lab_path.is_file():
        raise ExportError(f"{shown(folder, quote=False)} has no lab.json, so it is not the --out folder of "
                          f"'playground train'")
    try:
        lab = Lab.load(str(lab_path))
    except GraphError as e:
        raise ExportError(str(e)) from None
    weights: dict[str, dict[str, torch.Tensor]] = {}
    stems = network_file_stems([net.name for net in lab.networks])
    for net in lab.networks:
        file = folder / f"{stems[net.name]}.safetensors"
        if not file.is_file():
            raise ExportError(f"{shown(folder, quote=False)} has no weights for network '{net.name}' ({file.name} is "
                              f"missing)")
        weights[net.name] = _read_weights(file)
    history = folder / "history.csv"
    try:
        text = history.read_text(encoding="utf-8") if history.is_file() else None
    except (OSError, UnicodeDecodeError) as e:
        raise ExportError(f"{shown(history, quote=False)} is not a readable metric history: "
                          f"{getattr(e, 'strerror', None) or e}") from None
    return ExportSource(lab, weights, text, origin=str(folder))


def _read_weights(file: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(file))  # safetensors: tensors only, never code
    except (SafetensorError, OSError, ValueError) as e:
        raise ExportError(f"{shown(file, quote=False)} is not a readable safetensors file: {e}") from None


def _read_project(path: Path) -> ExportSource:
    """Adapter over the project-file reader: the lab the checkpoint was trained as, its weights and history."""
    from . import project

    try:
        loaded = project.load_project(path)
    except EngineError as e:
        raise ExportError(str(e)) from None
    lab = loaded.training_lab
    checkpoint = loaded.checkpoint or {}
    tensors = checkpoint.get("tensors") or {}
    weights: dict[str, dict[str, torch.Tensor]] = {n.name: {} for n in lab.networks}
    for key, value in tensors.items():
        for name in sorted(weights, key=len, reverse=True):  # longest first: "a/b" before "a"
            if key.startswith(f"model/{name}/"):
                weights[name][key[len(name) + 7:]] = value
                break
    history = checkpoint.get("history")
    text = project.history_csv(history) if history else None
    # A project saved before any training holds no weights: export the seeded start, as for a bare lab.
    return ExportSource(lab, {k: v for k, v in weights.items() if v}, text, origin=str(path))


# Whole labs ----------------------------------------------------------------------------------------------------


def network_file_stems(network_names: list[str]) -> dict[str, str]:
    """The file stem of each network in a run folder or an export: its own name when that is a safe file name,
    else ``network<i>``, so a name such as "../../x" never writes outside the folder chosen."""
    stems: dict[str, str] = {}
    taken: set[str] = set()
    for i, name in enumerate(network_names):
        stem = name if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else f"network{i + 1}"
        while stem.lower() in taken:
            stem = f"{stem[:60]}_{i + 1}"
        taken.add(stem.lower())
        stems[name] = stem
    return stems


def target_paths(network_names: list[str], fmt: str, to: str | Path) -> dict[str, Path]:
    """Where each network goes: ``to`` itself if it ends in the format's suffix and there is one network,
    ``<stem>-<network><suffix>`` beside it for several; otherwise ``to`` is a folder of ``<network><suffix>``."""
    suffix = FORMATS[fmt]
    to = Path(to)
    stems = network_file_stems(network_names)
    if to.suffix.lower() == suffix:
        if len(network_names) == 1:
            return {network_names[0]: to}
        return {n: to.with_name(f"{to.stem}-{stems[n]}{suffix}") for n in network_names}
    return {n: to / f"{stems[n]}{suffix}" for n in network_names}


def export_network(net: CompiledNetwork, fmt: str, path: Path, lab: Lab) -> ExportResult:
    if fmt == "onnx":
        # run_onnx looked up here at call time: a test may stand in for it on this module.
        return export_onnx(net, path, run_onnx)
    if fmt == "pt2":
        return export_program(net, path)
    if fmt == "py":
        graph = lab.network(net.name).graph
        return export_python(net, path, input_params(net, graph), lab.name)
    raise ExportError(f"Unknown export format {shown(fmt)} (formats: {', '.join(FORMATS)})")


def export_source(source: ExportSource, fmt: str, to: str | Path, network: str | None = None,
                  networks: dict[str, CompiledNetwork] | None = None) -> list[ExportResult]:
    """Export the networks of ``source`` (or only ``network``) in format ``fmt`` to ``to``."""
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {shown(fmt)} (formats: {', '.join(FORMATS)})")
    names = [n.name for n in source.lab.networks]
    if network is not None:
        if network not in names:
            raise ExportError(f"The lab has no network named {shown(network)} (networks: {', '.join(names)})")
        names = [network]
    nets = networks if networks is not None else build_networks(source)
    paths = target_paths(names, fmt, to)
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    return [export_network(nets[n], fmt, paths[n], source.lab) for n in names]


def write_history_csv(source: ExportSource, path: str | Path) -> Path:
    """The metric history as CSV (one row per epoch)."""
    if not source.history_csv:
        raise ExportError("There is no metric history to export: train first")
    rows = list(csv.reader(io.StringIO(source.history_csv)))
    if not rows:
        raise ExportError("There is no metric history to export: train first")
    path = Path(path)
    atomic_write(path, source.history_csv.encode("utf-8"))
    return path
