"""Headless command line: ``playground train LAB.json``, ``playground bench``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(f"unknown command: {' '.join(args)}", file=sys.stderr)
    return 2
