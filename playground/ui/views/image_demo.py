"""The five image views in one window, fed by synthetic data (digits drawn with numpy, a small random CNN run in
numpy): ``python -m playground.ui.views.image_demo``. A look at the views without the engine or a data set."""

from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace

import numpy as np
from PySide6.QtWidgets import QApplication, QGridLayout, QGroupBox, QVBoxLayout, QWidget

from playground.snapshots import Confusion, FeatureMaps, Filters, ProbeResults, Record, Weights
from playground.viz.convolution import KERNEL_PRESETS, convolve2d

from .class_templates import ClassTemplateView
from .confusion import ConfusionMatrixView
from .feature_maps import FeatureMapView
from .filter_lab import FilterLabView
from .filters import FilterGridView

# Seven-segment-ish strokes for each digit, in a 0..1 box: (y0, x0, y1, x1).
_T, _M, _B, _L, _R = 0.15, 0.5, 0.85, 0.3, 0.7
_SEGMENTS = {"a": (_T, _L, _T, _R), "b": (_T, _R, _M, _R), "c": (_M, _R, _B, _R), "d": (_B, _L, _B, _R),
             "e": (_M, _L, _B, _L), "f": (_T, _L, _M, _L), "g": (_M, _L, _M, _R)}
_DIGITS = {0: "abcdef", 1: "bc", 2: "abged", 3: "abgcd", 4: "fgbc", 5: "afgcd", 6: "afgedc", 7: "abc",
           8: "abcdefg", 9: "abcdfg"}


def draw_digit(digit: int, rng: np.random.Generator | None = None, size: int = 28) -> np.ndarray:
    """A (size, size) float image of ``digit`` in thick soft strokes, slightly jittered by ``rng``."""
    rng = rng or np.random.default_rng(digit)
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    image = np.zeros((size, size))
    shift = rng.normal(0, 0.03, 2)
    slant = rng.normal(0.1, 0.05)
    for s in _DIGITS[digit]:
        y0, x0, y1, x1 = _SEGMENTS[s]
        x0, x1 = x0 + slant * (0.5 - y0), x1 + slant * (0.5 - y1)
        t = np.linspace(0, 1, 30)[:, None, None]
        py, px = y0 + t * (y1 - y0) + shift[0], x0 + t * (x1 - x0) + shift[1]
        d2 = ((yy - py) ** 2 + (xx - px) ** 2).min(axis=0)
        image = np.maximum(image, np.exp(-d2 / (2 * 0.045 ** 2)))
    return np.clip(image, 0, 1).astype(np.float32)


def max_pool(maps: np.ndarray) -> np.ndarray:
    c, h, w = maps.shape
    pooled: np.ndarray = maps[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))
    return pooled


class SyntheticImageRun:
    """A LeNet-shaped network with hand-made first-layer edge filters and random rest, run in numpy."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.rng = rng
        edges = [KERNEL_PRESETS[n] for n in list(KERNEL_PRESETS)[:4]] + [KERNEL_PRESETS["Laplacian"],
                                                                         KERNEL_PRESETS["sharpen"] / 5]
        self.conv_1 = np.stack([np.pad(e, 1)[None] for e in edges]).astype(np.float32)  # (6, 1, 5, 5)
        self.conv_1 += rng.normal(0, 0.15, self.conv_1.shape).astype(np.float32)
        self.conv_2 = rng.normal(0, 0.3, (16, 6, 5, 5)).astype(np.float32)
        self.dense_1 = rng.normal(0, 0.1, (84, 16 * 4 * 4)).astype(np.float32)
        self.out = rng.normal(0, 0.3, (10, 84)).astype(np.float32)
        self.test = [(draw_digit(d, rng), d) for d in range(10) for _ in range(3)]
        means = np.stack([draw_digit(d, np.random.default_rng(100 + d)) for d in range(10)])
        self.templates = (means - means.mean(axis=0)).reshape(10, 784) + rng.normal(0, 0.05, (10, 784))

    def forward(self, image: np.ndarray) -> dict[str, np.ndarray]:
        def conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
            return np.stack([sum(convolve2d(x[i], w[o, i], padding="valid") for i in range(w.shape[1]))
                             for o in range(w.shape[0])])

        c1 = np.maximum(conv(image[None], self.conv_1), 0)
        p1 = max_pool(c1)
        c2 = np.maximum(conv(p1, self.conv_2), 0)
        p2 = max_pool(c2)
        d1 = np.maximum(self.dense_1 @ p2.reshape(-1), 0)
        logits = self.out @ d1
        p = np.exp(logits - logits.max())
        return {"conv_1": c1, "pool_1": p1, "conv_2": c2, "pool_2": p2, "dense_1": d1, "out": logits,
                "probabilities": p / p.sum()}

    def snapshot(self, sample: int = 0, epoch: int = 1) -> SimpleNamespace:
        image, label = self.test[sample % len(self.test)]
        acts = self.forward(image)
        probabilities = acts.pop("probabilities").astype(np.float32)
        records: list[Record] = [
            Filters({"conv_1": self.conv_1.copy(), "conv_2": self.conv_2.copy()}),
            Weights({"conv_1": self.conv_1.copy(), "conv_2": self.conv_2.copy(), "dense_1": self.dense_1.copy(),
                     "out": self.templates.astype(np.float32)}),
            FeatureMaps(image[None], int(label), {k: v.astype(np.float32) for k, v in acts.items()}, probabilities),
        ]
        confusion = np.diag(self.rng.integers(80, 100, 10)).astype(np.int64)
        for t, p, n in ((4, 9, 7), (9, 4, 5), (3, 5, 4), (5, 3, 3), (7, 1, 3), (2, 7, 2), (8, 3, 2)):
            confusion[t, p] = n
        wrong = [(4, 9), (9, 4), (3, 5), (5, 3), (7, 1), (2, 7), (8, 3), (4, 9), (9, 7), (6, 0), (1, 7), (3, 8)]
        records.append(Confusion(matrix=confusion, images=np.stack([draw_digit(t, self.rng) for t, _ in wrong]),
                                 true=np.array([t for t, _ in wrong], np.int64),
                                 predicted=np.array([p for _, p in wrong], np.int64)))
        return SimpleNamespace(state="running", epoch=epoch, task="classification",
                               classes=[str(i) for i in range(10)], metrics={}, probes=ProbeResults(records),
                               dataset={})


class ImageViewsDemo(QWidget):
    def __init__(self, run: SyntheticImageRun) -> None:
        super().__init__()
        self.setObjectName("imageViewsDemo")
        self.setWindowTitle("Neural Network Playground: image views (synthetic digits)")
        self.run = run
        self.filters = FilterGridView()
        self.feature_maps = FeatureMapView()
        self.templates = ClassTemplateView()
        self.confusion = ConfusionMatrixView()
        self.lab = FilterLabView()
        self.views = [self.feature_maps, self.filters, self.templates, self.confusion, self.lab]
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        places = [(0, 0, 2, 1), (0, 1, 1, 1), (0, 2, 1, 1), (1, 1, 1, 1), (1, 2, 1, 1)]
        titles = ["Feature maps", "Filters", "Class templates", "Confusion matrix", "Filter lab"]
        for view, title, place in zip(self.views, titles, places):
            box = QGroupBox(title)
            layout = QVBoxLayout(box)
            layout.setContentsMargins(4, 4, 4, 4)
            layout.addWidget(view)
            grid.addWidget(box, *place)
        for c, s in enumerate((3, 2, 2)):
            grid.setColumnStretch(c, s)
        self.feature_maps.sample_requested.connect(self.show_sample)
        self.show_sample(7)
        self.feature_maps.set_sample(7)

    def show_sample(self, index: int) -> None:
        snapshot = self.run.snapshot(index)
        for view in self.views:
            view.show_snapshot(snapshot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    demo = ImageViewsDemo(SyntheticImageRun(args.seed))
    demo.resize(1600, 950)
    demo.show()
    # A second pass once laid out, so the grids wrap for their real size.
    from PySide6.QtCore import QTimer
    QTimer.singleShot(200, lambda: demo.show_sample(demo.feature_maps.sample_spin.value()))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
