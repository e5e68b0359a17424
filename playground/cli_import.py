"""``playground import MODEL --out FILE``: a Python or ONNX model as a lab, or as a project that opens trained when
weights come with it. Called by playground/cli.py, which passes its way to fail (one line, exit status 2) and its
check of path arguments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def import_command(args: argparse.Namespace, fail: Callable[[str], int],
                   bad_paths: Callable[..., str | None]) -> int:
    """A Python or ONNX model as a lab file, or as a project that opens trained when weights come with it."""
    from playground.engine.errors import EngineError
    from playground.engine.project import EXTENSION, save_project
    from playground.graph import GraphError

    bad = bad_paths(("the model", args.model), ("--weights", args.weights), ("--out", args.out))
    if bad:
        return fail(bad)
    model, out = Path(args.model), Path(args.out)
    if out.suffix.lower() not in (EXTENSION, ".json"):
        return fail(f"--out {str(out)!r}: write a project file ({EXTENSION}) or a lab file (.json)")
    onnx = model.suffix.lower() == ".onnx"
    if onnx and args.weights:
        return fail(f"{model.name!r} is an ONNX file and holds its own weights: --weights is for Python models")
    try:
        states = None
        report = ""
        if onnx:
            from playground.engine.onnx_import import import_onnx

            result = import_onnx(model)
            lab, states = result.lab, result.weights
            report = f"{sum(len(s) for s in states.values())} weight tensors from {model.name}"
        else:
            from playground.engine.model_import import lab_from_file, parse_given

            try:
                given = parse_given(args.set)
            except ValueError as e:
                return fail(f"--set {e}")
            lab = lab_from_file(model, given)
            # What was given, the defaults assumed (to confirm), what did not open and what it would need.
            report = lab.description.removeprefix(f"Imported from {model.name}.").strip()
            if args.weights:
                from playground.engine.weights_import import import_weights

                match = import_weights(lab, args.weights)
                states, report = match.states, "\n".join(filter(None, (report, match.summary())))
        if out.suffix.lower() == ".json":
            if states is not None and not onnx:
                return fail(f"--out {str(out)!r} is a lab file, which holds no weights: write a project file "
                             f"({EXTENSION}) to keep {Path(args.weights).name!r}")
            lab.save(str(out))
        elif states is not None:
            from playground.engine.weights_import import trained_project

            project = trained_project(lab, states)
            save_project(out, project.lab, project.checkpoint)
        else:
            save_project(out, lab, None)
    except (GraphError, EngineError) as e:
        return fail(str(e))
    except OSError as e:
        return fail(f"cannot write {str(out)!r}: {e.strerror or e}")
    layers = sum(len(n.graph.nodes) for n in lab.networks)
    print(f"Imported {model.name} as the lab {lab.name!r}: {len(lab.networks)} network(s), {layers} nodes")
    for line in report.splitlines():
        print(f"  {line}")
    if onnx and out.suffix.lower() == ".json":
        print("  note: a lab file holds no weights; write a project file (.nnp) to keep them", file=sys.stderr)
    print(f"Wrote {out}" + (" (opens trained)" if states is not None and out.suffix.lower() != ".json" else ""))
    return 0
