"""Adversarial examples, their success curve and saliency maps (Captum wrapped in the engine), on trained digit
classifiers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from playground.engine.commands import SetProbes, SetSample
from playground.engine.errors import EngineError
from playground.engine.insight import attacks, attributions
from playground.engine.insight.classifier import log_prob_forward
from playground.engine.insight.probes import check_image_classifier
from playground.engine.probes import check_probe_names
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.snapshots import Adversarial, AdversarialCurve, Saliency

ATTACK = "adversarial:method=fgsm;epsilon=0.2;steps=10;target=-1"


@pytest.fixture(scope="module")
def lenet() -> Trainer:
    torch.manual_seed(0)
    lab = build_template("lenet")
    lab.seed = 3
    trainer = Trainer(lab)
    trainer.train(1)
    assert trainer.history.last("test_accuracy") > 0.85
    return trainer


def _right_digits(trainer: Trainer, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    forward = log_prob_forward(trainer.task)
    x, y = trainer.x_test[:100], trainer.y_test[:100]
    with torch.no_grad():
        right = forward(x).argmax(-1) == y
    return x[right][:n], y[right][:n]


def _predict(trainer: Trainer, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return log_prob_forward(trainer.task)(x).argmax(-1)


@pytest.mark.slow
def test_fgsm_at_zero_changes_nothing_and_at_a_moderate_epsilon_flips_most_digits(lenet):
    forward = log_prob_forward(lenet.task)
    x, y = _right_digits(lenet, 20)
    same = attacks.attack(forward, x, y, attacks.AttackSettings("fgsm", 0.0), (0.0, 1.0))
    assert torch.equal(same, x)
    adv = attacks.attack(forward, x, y, attacks.AttackSettings("fgsm", 0.2), (0.0, 1.0))
    assert float((adv - x).abs().max()) <= 0.2 + 1e-6 and float(adv.min()) >= 0 and float(adv.max()) <= 1
    flipped = (_predict(lenet, adv) != y).float().mean()
    assert flipped >= 0.6


def test_pgd_is_at_least_as_strong_as_fgsm_and_a_targeted_attack_reaches_its_class(lenet):
    forward = log_prob_forward(lenet.task)
    x, y = _right_digits(lenet, 20)
    fgsm = (_predict(lenet, attacks.attack(forward, x, y, attacks.AttackSettings("fgsm", 0.1), (0, 1))) != y)
    pgd = (_predict(lenet, attacks.attack(forward, x, y, attacks.AttackSettings("pgd", 0.1, 20), (0, 1))) != y)
    assert pgd.float().mean() >= fgsm.float().mean()
    others = y != 3
    adv = attacks.attack(forward, x[others], y[others], attacks.AttackSettings("pgd", 0.3, 40, target=3), (0, 1))
    assert (_predict(lenet, adv) == 3).float().mean() >= 0.6


def test_success_curve_starts_at_zero_and_rises_with_epsilon(lenet):
    forward = log_prob_forward(lenet.task)
    rates, attacked = attacks.success_rates(forward, lenet.x_test[:100], lenet.y_test[:100],
                                            attacks.AttackSettings("fgsm"), (0.0, 1.0))
    assert attacked > 80 and rates[0] == 0.0
    assert all(b >= a - 0.02 for a, b in itertools.pairwise(rates))
    assert rates[-1] > 0.8


def test_the_adversarial_and_saliency_probes_of_the_current_sample(lenet):
    lenet.send(SetProbes(frozenset({ATTACK, "adversarial:method=fgsm;epsilon=0;steps=10;target=-1",
                                    "adversarial_curve:method=fgsm;steps=10;target=-1", "saliency:target=-1"})))
    lenet.send(SetSample(index=4))
    lenet._drain()  # apply the commands now, as the loop does between steps
    probes = lenet.compute_probes({"adversarial:method=fgsm;epsilon=0;steps=10;target=-1"})
    np.testing.assert_array_equal(probes[Adversarial].adversarial, probes[Adversarial].original)
    np.testing.assert_allclose(probes[Adversarial].after, probes[Adversarial].before, atol=1e-6)
    p = lenet.compute_probes({ATTACK, "adversarial_curve:method=fgsm;steps=10;target=-1", "saliency:target=2"})
    assert p[Adversarial].original.shape == (1, 28, 28) and p[Adversarial].before.shape == (10,)
    assert np.abs(p[Adversarial].perturbation).max() <= 0.2 + 1e-6
    attack = p[Adversarial]
    assert [attack.method, attack.epsilon, attack.steps, attack.target] == ["fgsm", 0.2, 10, -1]
    assert p[AdversarialCurve].success.shape == (len(attacks.CURVE_EPSILONS),)
    assert p[Saliency].target_class == 2
    for method in attributions.ATTRIBUTIONS:
        m = p[Saliency].maps[method]
        assert m.shape == (28, 28) and np.isfinite(m).all(), method
    assert p[Saliency].maps["gradcam"].min() >= 0  # ReLU'd


def test_the_success_curve_is_reused_until_the_weights_change():
    lab = build_template("mnist_1_layer")
    lab.seed = 2
    trainer = Trainer(lab)
    trainer.train(1)
    name = "adversarial_curve:method=fgsm;steps=10;target=-1"
    first = trainer.compute_probes({name})[AdversarialCurve].success
    assert trainer.compute_probes({name})[AdversarialCurve].success is first
    trainer.train(1)
    again = trainer.compute_probes({name})[AdversarialCurve].success
    assert again is not first and again.shape == first.shape


def test_a_drawing_is_attacked_against_the_networks_own_answer(lenet):
    drawing = lenet.x_test[7].reshape(28, 28).cpu().numpy()
    lenet._probes.sample_image = drawing
    try:
        p = lenet.compute_probes({ATTACK})
    finally:
        lenet._probes.sample_image = None
    assert p[Adversarial].label is None  # a drawing has no true class
    assert p[Adversarial].after.argmax() != p[Adversarial].before.argmax()


def test_a_dense_classifier_on_flat_digits_gets_maps_but_no_grad_cam():
    lab = build_template("mnist_1_layer")
    lab.seed = 1
    trainer = Trainer(lab)
    trainer.train(1)
    p = trainer.compute_probes({"saliency:target=-1", ATTACK})
    assert "gradcam" not in p[Saliency].maps and p[Saliency].maps["saliency"].shape == (28, 28)
    assert p[Adversarial].after.shape == (10,)


def test_saliency_of_a_pixel_the_model_cannot_see_is_zero():
    torch.manual_seed(0)
    mask = torch.ones(1, 1, 8, 8)
    mask[..., :4, :] = 0  # the top half is invisible

    class Masked(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
            self.dense = torch.nn.Linear(4 * 64, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.log_softmax(self.dense(torch.relu(self.conv(x * mask)).flatten(1)), -1)

    model = Masked()
    x = torch.rand(1, 1, 8, 8)
    for method in ("saliency", "input_x_gradient", "smoothgrad", "integrated_gradients", "occlusion"):
        a = attributions.attribute(method, model, x, 1, (1, 8, 8))
        assert a.shape == (8, 8) and torch.isfinite(a).all()
        assert float(a[:2].abs().max()) == 0.0, method  # occlusion's 4×4 patches reach row 3: check rows 0-1
        assert float(a[4:].abs().max()) > 0.0, method
    cam = attributions.attribute("gradcam", model, x, 1, (1, 8, 8), model.conv)
    assert cam.shape == (8, 8)


def test_bad_settings_and_models_get_one_line_messages():
    for name, words in (("adversarial:method=deepfool", "Unknown attack"),
                        ("adversarial:epsilon=2", "between 0 and 1"),
                        ("adversarial:steps=0", "PGD steps"),
                        ("adversarial:epsilon=big", "must be numbers"),
                        ("adversarial:colour=red", "method=, epsilon="),
                        ("saliency:target=x", "class number"),
                        ("saliency:class=1", "target=")):
        with pytest.raises(EngineError, match=words) as e:
            check_probe_names([name])
        assert "\n" not in str(e.value)
    check_probe_names([ATTACK, "adversarial_curve:method=pgd;steps=5;target=3", "saliency:target=-1", "saliency"])
    with pytest.raises(EngineError, match="need an image classifier; this lab's task is regression"):
        check_image_classifier("regression", (1, 28, 28))
    with pytest.raises(EngineError, match=r"inputs are \(2,\), not images"):
        check_image_classifier("classification", (2,))


def test_a_plane_classifier_asked_for_an_attack_gets_no_arrays():
    trainer = Trainer(build_template("spiral"), probes=[ATTACK, "saliency"])
    assert not any(isinstance(r, (Adversarial, AdversarialCurve, Saliency)) for r in trainer.snapshot().probes)


def test_adversarial_training_settings_are_range_checked():
    from playground.graph import TrainingSettings
    from playground.graph.lab import LabFormatError

    s = TrainingSettings().updated(adversarial_share=0.5, adversarial_epsilon=0.2)
    assert (s.adversarial_share, s.adversarial_epsilon) == (0.5, 0.2)
    assert TrainingSettings.from_dict(s.to_dict()) == s
    for field, value in (("adversarial_share", 1.5), ("adversarial_epsilon", -0.1)):
        with pytest.raises(LabFormatError, match=field) as e:
            TrainingSettings().updated(**{field: value})
        assert "\n" not in str(e.value)


def test_adversarial_batch_replaces_its_share_by_fgsm_examples():
    from playground.engine.insight.training import adversarial_batch

    lab = build_template("mnist_1_layer")
    trainer = Trainer(lab)
    x, y = trainer.x_train[:10], trainer.y_train[:10]
    assert adversarial_batch(trainer.task, x, y) is x  # off by default
    trainer.task.settings = trainer.settings.updated(adversarial_share=0.3, adversarial_epsilon=0.1)
    mixed = adversarial_batch(trainer.task, x, y)
    assert mixed.shape == x.shape and torch.equal(mixed[3:], x[3:])
    changed = (mixed[:3] - x[:3]).abs()
    assert float(changed.max()) == pytest.approx(0.1, abs=1e-6) and float(mixed.min()) >= 0


@pytest.mark.slow
def test_adversarial_training_makes_the_attack_fail_more_often():
    fooled = {}
    for share in (0.0, 0.5):
        lab = build_template("mnist_1_layer")
        lab.seed = 5
        lab.training = lab.training.updated(adversarial_share=share, adversarial_epsilon=0.1)
        trainer = Trainer(lab)
        trainer.train(2)
        assert trainer.history.last("test_accuracy") > 0.8  # clean accuracy stays
        rates, _n = attacks.success_rates(log_prob_forward(trainer.task), trainer.x_test[:300],
                                          trainer.y_test[:300], attacks.AttackSettings("fgsm"), (0.0, 1.0),
                                          (0.1,))
        fooled[share] = rates[0]
    assert fooled[0.5] < fooled[0.0] - 0.15  # measured: 52% fooled without, 23% with (seed 5)
