"""Entry point of the bundled app: the same `playground` command as a pip install gives (window or CLI)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch and the DDP launcher may start helper processes from the bundle
    from playground.__main__ import main

    sys.exit(main())
