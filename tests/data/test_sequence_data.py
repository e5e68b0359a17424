import numpy as np
import pytest

from playground.data import sequences as seq
from playground.data import text
from playground.data.errors import DataError


def test_forecast_targets_are_the_next_step():
    x, y = seq.sine_forecasting(20, 30, 0.0, seed=3)
    assert x.shape == y.shape == (20, 30, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])


def test_sines_are_seeded_and_phases_differ():
    a = seq.sum_of_sines(5, 50, seed=1)
    np.testing.assert_array_equal(a, seq.sum_of_sines(5, 50, seed=1))
    assert not np.allclose(a, seq.sum_of_sines(5, 50, seed=2))
    assert not np.allclose(a[0], a[1])  # each series has its own phases
    top = sum(amp for _period, amp in seq.SINE_COMPONENTS)
    assert np.abs(a).max() <= top + 1e-5


def test_noise_adds_variance_and_the_last_value_baseline_is_not_trivial():
    clean_x, clean_y = seq.sine_forecasting(200, 40, 0.0, seed=0)
    noisy_x, noisy_y = seq.sine_forecasting(200, 40, 20.0, seed=0)
    assert seq.last_value_mse(noisy_x, noisy_y) > seq.last_value_mse(clean_x, clean_y) > 0.01


def test_waves_are_balanced_and_shapes_differ():
    x, y = seq.waves(400, 40, 0.0, seed=0)
    assert x.shape == (400, 40, 1) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100] * 4
    square = x[y == seq.WAVE_SHAPES.index("square"), :, 0]
    # A square wave holds ± its amplitude; a sine passes through every value in between.
    assert np.allclose(np.abs(square), np.abs(square[:, :1]))
    sine = x[y == 0, :, 0]
    assert not np.allclose(np.abs(sine), np.abs(sine[:, :1]))


def test_bad_arguments_name_themselves():
    with pytest.raises(DataError, match="noise"):
        seq.waves(10, 10, 80.0, seed=0)
    with pytest.raises(DataError, match="steps"):
        seq.sine_forecasting(10, 1, 0.0, seed=0)
    with pytest.raises(DataError, match="train_ratio"):
        seq.split_sequences(np.zeros((10, 3, 1)), np.zeros(10), 1.0)


def test_vocabulary_round_trips_and_windows_shift_by_one():
    vocab = text.Vocabulary.of("hello world")
    ids = vocab.encode("hello world")
    assert vocab.decode(ids) == "hello world" and len(vocab) == 8
    x, y = text.char_windows(np.arange(20), 5, 3)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    np.testing.assert_array_equal(x[1], [3, 4, 5, 6, 7])
    with pytest.raises(DataError, match="not in the vocabulary"):
        vocab.encode("xyz")


def test_bundled_corpus_splits_without_overlap():
    corpus = text.load_corpus()
    assert corpus.startswith("PRIDE AND PREJUDICE") and len(corpus) > 50_000
    split = text.text_splits(corpus, 64, 0.9)
    assert len(split.vocabulary) == 71
    cut = int(len(corpus) * 0.9)
    assert split.vocabulary.decode(split.x_test[0]) == corpus[cut:cut + 64]
    assert split.vocabulary.decode(split.y_train[0]) == corpus[1:65]
    assert split.x_train.max() < len(split.vocabulary)
