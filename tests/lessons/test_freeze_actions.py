"""The lesson actions freeze and unfreeze: parsed, applied to a lab, refused for a layer the lab lacks."""

from __future__ import annotations

import pytest

from playground.graph.templates import transfer_parity_finetune
from playground.lessons import ActionSyntaxError, apply_to_lab, parse_actions


def test_freeze_and_unfreeze_lock_and_unlock_a_layer_of_the_lab():
    lab = transfer_parity_finetune()
    freeze = parse_actions("freeze conv_1; freeze model.conv_2")
    assert [a.verb for a in freeze] == ["freeze", "freeze"] and {a.scope for a in freeze} == {"frozen"}
    for action in freeze:
        apply_to_lab(action, lab)
    assert lab.frozen == {"model": ["conv_1", "conv_2"]}
    apply_to_lab(parse_actions("unfreeze conv_1")[0], lab)
    assert lab.frozen == {"model": ["conv_2"]}


def test_freezing_a_layer_the_lab_lacks_names_it():
    with pytest.raises(ActionSyntaxError, match="no_such"):
        apply_to_lab(parse_actions("freeze no_such")[0], transfer_parity_finetune())
