"""The time machine's moments in a project file (``moments.json`` + ``moments.safetensors``), checked on loading
against the training state they belong to. They are an extra: a damaged pair is refused with a message naming it,
and the project opens without them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from .project_format import MOMENTS_JSON, MOMENTS_TENSORS, ProjectError
from .time_machine import MAX_MOMENTS

MOMENT_PARTS = (MOMENTS_JSON, MOMENTS_TENSORS)
# Each moment must carry these exactly as the run's own state does (shape and type), so that showing it or going
# on from it puts back tensors the model and the random generators take.
_SAME_AS_STATE = ("rng/torch", "rng/generator")


def parse_moments(text: bytes, blob: bytes, checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The saved moments in TimeTravel.checkpoint_to_save's form; ProjectError saying what is wrong."""
    import json

    from safetensors.torch import load

    try:
        index = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProjectError(f"{MOMENTS_JSON} is not valid JSON ({e})") from None
    plain = index.get("moments") if isinstance(index, dict) else None
    gap = index.get("gap", 1) if isinstance(index, dict) else None
    if not isinstance(plain, list) or not isinstance(gap, int) or gap < 1:
        raise ProjectError(f"{MOMENTS_JSON} needs a 'moments' list and a whole 'gap' of at least 1")
    if len(plain) > MAX_MOMENTS:
        raise ProjectError(f"{MOMENTS_JSON} lists {len(plain)} moments; a run keeps at most {MAX_MOMENTS}")
    try:
        tensors = load(blob)
    except Exception as e:  # SafetensorError and friends: a damaged or hostile header
        raise ProjectError(f"{MOMENTS_TENSORS} is not a valid safetensors file ({e})") from None
    per_moment: list[dict[str, torch.Tensor]] = [{} for _ in plain]
    for key, value in tensors.items():
        head, _, rest = key.partition("/")
        if not head.isdigit() or int(head) >= len(plain) or not rest:
            raise ProjectError(f"{MOMENTS_TENSORS} holds {key[:80]!r}, which belongs to no moment listed")
        per_moment[int(head)][rest] = value
    rows = len(next(iter(checkpoint["history"].values()), []))
    state = checkpoint["tensors"]
    model = {k: v for k, v in state.items() if k.startswith("model/")}
    moments = []
    for i, (entry, own) in enumerate(zip(plain, per_moment, strict=True)):
        moments.append(_moment(i, entry, own, model, state, rows))
    steps = [m["step"] for m in moments]
    if steps != sorted(set(steps)) or (steps and steps[-1] > int(checkpoint["meta"].get("step", 0))):
        raise ProjectError(f"{MOMENTS_JSON}: the moments' steps must rise, up to the step the project was saved at")
    return {"gap": gap, "moments": moments}


def _moment(i: int, entry: Any, own: dict[str, torch.Tensor], model: Mapping[str, torch.Tensor],
            state: Mapping[str, torch.Tensor], rows: int) -> dict[str, Any]:
    if not isinstance(entry, dict) or not isinstance(entry.get("meta"), dict):
        raise ProjectError(f"{MOMENTS_JSON}: moment {i + 1} needs 'step', 'epoch', 'rows' and a 'meta' object")
    numbers = [entry.get(k) for k in ("step", "epoch", "rows")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        raise ProjectError(f"{MOMENTS_JSON}: moment {i + 1}'s step, epoch and rows must be whole numbers ≥ 0")
    if entry["rows"] > rows:
        raise ProjectError(f"{MOMENTS_JSON}: moment {i + 1} has {entry['rows']} rows of curves; the run has {rows}")
    weights = {k for k in own if k.startswith("model/")}
    if weights != set(model):
        missing = sorted(set(model) - weights) or sorted(weights - set(model))
        raise ProjectError(f"{MOMENTS_TENSORS}: moment {i + 1}'s weights do not match the network's "
                           f"(first difference: {missing[0]})")
    for key in [*model, *_SAME_AS_STATE]:
        if key not in state:
            continue
        if key not in own or own[key].shape != state[key].shape or own[key].dtype != state[key].dtype:
            raise ProjectError(f"{MOMENTS_TENSORS}: moment {i + 1}'s {key} does not have the shape and type of the "
                               "run's own")
    return {"step": entry["step"], "epoch": entry["epoch"], "rows": entry["rows"], "meta": entry["meta"],
            "tensors": own}
