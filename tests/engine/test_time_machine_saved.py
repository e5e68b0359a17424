"""The time machine's moments saved with a project: kept through save and open (bounded), scrubbed after reopening
through the commands a window sends; old files without moments open; a damaged moments part is refused with a
message naming it while the rest of the project opens."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import torch

from playground.engine import commands as cmd
from playground.engine.project import load_project, save_project
from playground.engine.project_format import MOMENTS_JSON, MOMENTS_TENSORS
from playground.engine.time_machine import MomentStore
from playground.engine.trainer import Trainer
from playground.graph import templates
from playground.snapshots import Weights
from playground.snapshots.health import Timeline


def _trainer(epochs: int = 6) -> Trainer:
    lab = templates.build_template("spiral")
    lab.training.epochs = epochs
    trainer = Trainer(lab, device="cpu", probes=("weights",), fast_path=False, moments=True)
    assert trainer.moments is not None
    trainer.moments.budget = None  # every due moment, so the test knows which steps are kept
    return trainer


def _saved(tmp_path: Path) -> tuple[Trainer, Path]:
    trainer = _trainer()
    answers: list[dict[str, object]] = []
    trainer.train(6)
    trainer.send(cmd.TakeCheckpoint(answers.append))  # what a window's save asks for
    for _ in trainer.run(interval=None, start=False):
        pass
    path = tmp_path / "run.nnp"
    save_project(path, trainer.lab, answers[0])
    return trainer, path


def _rewrite(path: Path, change: dict[str, bytes | None]) -> None:
    """The same zip with entries replaced (None: removed), the manifest's sizes and hashes left as they were."""
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    for name, data in change.items():
        if data is None:
            entries.pop(name)
        else:
            entries[name] = data
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_a_saved_projects_moments_come_back_and_the_slider_scrubs_them(tmp_path: Path) -> None:
    trainer, path = _saved(tmp_path)
    store = trainer.moments
    assert store is not None and len(store) >= 4
    project = load_project(path)
    assert project.moments_problem == ""
    saved = project.checkpoint["moments"]  # type: ignore[index]
    assert [m["step"] for m in saved["moments"]] == [m.step for m in store.moments]
    reopened = Trainer(project.training_lab, device="cpu", probes=("weights",), fast_path=False, moments=True)
    reopened.send(cmd.Restore(project.checkpoint))  # what opening the project in the window sends
    answers: list[object] = []
    past = store.moments[2]
    reopened.send(cmd.ShowMoment(past.step, answers.append))
    for _ in reopened.run(interval=None, start=False):
        pass
    assert list(reopened.snapshot().probes[Timeline].steps) == [m.step for m in store.moments]
    shown = answers[0]
    assert getattr(shown, "step", None) == past.step
    original = trainer.moment_snapshot(past.step)
    for layer, weight in original.probes[Weights].layers.items():
        np.testing.assert_array_equal(shown.probes[Weights].layers[layer], weight)  # type: ignore[attr-defined]
    reopened.continue_from(past.step)  # and Continue from here works on a reopened run
    assert reopened.step == past.step


def test_saved_moments_are_thinned_to_fit_the_size_limit() -> None:
    store = MomentStore(budget=None)
    for step in range(100):
        store.add(step, step, step, {"w": torch.full((1000,), float(step))}, {})
    saved = store.to_save(max_bytes=20 * 4000)
    steps = [m["step"] for m in saved["moments"]]
    assert len(steps) <= 20 and steps[0] == 0 and steps[-1] == 99  # the first and the newest stay
    gaps = np.diff(steps)[1:]  # after the first moment (always kept, so its gap to the next may be shorter)
    assert max(gaps) == min(gaps) and saved["gap"] > store.gap  # spread evenly over the run


def test_an_old_file_without_moments_still_opens(tmp_path: Path) -> None:
    trainer = _trainer()
    trainer.train(2)
    path = tmp_path / "old.nnp"
    save_project(path, trainer.lab, trainer.checkpoint())  # as before the time machine was saved
    with zipfile.ZipFile(path) as zf:
        assert MOMENTS_JSON not in zf.namelist()
    project = load_project(path)
    assert project.checkpoint is not None and "moments" not in project.checkpoint and project.moments_problem == ""


def test_a_damaged_moments_part_is_refused_by_name_and_the_rest_opens(tmp_path: Path) -> None:
    _trainer_, path = _saved(tmp_path)
    good = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        index = json.loads(zf.read(MOMENTS_JSON))
        blob = zf.read(MOMENTS_TENSORS)
    index["moments"][1]["rows"] = 10_000
    flipped = blob[:-1] + bytes([blob[-1] ^ 0xFF])
    for change in ({MOMENTS_TENSORS: b"not a safetensors file"},  # its size and hash no longer match the manifest
                   {MOMENTS_TENSORS: flipped},  # the same size, one byte flipped: the hash tells
                   {MOMENTS_TENSORS: None},  # listed in the manifest, gone from the zip
                   {MOMENTS_JSON: json.dumps(index).encode()}):
        path.write_bytes(good)
        _rewrite(path, change)
        project = load_project(path)
        assert "moments" not in (project.checkpoint or {}) and project.checkpoint is not None
        assert MOMENTS_JSON in project.moments_problem and MOMENTS_TENSORS in project.moments_problem
        assert project.moments_problem.endswith("the rest of the project opened")
        assert str(path) in project.moments_problem or os.path.basename(path) in project.moments_problem
    # Checked beyond the hash too: a file written whole with a moment whose weights do not fit is refused.
    trainer = _trainer()
    trainer.train(2)
    checkpoint = trainer.checkpoint_to_save()
    moment = checkpoint["moments"]["moments"][0]
    key = next(k for k in moment["tensors"] if k.startswith("model/"))
    moment["tensors"] = {**moment["tensors"], key: torch.zeros(3)}
    save_project(path, trainer.lab, checkpoint)
    project = load_project(path)
    assert "moments" not in (project.checkpoint or {}) and "does not have the shape" in project.moments_problem
