"""Project files (``.nnp``): one zip that holds a whole lab and its training, so that opening it goes on where the
run was saved. This module reads and checks them and is the public face of the whole project-file API; the format
and its entry names are in ``project_format``, writing in ``project_writing``, the checks of a saved training state
(weights, counters, optimizer states) in ``project_state``.

Loading is defensive, because a project may come from anywhere: nothing in it can run code (no pickle; tensors are
read by safetensors, which holds data only), the zip is read in memory and never extracted, only whitelisted entry
names are accepted, each entry has a size limit (and a compression-ratio limit against zip bombs), and every problem
is one :class:`ProjectError` that names the file and what is wrong. Nothing is changed until the whole file has been
read and checked.

Saving writes a temporary file beside the target, flushes it to disk and renames it over the old file, so a crash
or a kill in the middle of a save leaves the last good file in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import torch

from playground.graph import GraphError, Lab
from playground.graph.errors import shown

from .project_format import (
    _TABLE_RE,
    _WEIGHTS_RE,
    EXTENSION,
    FORMAT,
    HISTORY,
    LAB,
    MANIFEST,
    MOMENTS_JSON,
    MOMENTS_TENSORS,
    PNG_MAGIC,
    RUNS,
    STATE_JSON,
    STATE_TENSORS,
    THUMBNAIL,
    VERSION,
    ZIP_MAGIC,
    Project,
    ProjectError,
    is_project_file,
)
from .project_state import (
    CUDA_RNG_STATE_BYTES,
    NetworkShapes,
    _check_state,
    check_optimizer_states,
    check_weights_fit,
    network_shapes,
)
from .project_writing import (
    STALE_TEMPORARY_S,
    _split_tensors,
    history_csv,
    project_entries,
    save_project,
)

__all__ = [
    "CUDA_RNG_STATE_BYTES", "EXTENSION", "FORMAT", "HISTORY", "LAB", "MANIFEST", "PNG_MAGIC", "STALE_TEMPORARY_S",
    "STATE_JSON", "STATE_TENSORS", "THUMBNAIL", "VERSION", "ZIP_MAGIC", "NetworkShapes", "Project", "ProjectError",
    "_split_tensors", "check_optimizer_states", "check_weights_fit", "history_csv", "is_project_file",
    "load_project", "network_shapes", "parse_history", "project_entries", "read_project", "save_project",
]

# Limits against hostile files (zip bombs, absurd entries). Module attributes so tests can lower them.
MAX_FILE_BYTES = 8 * 1024**3
MAX_ENTRIES = 80
MAX_NETWORKS = 32
MAX_TOTAL_BYTES = 8 * 1024**3
MAX_JSON_BYTES = 16 * 1024**2
MAX_HISTORY_BYTES = 512 * 1024**2
MAX_THUMBNAIL_BYTES = 8 * 1024**2
MAX_TENSOR_FILE_BYTES = 4 * 1024**3
MAX_TABLE_BYTES = 20 * 1024**2  # the same as own_data.MAX_PROJECT_TABLE_BYTES: a bigger table is not carried
MAX_RATIO = 200  # uncompressed/compressed: JSON and CSV deflate about 5-10x; a bomb deflates 1000x
_RATIO_FLOOR = 1024**2  # small entries may compress well (a file of zeros): only big ones must keep to the ratio
_CHUNK = 1024**2


# Loading --------------------------------------------------------------------------------------------------------

def _limit(name: str) -> int:
    if name in (MANIFEST, LAB, STATE_JSON, RUNS, MOMENTS_JSON):
        return MAX_JSON_BYTES
    if name == HISTORY:
        return MAX_HISTORY_BYTES
    if name == THUMBNAIL:
        return MAX_THUMBNAIL_BYTES
    if name.startswith("tables/"):
        return MAX_TABLE_BYTES
    return MAX_TENSOR_FILE_BYTES


def _allowed(name: str) -> bool:
    return name in (MANIFEST, LAB, STATE_JSON, STATE_TENSORS, HISTORY, THUMBNAIL, RUNS, MOMENTS_JSON,
                    MOMENTS_TENSORS) or \
        _WEIGHTS_RE.fullmatch(name) is not None or _TABLE_RE.fullmatch(name) is not None


def _check_entries(zf: zipfile.ZipFile, where: str) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ProjectError(f"{where}: the zip has {len(infos)} entries; a project has at most {MAX_ENTRIES}")
    seen: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise ProjectError(f"{where}: the entry {shown(name)} points outside the project; refusing the file")
        if not _allowed(name):
            raise ProjectError(f"{where}: unexpected entry {shown(name)} (a project holds only {MANIFEST}, {LAB}, "
                               f"weights/*.safetensors, {STATE_TENSORS}, {STATE_JSON}, {HISTORY}, {THUMBNAIL} and "
                               f"tables/*.csv)")
        if name in seen:
            raise ProjectError(f"{where}: the entry {shown(name)} appears twice")
        if info.flag_bits & 0x1:
            raise ProjectError(f"{where}: the entry {shown(name)} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ProjectError(f"{where}: the entry {shown(name)} uses an unsupported compression method "
                               f"({info.compress_type})")
        limit = _limit(name)
        if info.file_size > limit:
            raise ProjectError(f"{where}: the entry {shown(name)} claims {info.file_size:,} bytes; the limit is "
                               f"{limit:,}")
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
            ratio = info.file_size / max(1, info.compress_size)
            raise ProjectError(f"{where}: the entry {shown(name)} would inflate {ratio:,.0f} times (a zip bomb?); "
                               f"refusing the file")
        total += info.file_size
        seen[name] = info
    if total > MAX_TOTAL_BYTES:
        raise ProjectError(f"{where}: the entries hold {total:,} bytes together; the limit is {MAX_TOTAL_BYTES:,}")
    if MANIFEST not in seen:
        raise ProjectError(f"{where}: no {MANIFEST}, so not a Neural Network Playground project")
    return seen


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, sha256: str | None = None) -> bytes:
    """An entry's bytes, never more than its declared size (which was checked against the limits), hashed chunk
    by chunk as they inflate and checked against ``sha256`` (the manifest's) when given."""
    name = info.filename
    out = bytearray()
    digest = hashlib.sha256()
    try:
        with zf.open(info) as f:
            while True:
                chunk = f.read(min(_CHUNK, info.file_size + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
                digest.update(chunk)
                if len(out) > info.file_size:
                    raise ProjectError(f"{where}: the entry {shown(name)} holds more than the {info.file_size:,} bytes "
                                       f"it claims")
    except ProjectError:
        raise
    except zipfile.BadZipFile as e:
        raise ProjectError(f"{where}: the entry {shown(name)} is damaged ({e})") from None
    except (zlib.error, EOFError, ValueError, OSError, NotImplementedError, RuntimeError) as e:
        raise ProjectError(f"{where}: the entry {shown(name)} cannot be read; the file is damaged or truncated "
                           f"({type(e).__name__}: {e})") from None
    if len(out) != info.file_size:
        raise ProjectError(f"{where}: the entry {shown(name)} is shorter than it claims; the file is damaged")
    if sha256 is not None and digest.hexdigest() != sha256:
        raise ProjectError(f"{where}: the entry {shown(name)} does not match its checksum; the file is damaged")
    return bytes(out)


def _json(data: bytes, name: str, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProjectError(f"{where}: {name} is not UTF-8 text") from None
    except RecursionError:
        raise ProjectError(f"{where}: {name} nests too deeply") from None
    except ValueError as e:
        raise ProjectError(f"{where}: {name} is not valid JSON ({e})") from None


def _check_manifest(manifest: Any, where: str) -> dict[str, Any]:
    if not isinstance(manifest, dict):
        raise ProjectError(f"{where}: {MANIFEST} must hold a JSON object")
    if manifest.get("format") != FORMAT:
        raise ProjectError(f"{where}: not a Neural Network Playground project (its format is "
                           f"{manifest.get('format')!r}, expected '{FORMAT}')")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectError(f"{where}: the project's format version must be a positive integer. Received: "
                           f"{shown(version)}")
    if version > VERSION:
        raise ProjectError(f"{where} was written by a newer Neural Network Playground (project format version "
                           f"{shown(version)}; this one reads up to {VERSION}): update the app to open it")
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("size"), int)
            and isinstance(v.get("sha256"), str) for k, v in files.items()):
        raise ProjectError(f"{where}: {MANIFEST} has no valid 'files' list")
    networks = manifest.get("networks", [])
    if not isinstance(networks, list) or len(networks) > MAX_NETWORKS or not all(
            isinstance(n, dict) and isinstance(n.get("name"), str) and isinstance(n.get("file"), str)
            for n in networks):
        raise ProjectError(f"{where}: {MANIFEST} has no valid 'networks' list")
    return manifest


def _tensors(data: bytes, name: str, where: str) -> dict[str, torch.Tensor]:
    from safetensors.torch import load as load_tensors

    try:
        return load_tensors(data)
    except Exception as e:  # SafetensorError and friends: a damaged or hostile header
        raise ProjectError(f"{where}: {name} is not a valid safetensors file ({e})") from None


def parse_history(text: str, where: str) -> dict[str, list[float]]:
    lines = text.splitlines()
    if not lines:
        raise ProjectError(f"{where}: {HISTORY} is empty")
    names = lines[0].split(",") if lines[0] else []
    if len(set(names)) != len(names) or any(not n for n in names):
        raise ProjectError(f"{where}: {HISTORY} has an empty or repeated column name")
    columns: dict[str, list[float]] = {n: [] for n in names}
    for row, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != len(names):
            raise ProjectError(f"{where}: {HISTORY} line {row} has {len(cells)} values for {len(names)} columns")
        for n, cell in zip(names, cells):
            try:
                columns[n].append(float(cell) if cell else math.nan)
            except ValueError:
                raise ProjectError(f"{where}: {HISTORY} line {row}: {shown(cell[:40])} is not a number") from None
    return columns


# What the training state of a lab can hold, beyond its weights: optimizer state per parameter (Adam keeps two
# buffers, three with AMSGrad, and a step count), random generator states, and per training sample the epoch's
# permutation (int64) and at most one running loss (float32) and count (int64) per batch.
OPTIMIZER_STATE_FACTOR = 3
MAX_TRAINING_SAMPLES = 4_000_000
_SAMPLE_BYTES = 8 + 4 + 8
_HEADER_BYTES = 64 * 1024  # safetensors' JSON header of a handful of tensors, the RNG states, alignment
_TENSOR_HEADER_BYTES = 512  # one tensor's line in a safetensors header: its name, dtype, shape and offsets
_HISTORY_ROW_BYTES = 4096  # one epoch's row of the metric history: dozens of columns of repr'd floats


def _entry_bounds(shapes: Mapping[str, NetworkShapes], files: Mapping[str, str],
                  meta: Mapping[str, Any]) -> dict[str, int]:
    """The most bytes each big entry can hold for this lab: a weights file is its network's tensors (exactly
    known from the compiled shapes) plus its header; the training state is a few times the parameters plus the
    data-sized parts; the history one row per epoch."""
    bounds = {entry: shapes[name].state_bytes + _HEADER_BYTES + _TENSOR_HEADER_BYTES * len(shapes[name].state)
              for name, entry in files.items()}
    parameter_bytes = sum(s.parameter_bytes for s in shapes.values())
    parameters = sum(s.parameters for s in shapes.values())
    bounds[STATE_TENSORS] = (OPTIMIZER_STATE_FACTOR * parameter_bytes + parameters * 4 * (_TENSOR_HEADER_BYTES + 8)
                             + _HEADER_BYTES + MAX_TRAINING_SAMPLES * _SAMPLE_BYTES)
    epoch = meta.get("epoch", 0)
    epochs = epoch if isinstance(epoch, int) and not isinstance(epoch, bool) and 0 <= epoch < 2**40 else 0
    bounds[HISTORY] = min(MAX_HISTORY_BYTES, _HEADER_BYTES + (epochs + 2) * _HISTORY_ROW_BYTES)
    return bounds


def _keep_tables(project: Project, data: Mapping[str, bytes], where: str) -> None:
    """The tables the project carried: each must hash to its name; they go to the table cache (content-addressed,
    so nothing of the user's changes), where a table lab whose file is not on this computer finds its data."""
    from playground.data.table import remember_table

    for name, blob in data.items():
        match = _TABLE_RE.fullmatch(name)
        if match is None:
            continue
        if hashlib.sha256(blob).hexdigest() != match.group(1):
            raise ProjectError(f"{where}: the table '{name}' does not match the checksum in its name")
        project.tables[match.group(1)] = blob
    for blob in project.tables.values():
        # A read-only cache is no error: the lab then looks for the table at its path, and says so if it is not there.
        with contextlib.suppress(OSError):
            remember_table(blob)


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read and check a whole project file. Raises ProjectError, naming the file and what is wrong."""
    file = os.fspath(path)
    where = shown(file, quote=False)  # escaped when the name holds a newline or other control character
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            raise ProjectError(f"{where} is {size:,} bytes; a project file may have at most {MAX_FILE_BYTES:,}")
        with open(file, "rb") as f:
            return read_project(f, where)
    except OSError as e:
        raise ProjectError(f"Cannot read {where}: {e.strerror or e}") from None
    except ValueError:  # a path with a NUL character
        raise ProjectError(f"Cannot read {where}: a file name cannot hold a NUL character") from None


def _open_zip(source: Any, where: str) -> zipfile.ZipFile:
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    head = source.read(4)
    source.seek(0)
    if head != ZIP_MAGIC:
        if head[:1] in (b"{", b"\xef", b" ", b"\n"):
            raise ProjectError(f"{where} is not a project file (it looks like a lab's JSON: open it as a lab)")
        raise ProjectError(f"{where} is not a project file (not a zip archive)")
    try:
        return zipfile.ZipFile(source)
    except zipfile.BadZipFile as e:
        raise ProjectError(f"{where} is damaged or truncated: {e}") from None
    except (ValueError, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise ProjectError(f"{where} is damaged or truncated ({type(e).__name__}: {e})") from None


def _listed_entries(infos: Mapping[str, zipfile.ZipInfo], manifest: Mapping[str, Any], where: str) -> set[str]:
    """The zip's entries besides the manifest, each listed there with its size."""
    optional = {MOMENTS_JSON, MOMENTS_TENSORS}  # checked apart: a damaged one leaves only itself out
    listed = set(manifest["files"])
    present = set(infos) - {MANIFEST}
    if listed - optional != present - optional:
        missing, unlisted = sorted(listed - present), sorted(present - listed)
        raise ProjectError(f"{where} is incomplete or altered: " + (
            f"missing {', '.join(missing)}" if missing else f"unlisted entry {', '.join(unlisted)}"))
    for name in sorted(present - optional):
        if infos[name].file_size != manifest["files"][name]["size"]:
            raise ProjectError(f"{where}: the entry {shown(name)} holds {infos[name].file_size:,} bytes, its "
                               f"manifest says {manifest['files'][name]['size']:,}; the file is damaged")
    return present | (listed & optional)


def _lab(data: Mapping[str, bytes], where: str) -> Lab:
    if LAB not in data:
        raise ProjectError(f"{where}: no {LAB} in the project")
    try:
        return Lab.from_json(data[LAB].decode("utf-8"))
    except UnicodeDecodeError:
        raise ProjectError(f"{where}: {LAB} is not UTF-8 text") from None
    except GraphError as e:
        raise ProjectError(f"{where}: {LAB}: {e.message}") from None


def _weight_files(manifest: Mapping[str, Any], trained_lab: Lab, weight_files: set[str], where: str) -> dict[str, str]:
    """Network name -> its weights entry, as the manifest lists them, checked against the lab and the zip."""
    files = {n["name"]: n["file"] for n in manifest["networks"]}
    names = [net.name for net in trained_lab.networks]
    if sorted(files) != sorted(names) or len(files) != len(manifest["networks"]):
        raise ProjectError(f"{where}: the manifest lists the networks {sorted(files)}, the lab has "
                           f"{sorted(names)}")
    if set(files.values()) != weight_files or len(set(files.values())) != len(files):
        raise ProjectError(f"{where}: the manifest's weight files do not match the entries of the zip")
    return files


def read_project(source: Any, where: str = "the project") -> Project:
    """Read a project from a binary file object (or bytes); ``where`` names it in messages."""
    zf = _open_zip(source, where)
    with zf:
        infos = _check_entries(zf, where)
        manifest = _check_manifest(_json(_read(zf, infos[MANIFEST], where), MANIFEST, where), where)
        present = _listed_entries(infos, manifest, where)
        # The small entries first: the lab they hold says how big the weights and the training state can be, so
        # that an entry inflating past that is refused before a byte of it is read.
        big = {name for name in present if name in (STATE_TENSORS, HISTORY) or name.startswith("weights/")}
        extras = present & {MOMENTS_JSON, MOMENTS_TENSORS}  # read last, and not needed for the project to open
        data: dict[str, bytes] = {name: _read(zf, infos[name], where, manifest["files"][name]["sha256"])
                                  for name in sorted(present - big - extras)}
        lab = _lab(data, where)
        thumbnail = data.get(THUMBNAIL)
        if thumbnail is not None and thumbnail[:8] != PNG_MAGIC:
            raise ProjectError(f"{where}: {THUMBNAIL} is not a PNG image")
        project = Project(lab=lab, thumbnail=thumbnail, manifest=manifest)
        _keep_tables(project, data, where)
        if RUNS in data:
            from .run_group import parse_runs

            project.runs = parse_runs(_json(data[RUNS], RUNS, where), where)
        training_parts = {STATE_JSON, STATE_TENSORS, HISTORY}
        weight_files = {name for name in present if name.startswith("weights/")}
        if not (training_parts & present) and not weight_files and not manifest["networks"]:
            return project  # a lab that never trained
        absent = sorted(training_parts - present)
        if absent:
            raise ProjectError(f"{where}: the training state is incomplete (no {', '.join(absent)})")
        state = _json(data[STATE_JSON], STATE_JSON, where)
        if not isinstance(state, dict) or not isinstance(state.get("meta"), dict):
            raise ProjectError(f"{where}: {STATE_JSON} needs a 'meta' object")
        trained_lab = lab
        if "trained_lab" in state:
            try:
                trained_lab = Lab.from_dict(state["trained_lab"])
            except GraphError as e:
                raise ProjectError(f"{where}: {STATE_JSON}: the lab the weights were trained with: "
                                   f"{e.message}") from None
            project.trained_lab = trained_lab
        files = _weight_files(manifest, trained_lab, weight_files, where)
        shapes = network_shapes(trained_lab, where)
        bounds = _entry_bounds(shapes, files, state["meta"])
        for name in sorted(big):
            if infos[name].file_size > bounds[name]:
                raise ProjectError(f"{where}: the entry {shown(name)} claims {infos[name].file_size:,} bytes; the lab "
                                   f"it belongs to needs at most {bounds[name]:,}; refusing the file")
        for name in sorted(big):
            data[name] = _read(zf, infos[name], where, manifest["files"][name]["sha256"])
        moment_parts, project.moments_problem = _read_extras(zf, infos, manifest, extras, where)
    weights = {name: _tensors(data[entry], entry, where) for name, entry in files.items()}
    check_weights_fit(trained_lab, weights, where, shapes)
    tensors: dict[str, torch.Tensor] = {}
    for name, sd in weights.items():
        for key, t in sd.items():
            tensors[f"model/{name}/{key}"] = t
    rest = _tensors(data[STATE_TENSORS], STATE_TENSORS, where)
    if any(k.startswith("model/") for k in rest):
        raise ProjectError(f"{where}: {STATE_TENSORS} holds model weights; they belong in weights/")
    _check_state(state["meta"], rest, where)
    check_optimizer_states(trained_lab, state["meta"], rest, sum(s.parameters for s in shapes.values()), where)
    tensors.update(rest)
    try:
        history_text = data[HISTORY].decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectError(f"{where}: {HISTORY} is not UTF-8 text") from None
    project.checkpoint = {"tensors": tensors, "meta": state["meta"], "history": parse_history(history_text, where)}
    _add_moments(project, moment_parts, extras, where)
    return project


def _read_extras(zf: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo], manifest: Mapping[str, Any],
                 names: set[str], where: str) -> tuple[dict[str, bytes], str]:
    """The optional entries' bytes, or why they cannot be read (a damaged one does not stop the project)."""
    try:
        for name in sorted(names):
            if name not in infos or name not in manifest["files"]:
                raise ProjectError(f"{name} is {'missing' if name not in infos else 'not listed in the manifest'}")
        return {name: _read(zf, infos[name], where, manifest["files"][name]["sha256"]) for name in sorted(names)}, ""
    except ProjectError as e:
        return {}, e.message


def _add_moments(project: Project, parts: Mapping[str, bytes], names: set[str], where: str) -> None:
    """The time machine's moments into the checkpoint, or a message naming what is wrong with them."""
    from .project_moments import parse_moments

    if not names or project.checkpoint is None:
        return
    what = f"{where}: the time machine's moments ({MOMENTS_JSON}, {MOMENTS_TENSORS}) were left out"
    if project.moments_problem:
        project.moments_problem = f"{what}: {project.moments_problem}; the rest of the project opened"
        return
    try:
        if set(parts) != {MOMENTS_JSON, MOMENTS_TENSORS}:
            raise ProjectError(f"only {', '.join(sorted(parts))} is there")
        project.checkpoint["moments"] = parse_moments(parts[MOMENTS_JSON], parts[MOMENTS_TENSORS],
                                                      project.checkpoint)
    except ProjectError as e:
        project.moments_problem = f"{what}: {e.message}; the rest of the project opened"
