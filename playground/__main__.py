"""``playground`` with no arguments opens the window; with a command it runs the headless CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("open", "gui"):
        from playground.app import run_app

        return run_app(args[1:])
    from playground.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
