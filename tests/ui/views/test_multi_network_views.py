"""Views of a lab with several networks serve each of them: a GAN's filters are its discriminator's."""

from types import SimpleNamespace

from playground.engine import commands as cmd
from playground.engine.trainer import Trainer
from playground.graph.templates import build_template
from playground.ui.views import FilterGridView


def test_gan_on_digits_filters_view_lists_the_discriminators_conv_layers(qtbot):
    trainer = Trainer(build_template("gan_digits"), device="cpu", probes=["filters", "gan_samples"])
    trainer.send(cmd.Step(batches=1))
    for _ in trainer.run(interval=None):
        pass
    snapshot = trainer.snapshot()
    view = FilterGridView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show_snapshot(SimpleNamespace(probes=snapshot.probes, epoch=snapshot.epoch))
    layers = [view.layer_combo.itemText(i) for i in range(view.layer_combo.count())]
    assert layers == ["discriminator: conv_1", "discriminator: conv_2"]
    assert not view.is_empty and view.tile_count > 0
