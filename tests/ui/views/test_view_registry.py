"""The view registry: one spec per view, declared by its module; the views a lab gets and its main view."""

from __future__ import annotations

import pytest

from playground.ui.views import registry
from playground.ui.views.registry import LabTraits, ViewSpec, main_view, probe_kind, view_specs, views_for


def keys(specs):
    return [s.key for s in specs]


def test_every_view_has_one_spec_with_a_unique_key():
    specs = view_specs()
    assert len(set(keys(specs))) == len(specs)
    # The docks' object names and the views the rest of the window reaches by key.
    for key in ("loss", "boundary", "neurons", "hidden", "weights", "gradients", "feature_maps", "filters",
                "templates", "confusion", "filter_lab", "samples", "draw", "gan_plane", "seq_text", "function_fit"):
        assert key in keys(specs)


def test_two_views_cannot_share_a_key(monkeypatch):
    twin = ViewSpec("loss", "Another loss", object)
    monkeypatch.setattr(registry, "family_views", lambda: [twin])
    with pytest.raises(ValueError, match="loss"):
        view_specs()


def test_a_spec_refuses_a_place_or_data_kind_it_does_not_know():
    with pytest.raises(ValueError):
        ViewSpec("x", "X", object, place="left")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ViewSpec("x", "X", object, data=("pictures",))


def test_the_drawing_pad_is_a_view_of_the_registry():
    pad = next(s for s in view_specs() if s.key == "draw")
    assert pad.probes == ("prediction",) and pad.needs == ("digits",)
    assert keys(views_for(LabTraits("classification", "images", frozenset({"digits"})))).count("draw") == 1
    assert "draw" not in keys(views_for(LabTraits("classification", "images")))  # colour photos: nothing to draw


@pytest.mark.parametrize("spec", view_specs(), ids=lambda s: s.key)
def test_a_views_own_probes_are_those_its_spec_declares(qtbot, spec):
    widget = spec.factory()
    qtbot.addWidget(widget)
    if spec.key == "hidden":
        widget.set_layers(["relu_1"])  # its probe names the chosen layer
    own = getattr(widget, "probes", spec.probes)
    assert {probe_kind(p) for p in own} <= set(spec.probes), (own, spec.probes)
    assert widget.minimumWidth() <= 320 and widget.minimumHeight() <= 300  # it fits a 1280x720 window's docks


def test_a_dense_network_gets_no_filters_and_a_plane_no_image_views():
    dense_digits = keys(views_for(LabTraits("classification", "images", frozenset({"digits"}))))
    assert "filters" not in dense_digits and {"feature_maps", "confusion", "samples", "draw"} <= set(dense_digits)
    conv = keys(views_for(LabTraits("classification", "images", frozenset({"convolution"}))))
    assert "filters" in conv
    plane = keys(views_for(LabTraits("classification", "plane")))
    assert {"boundary", "neurons", "hidden"} <= set(plane)
    assert not {"feature_maps", "samples", "confusion", "templates", "filter_lab", "draw"} & set(plane)


@pytest.mark.parametrize(("traits", "main"), [
    (LabTraits("classification", "plane"), "boundary"),
    (LabTraits("regression", "plane"), "boundary"),
    (LabTraits("classification", "images", frozenset({"convolution"})), "feature_maps"),
    (LabTraits("regression", "function"), "function_fit"),
    (LabTraits("gan", "plane"), "gan_plane"),
    (LabTraits("gan", "images"), "gan_samples"),
    (LabTraits("autoencoder", "images"), "ae_reconstructions"),
    (LabTraits("vae", "images"), "ae_reconstructions"),
    (LabTraits("sequence", "series"), "seq_forecast"),
    (LabTraits("sequence", "text"), "seq_text"),
    (LabTraits("sequence", "sequences"), "loss"),  # a classifier of sequences teaches with its accuracy
    (LabTraits("classification", "table"), "loss"),
])
def test_each_family_has_one_main_view(traits, main):
    specs = views_for(traits)
    assert main_view(specs).key == main
    assert sum(s.main for s in specs) <= 1  # never two candidates to choose between


def test_a_view_with_nothing_to_draw_for_a_lab_is_not_chosen():
    linear = keys(views_for(LabTraits("classification", "plane", frozenset({"no_hidden_layer"}))))
    assert {"boundary", "neuron_network"} <= set(linear) and not {"neurons", "hidden"} & set(linear)
    assert "neuron_network" not in keys(views_for(LabTraits("classification", "plane",
                                                            frozenset({"no_neuron_columns"}))))
    dense = keys(views_for(LabTraits("classification", "images", frozenset({"digits", "no_template_layer"}))))
    assert "templates" not in dense and "feature_maps" in dense
    assert "templates" in keys(views_for(LabTraits("classification", "images", frozenset({"digits"}))))
    with pytest.raises(ValueError):
        ViewSpec("x", "X", object, unless=("no_such_trait",))
