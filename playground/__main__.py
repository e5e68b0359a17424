"""``playground`` with no arguments opens the window; with a command it runs the headless CLI."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("open", "gui"):
        from playground.app import run_app

        return run_app(args[1:])
    if args[0].endswith((".json", ".nnp")) and not args[0].startswith("-"):  # `playground my-lab.json` opens it
        from playground.app import run_app

        return run_app(args)
    from playground.cli import main as cli_main

    code = cli_main(args)
    if code == 0 and args[:2] == ["lesson", "open"] and len(args) > 2:  # checked headless, now the window
        from playground.app import run_app

        return run_app(["--lesson", args[2]])
    if code == 0 and args[0] == "bench" and "--no-gui" not in args:
        from playground.app.gui_bench import print_gui_benchmark

        quick = "--quick" in args
        print_gui_benchmark(2.0 if quick else 5.0, 5 if quick else 30, 2 if quick else 5)
        # Ends at once, as the window does (app.main.end_process): a training thread still inside a step or the
        # fast path's compiler must not abort the interpreter's teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
