"""The QThread bridge between the engine and the window: commands in, snapshots out."""
