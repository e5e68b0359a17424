import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests train with the ordinary loop unless they ask for the compiled fast path (Trainer(fast_path=True)): its
# background compile costs a minute of CPU, and runs that switch to it mid-way match to 1e-6, not bit for bit.
os.environ.setdefault("PLAYGROUND_FAST_PATH", "0")
