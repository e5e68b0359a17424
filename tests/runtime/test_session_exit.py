"""A training thread still running when Python exits (its window gone without a clean stop, a failing test)
must not abort the process: QThread objects are kept alive and stopped at exit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow
def test_exit_with_a_forgotten_training_thread_is_clean():
    code = textwrap.dedent("""
        import gc, time
        from PySide6.QtCore import QCoreApplication
        app = QCoreApplication([])
        from playground.graph.templates import spiral
        from playground.runtime import TrainingSession
        session = TrainingSession()
        lab = spiral()
        lab.training = lab.training.updated(epochs=1_000_000)
        session.start(lab)
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        assert session.active
        del session  # forgotten, never stopped
        gc.collect()
        print("done", flush=True)
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "done" in result.stdout
    assert "Destroyed while thread" not in result.stderr
