"""The training controller's jobs, one module each (part of the composition root: may import every layer)."""
