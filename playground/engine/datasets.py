"""From a lab's dataset settings to arrays ready for training: the bridge between data/ and the trainer."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from playground.data import (
    digits,
    functions1d,
    gan2d,
    image_folder,
    image_sets,
    toy2d,
    translation,
)
from playground.data.errors import DataError
from playground.graph import DatasetSettings
from playground.graph.errors import shown

from .data_bundle import DataBundle
from .errors import EngineError
from .own_data import TABLE, load_table, with_drawn

# The names of the plane's class colours (toy2d.CLASS_COLOURS), which the confusion matrix and legends show.
CLASS_COLOUR_NAMES = ("orange", "blue", "green", "purple", "red")


def _toy(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    info = toy2d.DATASETS_2D[settings.name]
    classes = toy2d.class_count(settings.name, settings.options.get("classes")) if info.multiclass else info.classes
    points, labels = toy2d.generate_2d(settings.name, settings.samples, settings.noise, seed,
                                       classes if info.multiclass else None)
    x = toy2d.make_features(points, settings.features)
    # Split the raw points along with their features so views can draw what the network was given.
    both = np.concatenate([x, points.astype(np.float32)], axis=1)
    parts = toy2d.split(both, labels, settings.train_ratio, seed)
    k = x.shape[1]
    xs, ys, grid = toy2d.grid_2d(grid_resolution)
    extent = float(max(abs(xs[0]), abs(xs[-1])))
    return DataBundle(
        name=settings.name,
        kind=info.kind,
        x_train=np.ascontiguousarray(parts.x_train[:, :k]),
        y_train=parts.y_train,
        x_test=np.ascontiguousarray(parts.x_test[:, :k]),
        y_test=parts.y_test,
        classes=classes,
        class_names=list(CLASS_COLOUR_NAMES[:classes]) if info.kind == "classification" else [],
        features=list(settings.features),
        points_train=np.ascontiguousarray(parts.x_train[:, k:]),
        points_test=np.ascontiguousarray(parts.x_test[:, k:]),
        grid_resolution=grid_resolution,
        grid_extent=extent,
        grid_inputs=toy2d.make_features(grid, settings.features),
    )


def _digits(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    s = digits.digit_splits()
    # The translation experiment: train on centred digits, test on digits moved by test_shift pixels.
    shift = translation.check_shift(settings.options.get("test_shift", 0))
    x_test = translation.shift_images(s.x_test, shift, seed) if shift else s.x_test
    x_train, y_train, y_test, y_val = s.x_train, s.y_train, s.y_test, s.y_val
    classes, names = 10, list(digits.CLASS_NAMES)
    labels = settings.options.get("labels", "digits")
    if labels == "parity":  # another task on the same images: what transfer learning starts from
        y_train, y_test = y_train % 2, y_test % 2
        y_val = None if y_val is None else y_val % 2
        classes, names = 2, ["even", "odd"]
    elif labels != "digits":
        raise EngineError(f"dataset.options.labels must be 'digits' or 'parity'. Received: labels={shown(labels)}",
                          field="dataset")
    few = settings.options.get("train_samples")
    if few is not None:
        # Few labels: a seeded pick of the training images (the test set stays whole, so scores compare).
        if not isinstance(few, int) or isinstance(few, bool) or not 10 <= few <= len(x_train):
            raise EngineError(f"dataset.options.train_samples must be a whole number from 10 to {len(x_train)}. "
                              f"Received: train_samples={shown(few)}", field="dataset")
        pick = np.sort(np.random.default_rng(seed).permutation(len(x_train))[:few])
        x_train, y_train = x_train[pick], y_train[pick]
    return DataBundle(name="digits", kind="classification", x_train=x_train, y_train=y_train,
                      x_test=x_test, y_test=y_test, classes=classes, class_names=names,
                      x_val=s.x_val, y_val=y_val)


def _image_set(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    s = image_sets.load_image_set(settings.name)
    shift = translation.check_shift(settings.options.get("test_shift", 0))
    x_test = translation.shift_images(s.x_test, shift, seed) if shift else s.x_test
    return DataBundle(name=settings.name, kind="classification", x_train=s.x_train, y_train=s.y_train,
                      x_test=x_test, y_test=s.y_test, classes=len(s.class_names),
                      class_names=list(s.class_names), x_val=s.x_val, y_val=s.y_val)


def folder_options(path: str, input_dims: tuple[int, ...]) -> dict[str, object]:
    """The dataset options for a user's image folder, fitted to a network Input of ``input_dims``: (C, H, W) as
    it is, a flat vector of a square number of values as a square grayscale image."""
    if len(input_dims) == 3 and input_dims[0] in (1, 3):
        channels, height, width = input_dims
    elif len(input_dims) == 1 and int(round(input_dims[0] ** 0.5)) ** 2 == input_dims[0]:
        channels, height, width = 1, int(round(input_dims[0] ** 0.5)), int(round(input_dims[0] ** 0.5))
    else:
        raise EngineError(f"An image folder needs an Input of images (1 or 3 channels × height × width) or a square "
                          f"number of pixels; this network's Input takes {input_dims}", field="dataset")
    return {"path": str(path), "channels": int(channels), "size": [int(height), int(width)]}


def _image_folder(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    options = settings.options
    path = options.get("path")
    if not isinstance(path, str) or not path:
        raise EngineError("The image-folder dataset needs a folder: choose one in the Data panel (Images > Your "
                          "own images…)", field="dataset")
    size, channels = options.get("size", [28, 28]), options.get("channels", 1)
    # A lab file may hold anything here: check before int() can crash on "a", NaN or 1e400.
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in size)):
        raise EngineError(f"dataset.options.size must be [height, width], two whole numbers from 1 to 1024. "
                          f"Received: size={shown(size)}", field="dataset")
    if channels not in (1, 3) or isinstance(channels, bool):
        raise EngineError(f"dataset.options.channels must be 1 (grayscale) or 3 (RGB). "
                          f"Received: channels={shown(channels)}", field="dataset")
    folder = image_folder.load_image_folder(path, (size[0], size[1]), int(channels))
    n = len(folder.labels)
    order = np.random.default_rng(seed).permutation(n)
    cut = min(n - 1, max(1, int(round(n * settings.train_ratio)))) if n > 1 else n
    train, test = order[:cut], order[cut:]
    return DataBundle(name="folder", kind="classification", x_train=folder.images[train],
                      y_train=folder.labels[train], x_test=folder.images[test], y_test=folder.labels[test],
                      classes=len(folder.class_names), class_names=list(folder.class_names))


Loader = Callable[[DatasetSettings, int, int], DataBundle]

LOADERS: dict[str, Loader] = {name: _toy for name in toy2d.DATASETS_2D}
LOADERS["digits"] = _digits
for _name in image_sets.IMAGE_SETS:
    LOADERS[_name] = _image_set
LOADERS["folder"] = _image_folder


def _gan2d(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    """A 2-D GAN target: unlabelled points (the targets are zeros, unused)."""
    points = gan2d.sample_target(settings.name, settings.samples, settings.noise, seed, settings.options)
    train, test = gan2d.split_points(points, settings.train_ratio)
    return DataBundle(name=settings.name, kind="samples", x_train=train, y_train=np.zeros(len(train), np.float32),
                      x_test=test, y_test=np.zeros(len(test), np.float32), grid_extent=gan2d.EXTENT)


LOADERS.update({name: _gan2d for name in gan2d.TARGETS})


def _function(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    """1-D regression y = f(x) + noise; the option ``function`` picks f."""
    name = functions1d.function_name(settings.options.get("function"))
    x, y = functions1d.generate_1d(name, settings.samples, settings.noise, seed)
    parts = toy2d.split(x, y, settings.train_ratio, seed)
    return DataBundle(name=functions1d.DATASET, kind="regression", x_train=parts.x_train, y_train=parts.y_train,
                      x_test=parts.x_test, y_test=parts.y_test, function=name)


LOADERS[functions1d.DATASET] = _function


# Data sets that templates already name and that the next releases bring: a clear word instead of "unknown".
PLANNED: dict[str, str] = {}


def register_loader(name: str, loader: Loader) -> None:
    """Let a later data source (digits, sequences...) plug in without touching the trainer."""
    LOADERS[name] = loader


def load_dataset(settings: DatasetSettings, seed: int, grid_resolution: int = 100) -> DataBundle:
    loader = LOADERS.get(settings.name)
    if loader is None and settings.name in PLANNED:
        raise EngineError(f"The {PLANNED[settings.name]} dataset '{settings.name}' is not in this version yet: this "
                          f"lab can be designed and saved, but not trained. The 2-D sets train today "
                          f"({', '.join(sorted(LOADERS))}).", field="dataset")
    if loader is None:
        raise EngineError(f"Unknown dataset {shown(settings.name)} (datasets: {', '.join(sorted(LOADERS))})",
                          field="dataset")
    try:
        return loader(settings, seed, grid_resolution)
    except DataError as e:
        raise EngineError(f"dataset {shown(settings.name)}: {e}", field="dataset") from None


# Your own data: a table (CSV/TSV) as a dataset, and points drawn on the plane joining the 2-D sets' training data.
LOADERS[TABLE] = load_table
for _name in toy2d.DATASETS_2D:
    LOADERS[_name] = with_drawn(LOADERS[_name])

__all__ = ["CLASS_COLOUR_NAMES", "LOADERS", "PLANNED", "DataBundle", "Loader", "folder_options", "load_dataset",
           "register_loader"]
