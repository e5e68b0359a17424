"""The headless engine: tasks, the training loop as a generator, probes, snapshots."""
from . import autoencoding  # noqa: F401,E402  (registers the autoencoder and VAE tasks)
from . import gan  # noqa: F401,E402  (registers the GAN task)
from . import sequences  # noqa: F401,E402  (registers the sequence task and its data sets)
