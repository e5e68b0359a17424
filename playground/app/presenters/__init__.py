"""The presenters: each joins one part of the window to the document and the session (part of the composition
root: may import every layer)."""
