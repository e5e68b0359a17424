"""What a trained network responds to: activation maximisation on a trained LeNet and a one-layer digit classifier,
and the embedding map's PCA and cosine neighbours."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.engine.errors import EngineError
from playground.engine.insight.embeddings import lab_embeddings, nearest_neighbours, pca_2d
from playground.engine.insight.maximise import (
    MaximiseSettings,
    logits,
    maximisable_layers,
    maximise,
    trained_network,
)
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.snapshots.unit_response import ActivationMaximisation, Embeddings


@pytest.fixture(scope="module")
def lenet():
    torch.manual_seed(0)
    lab = build_template("lenet")
    lab.seed = 3
    trainer = Trainer(lab)
    trainer.train(1)
    assert trainer.history.last("test_accuracy") > 0.8
    return trained_network(lab, trainer.checkpoint())


@pytest.mark.slow
def test_each_class_image_raises_its_logit_well_above_the_start_and_above_the_other_classes(lenet):
    record = maximise(lenet, settings=MaximiseSettings(steps=100), bounds=(0.0, 1.0), grey=0.13,
                      class_names=tuple("0123456789"))
    assert isinstance(record, ActivationMaximisation) and record.is_classes
    assert record.images.shape == (10, 1, 28, 28) and record.labels == tuple("0123456789")
    assert record.steps_done == 100 and not record.cancelled
    assert float(record.images.min()) >= 0.0 and float(record.images.max()) <= 1.0
    with torch.no_grad():
        scores = logits(lenet, torch.tensor(np.array(record.images))).numpy()
        start = logits(lenet, torch.full((1, 1, 28, 28), 0.13)).numpy()[0]
    for c in range(10):
        assert scores[c, c] > start[c] + 5.0  # well above its value on the grey start
        assert scores[c, c] == scores[c].max()  # and above every other class
        assert np.isclose(record.final[c], scores[c, c], atol=1e-3)
        assert np.isclose(record.start[c], start[c], atol=1e-4)


def test_channel_mode_gives_one_image_per_channel_and_raises_each_channels_mean(lenet):
    layers = dict(maximisable_layers(lenet))
    assert layers["conv_1"] == 6 and layers["conv_2"] == 16 and layers["dense_3"] == 10
    record = maximise(lenet, "conv_2", settings=MaximiseSettings(steps=40, start="random"))
    assert record.images.shape == (16, 1, 28, 28) and not record.is_classes
    assert record.labels[3] == "channel 3 of conv_2"
    assert (record.final > record.start).all()
    dense = maximise(lenet, "dense_1", settings=MaximiseSettings(steps=2))
    assert dense.images.shape[0] == 64 and dense.labels[0] == "unit 0 of dense_1"  # capped grid


def test_a_channels_centre_unit_changes_only_the_pixels_of_its_receptive_field(lenet):
    plain = MaximiseSettings(steps=30, jitter=0, blur_every=0, spatial="centre")
    record = maximise(lenet, "conv_1", settings=plain, grey=0.13)
    assert record.spatial == "centre" and record.labels[0] == "channel 0 of conv_1"
    assert (record.final > record.start).all()
    moved = np.abs(np.asarray(record.images) - 0.13) > 1e-6
    field = np.zeros((28, 28), dtype=bool)
    field[14 - 2:14 + 3, 14 - 2:14 + 3] = True  # a 5x5 kernel, padding 2: output (14, 14) sees rows/cols 12..16
    assert moved[:, 0][:, ~field].sum() == 0 and moved[:, 0][:, field].any(axis=1).all()
    assert maximise(lenet, "conv_1", settings=MaximiseSettings(steps=1)).spatial == "mean"
    assert maximise(lenet, settings=MaximiseSettings(steps=1)).spatial == ""


def test_a_cancelled_run_stops_early_with_what_it_has(lenet):
    seen: list[int] = []
    record = maximise(lenet, settings=MaximiseSettings(steps=200), cancel=lambda: len(seen) >= 2,
                      progress=lambda step, _steps: seen.append(step))
    assert record.cancelled and record.steps_done == 10 and record.steps == 200
    assert record.images.shape == (10, 1, 28, 28)


def test_a_one_layer_classifier_is_maximised_on_its_logits_not_its_softmax():
    lab = build_template("mnist_1_layer")
    network = trained_network(lab)
    assert "seed" in network.source
    record = maximise(network, settings=MaximiseSettings(steps=30, jitter=0, blur_every=0, l2=0.0))
    weights = network.module.dense_1.weight.detach().numpy()
    # Without regularisation the ascent on a linear logit moves each pixel up where the class's weight is positive:
    # the image is the class's weight template.
    for c in range(10):
        image = record.images[c].reshape(-1)
        assert np.corrcoef(image, weights[c])[0, 1] > 0.8
    assert (record.final > record.start + 1.0).all()


def test_bad_requests_say_what_is_wrong(lenet):
    with pytest.raises(EngineError, match="not a Conv2d or Dense layer"):
        maximise(lenet, "relu_1")
    with pytest.raises(EngineError, match="network of images"):
        maximise(trained_network(build_template("char_rnn")))
    with pytest.raises(EngineError):
        MaximiseSettings(steps=0)


def test_pca_projection_equals_numpys_svd_projection_up_to_each_axis_sign():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(40, 6)) @ np.diag([5, 3, 1, 0.5, 0.2, 0.1])
    points, explained = pca_2d(vectors)
    centred = vectors - vectors.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    svd_points = centred @ vt[:2].T
    for axis in range(2):
        sign = np.sign(points[:, axis] @ svd_points[:, axis])
        np.testing.assert_allclose(points[:, axis], sign * svd_points[:, axis], atol=1e-9)
    np.testing.assert_allclose(explained, (s ** 2 / (s ** 2).sum())[:2], atol=1e-9)
    again, _ = pca_2d(vectors * 1.0)
    np.testing.assert_array_equal(points, again)


def test_nearest_neighbours_are_ordered_by_cosine_similarity():
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(12, 4))
    vectors[5] = 3 * vectors[2]  # the same direction: 2's nearest neighbour whatever its length
    order, similarity = nearest_neighbours(vectors, k=4)
    assert order.shape == (12, 4) and order[2, 0] == 5 and similarity[2, 0] == pytest.approx(1.0)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosine = unit @ unit.T
    for i in range(12):
        assert i not in order[i]
        others = np.sort(np.delete(cosine[i], i))[::-1][:4]  # ids of equal similarity (2 and 5) may swap
        np.testing.assert_allclose(similarity[i], others)
        np.testing.assert_allclose(cosine[i, order[i]], similarity[i])
        assert (np.diff(similarity[i]) <= 1e-12).all()


def test_the_char_rnn_embedding_is_mapped_with_its_tokens():
    lab = build_template("char_rnn")
    tokens = [" ", "\n", "a", "b"]
    record = lab_embeddings(lab, tokens=tokens)
    assert isinstance(record, Embeddings) and record.layer == "embedding_1"
    assert record.vectors.shape == (71, 32) and record.points.shape == (71, 2)
    assert record.tokens[:4] == ("␣", "↵", "a", "b") and record.tokens[4] == "#4"
    assert record.neighbours.shape == (71, 8)
    with pytest.raises(EngineError, match="no Embedding layer"):
        lab_embeddings(build_template("lenet"))
