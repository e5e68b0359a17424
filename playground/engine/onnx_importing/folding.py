"""Small operators on stored tensors are replaced by their values before shape inference sees the graph."""

from __future__ import annotations

from typing import Any

import numpy as np

# Operators on stored tensors only that are worked out on import: torch writes a Pad's sizes as such a chain.
_FOLDABLE = {"ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Unsqueeze", "Squeeze", "Cast"}


def _fold_constants(model: Any) -> None:
    """Replace small operators on stored tensors by their values (onnx's reference implementation), so that shape
    inference sees through them: torch writes a Pad's sizes as such a chain."""
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    known: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
                                    if t.data_type != 0}
    nodes = list(model.graph.node)
    for i, node in enumerate(nodes):
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            known[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            continue
        names = [n for n in node.input if n]
        if node.op_type not in _FOLDABLE or len(node.output) != 1 or node.domain not in ("", "ai.onnx") \
                or not all(n in known for n in names) or sum(known[n].size for n in names) > 10_000:
            continue
        try:
            (out,) = ReferenceEvaluator(node).run(None, {n: known[n] for n in names})
        except Exception:  # an operator the reference cannot run is left as it is
            continue
        value = np.asarray(out)
        known[node.output[0]] = value
        nodes[i] = helper.make_node("Constant", [], list(node.output), name=node.name,
                                    value=numpy_helper.from_array(value, node.output[0]))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
