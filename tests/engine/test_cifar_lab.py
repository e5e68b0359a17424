"""A colour lab: the CIFAR-10 template trains on a (made-up, tiny) downloaded CIFAR-10 and its image probes keep
colour."""

import io
import tarfile

import numpy as np

from playground.data import cifar, image_sets
from playground.engine.datasets import load_dataset
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.snapshots import AugmentedSamples, Confusion, FeatureMaps, Filters


def fake_download(root, per_batch=40):
    folder = root / "cifar10"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    with tarfile.open(folder / cifar.ARCHIVE, "w:gz") as tar:
        for name in list(cifar.TRAIN_BATCHES) + [cifar.TEST_BATCH]:
            labels = rng.integers(0, 10, per_batch, dtype=np.uint8)
            # Each class a colour: class k's images lean towards one channel, so a network can learn something.
            images = rng.integers(0, 120, (per_batch, 3, 32, 32), dtype=np.uint8)
            images[np.arange(per_batch), labels % 3] += (labels[:, None, None] * 12).astype(np.uint8)
            data = np.concatenate([labels[:, None], images.reshape(per_batch, -1)], axis=1).tobytes()
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_cifar_template_trains_and_keeps_colour(tmp_path, monkeypatch):
    monkeypatch.setenv(image_sets.CACHE_ENV, str(tmp_path))
    image_sets._load.cache_clear()
    fake_download(tmp_path)
    lab = build_template("cifar_cnn")
    data = load_dataset(lab.dataset, lab.seed)
    assert data.input_shape == (3, 32, 32) and data.classes == 10 and data.class_names[0] == "airplane"
    lab.training = lab.training.updated(epochs=2, augment_shift=0.1, augment_noise=0.02)
    trainer = Trainer(lab, device="cpu", probes=("filters", "feature_maps", "confusion", "augmented"))
    snap = trainer.train()
    assert np.isfinite(snap.metrics["train_loss"])
    p = snap.probes
    assert p[Filters].layers["conv_1"].shape == (16, 3, 3, 3)
    assert p[FeatureMaps].input.shape == (3, 32, 32)
    assert p[Confusion].images.ndim == 4 and p[Confusion].images.shape[1:] == (3, 32, 32)
    assert p[AugmentedSamples].images.shape == (48, 3, 32, 32)
    image_sets._load.cache_clear()
