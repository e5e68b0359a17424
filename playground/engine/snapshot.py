"""The snapshot records live in playground.snapshots (numpy only, shared with the views); the engine's modules keep
importing them from here."""

from playground.snapshots.snapshot import STATES, MetricHistory, Snapshot, frozen, metric_phrases

__all__ = ["STATES", "MetricHistory", "Snapshot", "frozen", "metric_phrases"]
