"""The headless engine: tasks, the training loop as a generator, probes, snapshots."""
# Imported for what importing does: each module registers its tasks (the autoencoder and VAE; the GAN; the sequence
# task and its data sets; the given samples of a worked example), so any use of the engine sees every task.
from . import autoencoding, gan, given_data, sequences  # noqa: F401
