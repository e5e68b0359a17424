"""The Qt binding must survive a long training session's worth of signals.

PySide6-Essentials 6.12.0 under Python 3.11 drops a reference to True on every Signal.emit and aborts the
process after about a thousand; pyproject.toml excludes it. This runs in a subprocess so an abort is a failure
here rather than the end of the test session.
"""

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication(sys.argv)
class Emitter(QObject):
    fired = Signal(object)
e = Emitter()
seen = []
e.fired.connect(seen.append)
for i in range(20000):
    e.fired.emit(i)
    if i % 100 == 0:
        app.processEvents()
print(len(seen))
"""


def test_twenty_thousand_signals_do_not_abort_the_process():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.strip() == "20000"
