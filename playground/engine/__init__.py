"""The headless engine: tasks, the training loop as a generator, probes, snapshots."""
