"""The desktop window: editor, panels, views. Never imports torch or the engine."""
