"""The GAN task: it learns the ring, freezing freezes, k discriminator steps per generator step, live settings,
drawn targets, and clear refusals of networks that cannot play the game."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.data import gan2d
from playground.engine import commands as cmd
from playground.engine.errors import EngineError
from playground.engine.gan import GanTask
from playground.engine.trainer import Trainer
from playground.graph import DatasetSettings, Lab, TrainingSettings
from playground.graph.templates import build_template, sequential
from playground.snapshots import GanPlane, GanSamples, GanSettings


def _run(trainer: Trainer, batches: int) -> None:
    trainer.send(cmd.Step(batches=batches))
    for _ in trainer.run(interval=None):
        pass


def _fakes(trainer: Trainer) -> np.ndarray:
    task = trainer.task
    assert isinstance(task, GanTask)
    with torch.no_grad():
        return task.generate(task.fixed_noise("plane", 500)).numpy()


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b))


@pytest.mark.slow
def test_the_ring_template_learns_the_ring() -> None:
    lab = build_template("gan")
    trainer = Trainer(lab, device="cpu")
    start = gan2d.distance_to_ring(_fakes(trainer)).mean()
    _run(trainer, 500)
    end = gan2d.distance_to_ring(_fakes(trainer)).mean()
    assert start > 0.5  # an untrained generator puts its points near the centre
    assert end < start / 2, (start, end)
    angles = np.arctan2(_fakes(trainer)[:, 1], _fakes(trainer)[:, 0])
    counts, _ = np.histogram(angles, bins=8, range=(-np.pi, np.pi))
    assert (counts > 0).sum() >= 6  # round most of the ring, not collapsed onto one spot


def test_an_epoch_records_every_gan_curve() -> None:
    lab = build_template("gan")
    lab.dataset.samples = 300
    trainer = Trainer(lab, device="cpu")
    trainer.train(epochs=1)
    for split in ("train", "test"):
        for name in ("loss", "d_loss", "g_loss", "d_real", "d_fake"):
            value = trainer.history.last(f"{split}_{name}")
            assert np.isfinite(value), (split, name)
    assert 0 < trainer.history.last("train_d_real") < 1
    assert trainer.history.last("train_loss") == pytest.approx(
        trainer.history.last("train_d_loss") + trainer.history.last("train_g_loss"), rel=1e-5)


@pytest.mark.parametrize("frozen, moving", [("generator", "discriminator"), ("discriminator", "generator")])
def test_freeze_really_freezes(frozen: str, moving: str) -> None:
    lab = build_template("gan")
    lab.training.freeze = frozen
    trainer = Trainer(lab, device="cpu")
    modules = {"generator": trainer.task.generator.module, "discriminator": trainer.task.discriminator.module}
    before = {k: _params(m) for k, m in modules.items()}
    _run(trainer, 5)
    assert _same(before[frozen], _params(modules[frozen]))
    assert not _same(before[moving], _params(modules[moving]))
    assert trainer.task.steps_taken == {frozen: 0, moving: 5}
    assert not trainer.optimizers[frozen].state  # its optimizer never stepped
    # Both curves go on, measured from the other network's passes.
    _run(trainer, 1)
    running = trainer.task.pop_running()
    assert set(running) == {"d_loss", "g_loss", "d_real", "d_fake"}


def test_k_discriminator_steps_per_generator_step_and_live_changes() -> None:
    lab = build_template("gan")
    lab.training.d_steps = 3
    trainer = Trainer(lab, device="cpu")
    _run(trainer, 9)
    assert trainer.task.steps_taken == {"generator": 3, "discriminator": 9}
    g_param = next(trainer.task.generator.module.parameters())
    assert int(trainer.optimizers["generator"].state[g_param]["step"]) == 3
    trainer.send(cmd.SetTraining({"d_steps": 1, "freeze": "generator"}))
    _run(trainer, 4)
    assert trainer.task.steps_taken == {"generator": 3, "discriminator": 13}
    trainer.send(cmd.SetTraining({"freeze": "none"}))
    _run(trainer, 2)
    assert trainer.task.steps_taken == {"generator": 5, "discriminator": 15}


def test_each_network_has_its_own_learning_rate() -> None:
    trainer = Trainer(build_template("gan"), device="cpu")
    assert trainer.optimizers["generator"].param_groups[0]["lr"] == pytest.approx(0.001)
    assert trainer.optimizers["discriminator"].param_groups[0]["lr"] == pytest.approx(0.003)
    trainer.send(cmd.SetTraining({"discriminator_learning_rate": 0.0002, "learning_rate": 0.005}))
    _run(trainer, 1)
    assert trainer.optimizers["generator"].param_groups[0]["lr"] == pytest.approx(0.005)
    assert trainer.optimizers["discriminator"].param_groups[0]["lr"] == pytest.approx(0.0002)


def test_plane_probe_and_a_drawn_target() -> None:
    trainer = Trainer(build_template("gan"), device="cpu", probes=["gan_plane", "gan_settings"])
    _run(trainer, 2)
    probes = trainer.snapshot().probes
    assert probes[GanPlane].real.shape[1] == 2 and probes[GanPlane].fake.shape == (500, 2)
    heat = probes[GanPlane].discriminator
    assert heat.ndim == 2 and heat.shape[0] == heat.shape[1] and heat.min() >= 0 and heat.max() <= 1
    assert probes[GanPlane].noise_grid.shape == (22, 40, 2)
    assert probes[GanPlane].gradients.shape == (150, 2)
    assert probes[GanPlane].target == "ring"
    assert probes[GanSettings].discriminator_learning_rate == pytest.approx(0.003)
    # The fakes of the probe come from fixed noise: the same weights give the same points.
    assert np.array_equal(trainer.compute_probes(["gan_plane"])[GanPlane].fake, probes[GanPlane].fake)

    trainer.send(cmd.SetDataset({"name": "drawn", "options": {"points": [[0, 0]]}}))
    for _ in trainer.run(interval=None):
        pass
    assert "Draw at least 3 points" in trainer.snapshot().message
    drawn = [[-1.0, -1.0], [1.0, -1.0], [0.0, 1.2]]
    trainer.send(cmd.SetDataset({"name": "drawn", "options": {"points": drawn}}))
    _run(trainer, 3)
    probes = trainer.snapshot().probes
    assert probes[GanPlane].target == "drawn"
    assert np.allclose(probes[GanPlane].drawn, drawn)
    real = probes[GanPlane].real
    assert np.min(np.linalg.norm(real[:, None] - np.asarray(drawn)[None], axis=2), axis=1).max() < 0.3


def test_digits_template_makes_images_from_fixed_noise() -> None:
    trainer = Trainer(build_template("gan_digits"), device="cpu", probes=["gan_samples", "gan_plane"])
    _run(trainer, 2)
    probes = trainer.snapshot().probes
    images = probes[GanSamples].images
    assert images.shape == (64, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert GanPlane not in probes  # images have no plane
    assert not np.allclose(images[0], images[1])  # different noise, different samples


def test_restored_gan_takes_the_same_next_steps() -> None:
    lab = build_template("gan")
    first = Trainer(lab, device="cpu")
    _run(first, 5)
    saved = first.checkpoint()
    _run(first, 3)
    second = Trainer(lab, device="cpu")
    second.restore(saved)
    _run(second, 3)
    assert np.allclose(_fakes(first), _fakes(second), atol=1e-6)


def _lab(generator: list, discriminator: list, dataset: str = "ring", roles: tuple[str, str] = (
        "generator", "discriminator")) -> Lab:
    lab = Lab(name="g", task="gan", dataset=DatasetSettings(dataset, samples=100),
              training=TrainingSettings(batch_size=16))
    lab.add_network("gen", roles[0], sequential(generator))
    lab.add_network("dis", roles[1], sequential(discriminator))
    return lab


NOISE = ("Input", {"kind": "vector", "features": 4})
POINT = ("Input", {"kind": "vector", "features": 2})
GOOD_G = [NOISE, ("Dense", {"units": 8}), ("ReLU", {}), ("Dense", {"units": 2}), ("Output", {"head": "generated"})]
GOOD_D = [POINT, ("Dense", {"units": 8}), ("ReLU", {}), ("Dense", {"units": 1}), ("Output", {"head": "realness"})]


@pytest.mark.parametrize("g, d, roles, message, node", [
    (GOOD_G, GOOD_D, ("generator", "model"), "role 'model'", None),
    (GOOD_G, GOOD_D, ("generator", "generator"), "exactly one 'generator' network", None),
    (GOOD_G[:-2] + [("Dense", {"units": 3}), ("Output", {"head": "generated"})], GOOD_D, None,
     r"makes samples of shape 3 but the dataset 'ring' has samples of shape 2 \(2 values\): give 'dense_2' 2 units",
     "dense_2"),
    (GOOD_G, GOOD_D[:-2] + [("Dense", {"units": 2}), ("Output", {"head": "realness"})], None,
     "must receive one logit per sample", "dense_2"),
    (GOOD_G, [("Input", {"kind": "vector", "features": 3})] + GOOD_D[1:], None,
     "Input 'input_1' expects samples of shape 3 but the dataset 'ring' gives 2", "input_1"),
    ([("Input", {"kind": "image", "channels": 1, "height": 2, "width": 2}), ("Flatten", {})] + GOOD_G[1:], GOOD_D,
     None, "the noise z is a vector", "input_1"),
    (GOOD_G[:-1] + [("Output", {"head": "regression"})], GOOD_D, None,
     "generator's Output 'output_1' has head 'regression': set it to 'generated'", "output_1"),
    (GOOD_G, GOOD_D[:-1] + [("Output", {"head": "classification"})], None, "set it to 'realness'", "output_1"),
])
def test_networks_that_cannot_play_are_refused_clearly(g, d, roles, message, node) -> None:
    lab = _lab(g, d, roles=roles or ("generator", "discriminator"))
    with pytest.raises(EngineError, match=message) as info:
        Trainer(lab, device="cpu")
    if node is not None:
        assert info.value.node == node


def test_a_sigmoid_discriminator_and_a_flat_generator_fit_digits() -> None:
    g = [NOISE, ("Dense", {"units": 784}), ("Sigmoid", {}), ("Output", {"head": "generated"})]
    d = [("Input", {"kind": "vector", "features": 784}), ("Dense", {"units": 1}), ("Sigmoid", {}),
         ("Output", {"head": "realness"})]
    lab = _lab(g, d, dataset="digits")
    lab.dataset.features = []
    trainer = Trainer(lab, device="cpu", probes=["gan_samples"])
    _run(trainer, 2)
    assert trainer.snapshot().probes[GanSamples].images.shape == (64, 28, 28)
    assert np.isfinite(trainer._running_loss())
