"""Project files (``.nnp``): one zip that holds a whole lab and its training, so that opening it goes on where the
run was saved.

Inside the zip (every entry listed in the manifest with its size and SHA-256):

- ``manifest.json``: format name and version, the app that wrote it, the networks and their weight files;
- ``lab.json``: the lab as the editor holds it (the same JSON as a lab file);
- ``weights/<network>.safetensors``: each network's state dict;
- ``state.safetensors`` + ``state.json``: optimizer tensors, RNG states and the epoch's permutation, and the plain
  part of the checkpoint (counters, optimizer settings...), plus the lab the weights were trained with when the
  editor's lab has been edited since (an edit not yet applied);
- ``history.csv``: every point of the metric curves (exact: floats written with ``repr``);
- ``thumbnail.png``: a picture of the lab, when the caller gave one;
- ``tables/<sha256>.csv``: the table a table lab learns from (within a size limit), so the project opens on another
  machine; on loading it is checked against its name and kept in the table cache, where the lab finds it.

Loading is defensive, because a project may come from anywhere: nothing in it can run code (no pickle; tensors are
read by safetensors, which holds data only), the zip is read in memory and never extracted, only whitelisted entry
names are accepted, each entry has a size limit (and a compression-ratio limit against zip bombs), and every problem
is one :class:`ProjectError` that names the file and what is wrong. Nothing is changed until the whole file has been
read and checked.

Saving writes a temporary file beside the target, flushes it to disk and renames it over the old file, so a crash
or a kill in the middle of a save leaves the last good file in place.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from playground import __version__
from playground.graph import GraphError, Lab
from playground.graph.errors import shown

from .errors import EngineError

FORMAT = "neural-network-playground/project"
VERSION = 1
EXTENSION = ".nnp"
ZIP_MAGIC = b"PK\x03\x04"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

MANIFEST = "manifest.json"
LAB = "lab.json"
STATE_JSON = "state.json"
STATE_TENSORS = "state.safetensors"
HISTORY = "history.csv"
THUMBNAIL = "thumbnail.png"
_WEIGHTS_RE = re.compile(r"weights/([A-Za-z0-9_-]{1,64})\.safetensors")
_TABLE_RE = re.compile(r"tables/([0-9a-f]{64})\.csv")

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


class ProjectError(EngineError):
    """A project file that cannot be read or written; the message names the file and what is wrong."""


@dataclass
class Project:
    """What a project file holds. ``checkpoint`` is what ``Trainer.checkpoint()`` returned (None for a lab that
    never trained); ``trained_lab`` is the lab the checkpoint belongs to (the same as ``lab`` unless the editor's
    lab was edited after training and the edit not applied)."""

    lab: Lab
    checkpoint: dict[str, Any] | None = None
    trained_lab: Lab | None = None
    thumbnail: bytes | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, bytes] = field(default_factory=dict)  # the tables it carried, by SHA-256

    @property
    def training_lab(self) -> Lab:
        return self.trained_lab if self.trained_lab is not None else self.lab

    @property
    def epoch(self) -> int:
        meta = (self.checkpoint or {}).get("meta", {})
        return int(meta.get("epoch", 0)) if isinstance(meta, Mapping) else 0

    @property
    def step(self) -> int:
        meta = (self.checkpoint or {}).get("meta", {})
        return int(meta.get("step", 0)) if isinstance(meta, Mapping) else 0


def is_project_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` starts like a zip (a project), False for anything else (a lab's JSON, say)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == ZIP_MAGIC
    except OSError:
        return False


# Saving ---------------------------------------------------------------------------------------------------------

def _weights_entry(name: str, index: int, taken: set[str]) -> str:
    """The zip entry of a network's weights: its own name when that is a safe file name, else ``network<i>``."""
    slug = name if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else f"network{index + 1}"
    while slug.lower() in taken:
        slug = f"{slug[:60]}_{index + 1}"
    taken.add(slug.lower())
    return f"weights/{slug}.safetensors"


def _split_tensors(lab: Lab, tensors: Mapping[str, torch.Tensor]) -> tuple[dict[str, dict[str, torch.Tensor]],
                                                                           dict[str, torch.Tensor]]:
    """``model/<network>/<key>`` tensors per network; every other tensor (optimizer, RNG, permutation) apart."""
    names = sorted((n.name for n in lab.networks), key=len, reverse=True)  # longest first: "a/b" before "a"
    per_net: dict[str, dict[str, torch.Tensor]] = {n.name: {} for n in lab.networks}
    rest: dict[str, torch.Tensor] = {}
    for key, value in tensors.items():
        if not isinstance(value, torch.Tensor):
            raise ProjectError(f"Checkpoint entry '{key}' is not a tensor")
        for name in names:
            if key.startswith(f"model/{name}/"):
                per_net[name][key[len(name) + 7:]] = value
                break
        else:
            if key.startswith("model/"):
                raise ProjectError(f"Checkpoint tensor '{key}' belongs to no network of the lab")
            rest[key] = value
    return per_net, rest


def _plain_tensors(tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU, contiguous, one storage each (safetensors refuses tensors that share memory, e.g. tied weights)."""
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for key, t in tensors.items():
        t = t.detach().to("cpu").contiguous()
        ptr = t.untyped_storage().data_ptr() if t.numel() else -1
        if ptr in seen:
            t = t.clone()
        elif ptr != -1:
            seen.add(ptr)
        out[key] = t
    return out


def _num(x: float) -> str:
    if x != x:
        return ""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def history_csv(history: Mapping[str, Any]) -> str:
    names = list(history)
    for name in names:
        if not name or any(c in name for c in ',"\r\n'):
            raise ProjectError(f"History column name {name!r} cannot be written to CSV")
    columns = [[float(v) for v in history[n]] for n in names]
    rows = len(columns[0]) if columns else 0
    if any(len(c) != rows for c in columns):
        raise ProjectError("The history's columns have different lengths")
    lines = [",".join(names)]
    lines += [",".join(_num(c[i]) for c in columns) for i in range(rows)]
    return "\n".join(lines) + "\n"


def project_entries(lab: Lab, checkpoint: Mapping[str, Any] | None = None, *, trained_lab: Lab | None = None,
                    thumbnail: bytes | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """Every entry of the project's zip, manifest first, as bytes."""
    from safetensors.torch import save as save_tensors

    if thumbnail is not None and not bytes(thumbnail[:8]) == PNG_MAGIC:
        raise ProjectError("The thumbnail must be a PNG image")
    weights_lab = trained_lab if trained_lab is not None else lab
    entries: dict[str, bytes] = {LAB: lab.to_json().encode("utf-8")}
    from .own_data import project_tables

    for sha, blob in project_tables(lab, trained_lab).items():
        entries[f"tables/{sha}.csv"] = blob
    networks: list[dict[str, str]] = []
    training: dict[str, Any] = {}
    if checkpoint is not None:
        try:
            tensors, meta, history = checkpoint["tensors"], checkpoint["meta"], checkpoint["history"]
        except (KeyError, TypeError):
            raise ProjectError("A checkpoint needs 'tensors', 'meta' and 'history'") from None
        per_net, rest = _split_tensors(weights_lab, tensors)
        taken: set[str] = set()
        for i, net in enumerate(weights_lab.networks):
            entry = _weights_entry(net.name, i, taken)
            networks.append({"name": net.name, "file": entry})
            entries[entry] = save_tensors(_plain_tensors(per_net[net.name]), metadata={"network": net.name})
        entries[STATE_TENSORS] = save_tensors(_plain_tensors(rest))
        state: dict[str, Any] = {"meta": meta}
        if trained_lab is not None and trained_lab.to_dict() != lab.to_dict():
            state["trained_lab"] = trained_lab.to_dict()
        try:
            entries[STATE_JSON] = (json.dumps(state, indent=1) + "\n").encode("utf-8")
        except (TypeError, ValueError) as e:
            raise ProjectError(f"The checkpoint's plain state cannot be written as JSON: {e}") from None
        entries[HISTORY] = history_csv(history).encode("utf-8")
        if isinstance(meta, Mapping):
            training = {k: meta[k] for k in ("epoch", "step", "elapsed") if k in meta}
    if thumbnail is not None:
        entries[THUMBNAIL] = bytes(thumbnail)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "app": f"neural-network-playground {__version__}",
        "saved": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "lab": lab.name,
        "networks": networks,
        "training": training,
        "files": {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in entries.items()},
    }
    if extra:
        manifest["extra"] = dict(extra)
    return {MANIFEST: (json.dumps(manifest, indent=1) + "\n").encode("utf-8"), **entries}


def save_project(path: str | os.PathLike[str], lab: Lab, checkpoint: Mapping[str, Any] | None = None, *,
                 trained_lab: Lab | None = None, thumbnail: bytes | None = None,
                 extra: Mapping[str, Any] | None = None) -> int:
    """Write a project file atomically; returns its size in bytes. Raises ProjectError (naming the file)."""
    target = os.fspath(path)
    try:
        entries = project_entries(lab, checkpoint, trained_lab=trained_lab, thumbnail=thumbnail, extra=extra)
    except ProjectError as e:
        raise ProjectError(f"Cannot save {target}: {e.message}") from None
    folder = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise ProjectError(f"Cannot save {target}: {e.strerror or e}") from None
    try:
        os.chmod(tmp, _file_mode(target))
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w") as zf:
                for name, data in entries.items():
                    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                    # Tensors hardly compress and are big: stored, they write and read at disk speed.
                    info.compress_type = zipfile.ZIP_STORED if name.endswith((".safetensors", ".png")) else \
                        zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _sync_folder(folder)
        _remove_stale_temporaries(folder, os.path.basename(target))
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise ProjectError(f"Cannot save {target}: {e.strerror or e}") from None
        raise
    return os.path.getsize(target)


STALE_TEMPORARY_S = 3600


def _remove_stale_temporaries(folder: str, name: str) -> None:
    """Temporary files of saves that were killed before their rename: removed once they are an hour old (a
    younger one may be another process's save in progress)."""
    now = time.time()
    try:
        leftovers = [e for e in os.scandir(folder) if e.name.startswith(f".{name}-") and e.name.endswith(".tmp")]
    except OSError:
        return
    for entry in leftovers:
        try:
            if now - entry.stat().st_mtime > STALE_TEMPORARY_S:
                os.unlink(entry.path)
        except OSError:
            pass


def _file_mode(target: str) -> int:
    """The replaced file's permissions, or those of a new file under the umask (mkstemp's are owner-only)."""
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# Loading --------------------------------------------------------------------------------------------------------

def _limit(name: str) -> int:
    if name in (MANIFEST, LAB, STATE_JSON):
        return MAX_JSON_BYTES
    if name == HISTORY:
        return MAX_HISTORY_BYTES
    if name == THUMBNAIL:
        return MAX_THUMBNAIL_BYTES
    if name.startswith("tables/"):
        return MAX_TABLE_BYTES
    return MAX_TENSOR_FILE_BYTES


def _allowed(name: str) -> bool:
    return name in (MANIFEST, LAB, STATE_JSON, STATE_TENSORS, HISTORY, THUMBNAIL) or \
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
    except Exception as e:  # noqa: BLE001 - SafetensorError and friends: a damaged or hostile header
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


@dataclass(frozen=True)
class NetworkShapes:
    """What a network's graph compiles to, as shapes only (meta tensors: no memory): its state dict, and how many
    parameter tensors and bytes of parameters it has (optimizer state is kept per parameter)."""

    state: dict[str, torch.Tensor]
    parameters: int
    parameter_bytes: int

    @property
    def state_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.state.values())


def network_shapes(lab: Lab, where: str) -> dict[str, NetworkShapes]:
    """Each network of ``lab`` compiled on the meta device. Raises ProjectError when the lab is not valid."""
    from playground.compile import compile_network

    try:
        lab.check()
    except GraphError as e:
        raise ProjectError(f"{where}: the lab the weights were trained with is not valid: {e}") from None
    shapes: dict[str, NetworkShapes] = {}
    for net in lab.networks:
        try:
            with torch.device("meta"):  # shapes only: no memory for the weights, no initialisation cost
                module = compile_network(net.graph, net.name).module
        except (GraphError, EngineError) as e:
            raise ProjectError(f"{where}: the network '{net.name}' does not compile: {e}") from None
        params = list(module.parameters())
        shapes[net.name] = NetworkShapes(module.state_dict(), len(params),
                                         sum(p.numel() * p.element_size() for p in params))
    return shapes


def check_weights_fit(lab: Lab, weights: Mapping[str, Mapping[str, torch.Tensor]], where: str,
                      shapes: Mapping[str, NetworkShapes] | None = None) -> None:
    """Raise ProjectError unless each network's saved tensors have exactly the names and shapes its graph
    compiles to: checked before anything opens, so weights that do not fit never replace the open work.
    ``shapes`` is :func:`network_shapes` of ``lab`` when the caller has it already."""
    if shapes is None:
        shapes = network_shapes(lab, where)
    for net in lab.networks:
        saved = weights.get(net.name)
        if saved is None:
            raise ProjectError(f"{where}: no weights for the network '{net.name}'")
        expected = shapes[net.name].state
        missing = sorted(set(expected) - set(saved))
        extra = sorted(set(saved) - set(expected))
        if missing or extra:
            what = (f"missing {', '.join(missing[:3])}" if missing else "") + \
                   ("; " if missing and extra else "") + (f"unexpected {', '.join(extra[:3])}" if extra else "")
            raise ProjectError(f"{where}: the weights of '{net.name}' do not fit its graph ({what})")
        for key, tensor in expected.items():
            if tuple(saved[key].shape) != tuple(tensor.shape):
                raise ProjectError(f"{where}: the weights of '{net.name}' do not fit its graph: '{key}' has shape "
                                   f"{tuple(saved[key].shape)}, the graph needs {tuple(tensor.shape)}")
            if saved[key].dtype != tensor.dtype:
                raise ProjectError(f"{where}: the weights of '{net.name}' do not fit its graph: '{key}' is "
                                   f"{saved[key].dtype}, the graph needs {tensor.dtype}")


_META_INTS = ("epoch", "step", "pos", "seed", "batches", "seen", "epoch_limit", "data_version")


def _check_state(meta: dict[str, Any], tensors: Mapping[str, torch.Tensor], where: str) -> None:
    """The plain state and the non-weight tensors have the types and shapes the trainer will trust: a hand-made
    file must fail here, with a message, not later inside a training step."""
    for key in _META_INTS:
        value = meta.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
            raise ProjectError(f"{where}: {STATE_JSON}: '{key}' must be a non-negative integer. Received: "
                               f"{value!r}"[:300])
    for key in ("elapsed", "start_loss"):
        value = meta.get(key, 0.0)
        if value is not None and not _finite_number(value):
            raise ProjectError(f"{where}: {STATE_JSON}: '{key}' must be a number. Received: {value!r}"[:300])
    optimizers = meta.get("optimizers", {})
    if not isinstance(optimizers, dict) or not all(
            isinstance(o, dict) and isinstance(o.get("param_groups"), list) and isinstance(o.get("state", {}), dict)
            and all(isinstance(g, dict) for g in o["param_groups"])
            and all(isinstance(v, dict) for v in o.get("state", {}).values()) for o in optimizers.values()):
        raise ProjectError(f"{where}: {STATE_JSON}: 'optimizers' is not a valid optimizer state")
    # The CPU generator's state (Mersenne Twister) or a CUDA generator's (Philox seed and offset): the training
    # generator lives on the device the run used, so a project saved from a GPU run holds the short one.
    cpu_state = torch.get_rng_state().numel()
    for name, sizes in (("rng/torch", (cpu_state,)), ("rng/generator", (cpu_state, CUDA_RNG_STATE_BYTES)),
                        ("rng/cuda", (CUDA_RNG_STATE_BYTES,))):
        t = tensors.get(name)
        if t is not None and (t.dtype != torch.uint8 or t.dim() != 1 or t.numel() not in sizes):
            raise ProjectError(f"{where}: {STATE_TENSORS}: '{name}' is not a random generator state")
    perm = tensors.get("perm")
    if perm is not None:
        if perm.dtype != torch.int64 or perm.dim() != 1 or not torch.equal(
                torch.sort(perm).values, torch.arange(perm.numel())):
            raise ProjectError(f"{where}: {STATE_TENSORS}: 'perm' is not a permutation")
        if meta.get("pos", 0) >= perm.numel():
            raise ProjectError(f"{where}: {STATE_JSON}: 'pos' lies beyond the epoch's permutation")
    for name in ("running/losses", "running/corrects"):
        t = tensors.get(name)
        # The running loss is averaged (a mean of integers fails inside the step), correct answers are summed.
        ok = t is None or (t.dim() == 1 and (t.is_floating_point() or (
            name == "running/corrects" and t.dtype in (torch.int64, torch.int32))))
        if not ok:
            raise ProjectError(f"{where}: {STATE_TENSORS}: '{name}' must be a list of numbers")
    for name, t in tensors.items():
        if not name.startswith(("optimizer/", "rng/", "running/")) and name != "perm":
            raise ProjectError(f"{where}: {STATE_TENSORS}: unexpected tensor '{name}'"[:300])


CUDA_RNG_STATE_BYTES = 16  # a CUDA generator's state: its seed and its Philox offset, 8 bytes each
_HOW_FLAGS = ("foreach", "fused")  # how torch runs the update, not what it computes: may differ between machines
# Hyperparameters handed to the optimizer's constructor, so that torch's own range checks judge them.
_CONSTRUCTOR_KEYS = ("lr", "betas", "eps", "weight_decay", "momentum", "dampening", "nesterov", "alpha", "lr_decay",
                     "initial_accumulator_value")


def _finite_number(value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond any float
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_optimizer_states(lab: Lab, meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor],
                           parameters: int, where: str) -> None:
    """Every value of the saved optimizer states against what the lab's optimizer takes: each parameter group's
    settings (type, range, the flags this app sets), its parameter numbers, and each parameter's state entries.
    torch checks almost none of this when a state is loaded; a wrong value surfaces later, inside a (fused) step,
    as a TypeError from the kernel. ``parameters`` is the number of parameter tensors of the lab's networks."""
    from .trainer import make_optimizer

    optimizers = meta.get("optimizers", {})
    probe = torch.nn.Parameter(torch.zeros(2))
    try:
        reference = make_optimizer(lab.training, [probe])
    except EngineError as e:
        raise ProjectError(f"{where}: {e.message}") from None
    kind = type(reference).__name__
    ref_group = {k: v for k, v in reference.param_groups[0].items() if k != "params"}
    state_keys: dict[str, set[str]] = {}
    for name, saved in optimizers.items():
        what = f"{where}: {STATE_JSON}: optimizer {_short(name)}"
        groups = saved["param_groups"]
        if not groups:
            raise ProjectError(f"{what} has no parameter groups")
        numbered: list[int] = []
        settings: dict[str, Any] = {}
        for g, group in enumerate(groups):
            at = f"{what}, parameter group {g}"
            for key, ref in ref_group.items():
                if key not in group and not (isinstance(ref, bool) or ref is None):
                    raise ProjectError(f"{at} has no {key!r}, which the lab's {kind} optimizer needs")
            for key, value in group.items():
                if key == "params":
                    if not isinstance(value, list) or not all(
                            isinstance(i, int) and not isinstance(i, bool) for i in value):
                        raise ProjectError(f"{at}: 'params' must be a list of parameter numbers. Received: "
                                           f"{_short(value)}")
                    numbered += value
                    continue
                if key not in ref_group:
                    raise ProjectError(f"{at}: {_short(key)} is no setting of the lab's {kind} optimizer")
                ref = ref_group[key]
                if key in _HOW_FLAGS:
                    if value is not None and not isinstance(value, bool) or (value and not ref and key == "fused"):
                        raise ProjectError(f"{at}: {key!r} must be " + ("true, false or null" if ref else
                                           "false or null") + f" for the lab's {kind} optimizer. Received: "
                                           f"{_short(value)}")
                elif isinstance(ref, bool) or ref is None:
                    if type(value) is not type(ref) or value != ref:
                        raise ProjectError(f"{at}: {key!r} must be {json.dumps(ref)} for the lab's {kind} "
                                           f"optimizer. Received: {_short(value)}")
                elif isinstance(ref, tuple):
                    if not isinstance(value, (list, tuple)) or len(value) != len(ref) or not all(
                            _finite_number(v) for v in value):
                        raise ProjectError(f"{at}: {key!r} must be a list of {len(ref)} numbers. Received: "
                                           f"{_short(value)}")
                elif not _finite_number(value):
                    raise ProjectError(f"{at}: {key!r} must be a finite number. Received: {_short(value)}")
            if group.get("foreach") and group.get("fused"):
                raise ProjectError(f"{at}: 'foreach' and 'fused' cannot both be true")
            settings = {k: tuple(group[k]) if isinstance(group[k], list) else group[k]
                        for k in _CONSTRUCTOR_KEYS if k in group}
            try:  # torch's own checks: a negative rate, betas outside [0, 1), Nesterov without momentum...
                type(reference)([torch.nn.Parameter(torch.zeros(2))], **settings)
            except (ValueError, TypeError, RuntimeError) as e:
                raise ProjectError(f"{at}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        if numbered != list(range(len(numbered))) or len(numbered) > parameters:
            raise ProjectError(f"{what}: 'params' must number the lab's {parameters} parameters 0, 1, 2... in "
                               f"order. Received: {_short(numbered)}")
        # The state entries this optimizer keeps per parameter: those of one step with the saved settings.
        sample = torch.nn.Parameter(torch.zeros(2))
        stepper = type(reference)([sample], **settings)
        sample.grad = torch.ones(2)
        stepper.step()
        state_keys[name] = set(stepper.state[sample])
        for index, entry in saved.get("state", {}).items():
            if not (isinstance(index, str) and index.isdigit() and int(index) < len(numbered)):
                raise ProjectError(f"{what}: a state for parameter {_short(index)}, which its groups do not have")
            for key, value in entry.items():
                if key == "step" and _finite_number(value) and value >= 0:
                    continue  # older files keep the step count as a plain number
                raise ProjectError(f"{what}: the state of parameter {index} has {_short(key)} = {_short(value)}; "
                                   f"optimizer state values are tensors")
    for key in tensors:
        if not key.startswith("optimizer/"):
            continue
        parts = key.split("/")
        saved = optimizers.get(parts[1]) if len(parts) == 4 else None
        if saved is None or parts[2] not in saved.get("state", {}):
            raise ProjectError(f"{where}: {STATE_TENSORS}: {_short(key)} belongs to no saved optimizer state")
        if parts[3] not in state_keys[parts[1]]:
            raise ProjectError(f"{where}: {STATE_TENSORS}: {_short(key)}: the lab's {kind} optimizer keeps no "
                               f"{parts[3]!r} (it keeps {', '.join(sorted(state_keys[parts[1]])) or 'none'})")


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
        try:
            remember_table(blob)
        except OSError:
            pass  # a read-only cache: the lab then looks for the table at its path, and says so if it is not there


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


def read_project(source: Any, where: str = "the project") -> Project:
    """Read a project from a binary file object (or bytes); ``where`` names it in messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    head = source.read(4)
    source.seek(0)
    if head != ZIP_MAGIC:
        if head[:1] in (b"{", b"\xef", b" ", b"\n"):
            raise ProjectError(f"{where} is not a project file (it looks like a lab's JSON: open it as a lab)")
        raise ProjectError(f"{where} is not a project file (not a zip archive)")
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile as e:
        raise ProjectError(f"{where} is damaged or truncated: {e}") from None
    except (ValueError, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise ProjectError(f"{where} is damaged or truncated ({type(e).__name__}: {e})") from None
    with zf:
        infos = _check_entries(zf, where)
        manifest = _check_manifest(_json(_read(zf, infos[MANIFEST], where), MANIFEST, where), where)
        listed = set(manifest["files"])
        present = set(infos) - {MANIFEST}
        if listed != present:
            missing, unlisted = sorted(listed - present), sorted(present - listed)
            raise ProjectError(f"{where} is incomplete or altered: " + (
                f"missing {', '.join(missing)}" if missing else f"unlisted entry {', '.join(unlisted)}"))
        for name in sorted(present):
            if infos[name].file_size != manifest["files"][name]["size"]:
                raise ProjectError(f"{where}: the entry {shown(name)} holds {infos[name].file_size:,} bytes, its "
                                   f"manifest says {manifest['files'][name]['size']:,}; the file is damaged")
        # The small entries first: the lab they hold says how big the weights and the training state can be, so
        # that an entry inflating past that is refused before a byte of it is read.
        big = {name for name in present if name in (STATE_TENSORS, HISTORY) or name.startswith("weights/")}
        data: dict[str, bytes] = {name: _read(zf, infos[name], where, manifest["files"][name]["sha256"])
                                  for name in sorted(present - big)}
        if LAB not in data:
            raise ProjectError(f"{where}: no {LAB} in the project")
        try:
            lab = Lab.from_json(data[LAB].decode("utf-8"))
        except UnicodeDecodeError:
            raise ProjectError(f"{where}: {LAB} is not UTF-8 text") from None
        except GraphError as e:
            raise ProjectError(f"{where}: {LAB}: {e.message}") from None
        thumbnail = data.get(THUMBNAIL)
        if thumbnail is not None and thumbnail[:8] != PNG_MAGIC:
            raise ProjectError(f"{where}: {THUMBNAIL} is not a PNG image")
        project = Project(lab=lab, thumbnail=thumbnail, manifest=manifest)
        _keep_tables(project, data, where)
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
        files = {n["name"]: n["file"] for n in manifest["networks"]}
        names = [net.name for net in trained_lab.networks]
        if sorted(files) != sorted(names) or len(files) != len(manifest["networks"]):
            raise ProjectError(f"{where}: the manifest lists the networks {sorted(files)}, the lab has "
                               f"{sorted(names)}")
        if set(files.values()) != weight_files or len(set(files.values())) != len(files):
            raise ProjectError(f"{where}: the manifest's weight files do not match the entries of the zip")
        shapes = network_shapes(trained_lab, where)
        bounds = _entry_bounds(shapes, files, state["meta"])
        for name in sorted(big):
            if infos[name].file_size > bounds[name]:
                raise ProjectError(f"{where}: the entry {shown(name)} claims {infos[name].file_size:,} bytes; the lab "
                                   f"it belongs to needs at most {bounds[name]:,}; refusing the file")
        for name in sorted(big):
            data[name] = _read(zf, infos[name], where, manifest["files"][name]["sha256"])
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
    return project
