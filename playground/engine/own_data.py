"""Your own data in a lab: a table (CSV/TSV) as a dataset, points drawn on the plane added to a 2-D set, and the
network fitted to a table (Input width, output units, head, task) for the window and the CLI.

A table lab's dataset is ``{"name": "table", "features": [columns], "options": {"path", "sha256", "label", "task",
"missing"}}``: the path and checksum say which file; the project file carries the bytes (see project.py).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from playground.data import drawn as drawn_points
from playground.data import table as tables
from playground.data import toy2d
from playground.data.errors import DataError
from playground.graph import DatasetSettings, GraphError, Lab

from .data_bundle import DataBundle
from .errors import EngineError

TABLE = "table"
#: The most of its table a project file carries; a bigger table stays where the lab's path says.
MAX_PROJECT_TABLE_BYTES = 20 * 1024**2


def table_of(settings: DatasetSettings) -> tables.Table:
    """Read the table a lab's dataset names (the file at its path, or the copy a project carried)."""
    options = settings.options
    path = options.get("path")
    if not isinstance(path, str) or not path:
        raise EngineError("The table dataset needs a file: open one with File > Open data…", field="dataset")
    sha = options.get("sha256")
    if sha is not None and not isinstance(sha, str):
        raise EngineError(f"dataset.options.sha256 must be a string. Received: {sha!r}", field="dataset")
    located = tables.locate_table(path, sha)
    return tables.read_table(located, name=tables.shown_name(os.path.basename(path)))


def table_features(settings: DatasetSettings, table: tables.Table, label: str) -> list[str]:
    """The lab's feature columns; a hand-written lab that kept the default ["x1", "x2"] (columns the table does not
    have) means every number column but the label."""
    features = list(settings.features)
    if features == ["x1", "x2"] and not set(features) & set(table.names):
        return tables.default_features(table, label)
    return features


def prepare_table(settings: DatasetSettings, seed: int, table: tables.Table | None = None) -> tables.TableData:
    table = table if table is not None else table_of(settings)
    options = settings.options
    for key in ("label", "task", "missing"):
        value = options.get(key)
        if value is not None and not isinstance(value, str):
            raise EngineError(f"dataset.options.{key} must be a string. Received: {value!r}", field="dataset")
    label = options.get("label") or tables.guess_label(table)
    return tables.prepare(table, label=label, features=table_features(settings, table, label),
                          task=options.get("task"), missing=options.get("missing") or "ask",
                          train_ratio=settings.train_ratio, seed=seed)


def plane_extent(points: np.ndarray) -> float:
    """Half the side of the square the plane views draw for standardised points: all of them, in half units."""
    if not len(points):
        return 3.0
    reach = float(np.abs(points).max()) * 1.05
    return min(10.0, max(2.0, math.ceil(reach * 2) / 2))


def load_table(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
    data = prepare_table(settings, seed)
    bundle = DataBundle(name=TABLE, kind=data.task, x_train=data.x_train, y_train=data.y_train,
                        x_test=data.x_test, y_test=data.y_test, classes=len(data.class_names),
                        class_names=list(data.class_names), features=list(data.features))
    if len(data.features) == 2:  # two features: the table is a plane, and every 2-D view draws it
        extent = plane_extent(np.concatenate([data.x_train, data.x_test]))
        _, _, grid = toy2d.grid_2d(grid_resolution, extent)
        # The plane's axes are the two standardised columns: to the probes (which build their grids with
        # toy2d.make_features) they are x1 and x2, whose features are the points themselves.
        bundle = replace(bundle, points_train=data.x_train, points_test=data.x_test, grid_resolution=grid_resolution,
                         grid_extent=extent, grid_inputs=grid, features=["x1", "x2"])
    return bundle


def with_drawn(loader: Callable[[DatasetSettings, int, int], DataBundle]
               ) -> Callable[[DatasetSettings, int, int], DataBundle]:
    """A 2-D set's loader that adds the lab's drawn points (``options["drawn"]``) to the training split."""

    def load(settings: DatasetSettings, seed: int, grid_resolution: int) -> DataBundle:
        bundle = loader(settings, seed, grid_resolution)
        value = settings.options.get(drawn_points.OPTION)
        if not value or bundle.points_train is None:
            return bundle
        points, labels = drawn_points.parse_drawn(value, bundle.kind, bundle.classes)
        x = toy2d.make_features(points, settings.features).astype(bundle.x_train.dtype)
        y = labels.astype(bundle.y_train.dtype).reshape((len(labels),) + bundle.y_train.shape[1:])
        return replace(bundle, x_train=np.concatenate([bundle.x_train, x]),
                       y_train=np.concatenate([bundle.y_train, y]),
                       points_train=np.concatenate([bundle.points_train, points.astype(bundle.points_train.dtype)]))

    return load


# The window and the CLI: a lab made to learn a table -------------------------------------------------------------

def table_settings(path: str, table: tables.Table, data: tables.TableData, missing: str,
                   train_ratio: float) -> DatasetSettings:
    return DatasetSettings(name=TABLE, noise=0.0, train_ratio=train_ratio, samples=max(10, min(data.rows, 10**6)),
                           features=list(data.features),
                           options={"path": os.path.abspath(path), "sha256": table.sha256, "label": data.label,
                                    "task": data.task, "missing": missing})


def output_width(data: tables.TableData) -> int:
    return len(data.class_names) if data.task == "classification" else 1


def network_changes(lab: Lab, data: tables.TableData) -> tuple[list[tuple[str, str, Any]], list[str]]:
    """The parameter edits (node, field, value) that size the lab's network to the table (Input features, the last
    Dense's units, the Output head), and what they do in words (with the task, when it changes). Raises
    EngineError where the graph cannot take the table, naming the node and what to do. Changes nothing."""
    if lab.task not in ("classification", "regression"):
        raise EngineError(f"This is a {lab.task} lab; a table trains a classifier or a regressor: start from a "
                          f"classifier template", field="task")
    if len(lab.networks) != 1:
        raise EngineError(f"A table trains one network; this lab has {len(lab.networks)}", field="task")
    net = lab.networks[0]
    graph = net.graph
    inputs, outputs = graph.nodes_of_kind("Input"), graph.nodes_of_kind("Output")
    if len(inputs) != 1 or len(outputs) != 1:
        raise EngineError(f"The network '{net.name}' needs exactly one Input and one Output to learn a table",
                          field="features")
    inp, out = inputs[0], outputs[0]
    width = len(data.features)
    if inp.params.get("kind", "vector") != "vector":
        raise EngineError(f"Input '{inp.name}' takes {inp.params.get('kind')}s, but a table gives {width} numbers "
                          f"per row: set its kind to vector (and use Dense layers)", node=inp.name, field="kind")
    units = output_width(data)
    source = graph.incoming(out.name).get("in")
    changes: list[tuple[str, str, Any]] = []
    said: list[str] = []
    if inp.params.get("features") != width:
        changes.append((inp.name, "features", width))
        said.append(f"Input '{inp.name}': {width} features (was {inp.params.get('features')})")
    if source is not None and graph.node(source).kind == "Dense":
        if graph.node(source).params.get("units") != units:
            changes.append((source, "units", units))
            what = f"{units} classes" if data.task == "classification" else "one value"
            plural = "s" if units != 1 else ""
            said.append(f"Dense '{source}': {units} unit{plural} for {what} (was "
                        f"{graph.node(source).params.get('units')})")
    else:
        shapes = graph.infer().shapes
        shape = shapes.get(source) if source is not None else None
        have = shape.dims if shape is not None else None
        if have != (units,):
            kind = graph.node(source).kind if source is not None else "nothing"
            raise EngineError(f"Output '{out.name}' is fed by {kind} '{source}', not a Dense layer, so its width "
                              f"cannot be set to the table's {units}: end the network with a Dense of {units} "
                              f"units", node=out.name, field="head")
    if out.params.get("head") != data.task:
        changes.append((out.name, "head", data.task))
        said.append(f"Output '{out.name}': head {data.task}")
    if lab.task != data.task:
        said.append(f"task: {data.task}")
    # Try the edits on a copy first: a graph that cannot take them must stay as it was.
    trial = Lab.from_dict(lab.to_dict())
    try:
        for node, name, value in changes:
            trial.networks[0].graph.set_param(node, name, value)
        trial.task = data.task
        trial.check()
    except GraphError as e:
        raise EngineError(f"The network cannot take the table: {e}", node=e.node, field=e.field) from None
    return changes, said


def fit_network(lab: Lab, data: tables.TableData) -> list[str]:
    """Size the lab's network to the table and set its task (all or nothing); returns what changed, in words."""
    changes, said = network_changes(lab, data)
    graph = lab.networks[0].graph
    for node, name, value in changes:
        graph.set_param(node, name, value)
    lab.task = data.task
    return said


def project_tables(*labs: Lab | None) -> dict[str, bytes]:
    """The tables the labs learn from, by SHA-256, for a project file to carry (each within the size limit;
    a table whose file is gone and was never cached is left out: the lab still names its path)."""
    out: dict[str, bytes] = {}
    for lab in labs:
        if lab is None or lab.dataset.name != TABLE:
            continue
        path, sha = lab.dataset.options.get("path"), lab.dataset.options.get("sha256")
        if not isinstance(path, str) or not isinstance(sha, str) or sha in out:
            continue
        try:
            located = tables.locate_table(path, sha)
            if os.path.getsize(located) > MAX_PROJECT_TABLE_BYTES:
                continue
            blob = located.read_bytes()
        except (DataError, OSError):
            continue
        out[sha] = blob
    return out
