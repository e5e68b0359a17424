"""Writing a project file: every entry of the zip with its size and SHA-256 in the manifest, written to a temporary
file beside the target, flushed to disk and renamed over the old file, so a crash or a kill in the middle of a save
leaves the last good file in place."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Mapping
from typing import Any

import torch

from playground import __version__
from playground.graph import Lab

from .project_format import (
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
    ProjectError,
)


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
    if x != x:  # NaN, the one float unequal to itself: an empty cell
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


def _moment_entries(saved: Any) -> dict[str, bytes]:
    """The time machine's moments (TimeTravel.checkpoint_to_save), if any: their plain parts as JSON and their
    tensors in one safetensors file, each moment's under ``<index>/``. A spilled moment whose file a thinning
    removed since it was taken is left out."""
    from safetensors.torch import load_file, save

    if not isinstance(saved, Mapping) or not saved.get("moments"):
        return {}
    plain: list[dict[str, Any]] = []
    tensors: dict[str, torch.Tensor] = {}
    for moment in saved["moments"]:
        try:
            own = moment["tensors"] if moment.get("tensors") is not None else load_file(moment["path"])
        except (OSError, KeyError, TypeError):
            continue
        index = len(plain)
        plain.append({k: moment[k] for k in ("step", "epoch", "rows", "meta")})
        tensors.update({f"{index}/{key}": value for key, value in own.items()})
    if not plain:
        return {}
    try:
        text = json.dumps({"gap": int(saved.get("gap", 1)), "moments": plain}, indent=1)
    except (TypeError, ValueError) as e:
        raise ProjectError(f"The time machine's moments cannot be written as JSON: {e}") from None
    return {MOMENTS_JSON: (text + "\n").encode("utf-8"), MOMENTS_TENSORS: save(_plain_tensors(tensors))}


def project_entries(lab: Lab, checkpoint: Mapping[str, Any] | None = None, *, trained_lab: Lab | None = None,
                    thumbnail: bytes | None = None, extra: Mapping[str, Any] | None = None,
                    runs: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
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
        entries.update(_moment_entries(checkpoint.get("moments")))
        if isinstance(meta, Mapping):
            training = {k: meta[k] for k in ("epoch", "step", "elapsed") if k in meta}
    if thumbnail is not None:
        entries[THUMBNAIL] = bytes(thumbnail)
    if runs:  # run_group.runs_section(...): optional, so a project without a comparison is as it always was
        entries[RUNS] = (json.dumps(runs, indent=1, allow_nan=False) + "\n").encode("utf-8")
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
                 extra: Mapping[str, Any] | None = None, runs: list[dict[str, Any]] | None = None) -> int:
    """Write a project file atomically; returns its size in bytes. Raises ProjectError (naming the file)."""
    target = os.fspath(path)
    try:
        entries = project_entries(lab, checkpoint, trained_lab=trained_lab, thumbnail=thumbnail, extra=extra,
                                  runs=runs)
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
