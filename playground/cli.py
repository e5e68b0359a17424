"""Headless command line: ``playground train LAB.json``, ``playground export RUN --format onnx``, ``playground bench``.

Bad input never shows a traceback: one line that names what is wrong and where, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from playground.graph.errors import shown

if TYPE_CHECKING:
    from playground.graph import Lab

EXIT_BAD_INPUT = 2
MAX_ROUNDS = 1000  # of 'playground bench': each round trains every benchmark model twice


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        _error_line(message)
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="playground", description="Neural Network Playground. Without a command it opens the "
                                                    "window.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a lab headless and save its weights and metric history; a project "
                                         "file (.nnp) goes on from where it was saved and is written back")
    train.add_argument("lab", help="a lab file (.json) or a project file (.nnp)")
    train.add_argument("--epochs", type=int, help="override the lab's number of epochs (for a project: train this "
                                                  "many more epochs)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), help="override the lab's device")
    train.add_argument("--seed", type=int, help="override the lab's seed")
    train.add_argument("--out", help="folder for weights, history and metrics (default: runs/<lab name>), or a "
                                     "project file (.nnp) to write the whole run to (default for a project: the "
                                     "project itself)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--data", help="train on this table (CSV or TSV) instead of the lab's dataset: the network's "
                                      "Input and last Dense are sized to it where the graph allows")
    train.add_argument("--label", help="the table's column to predict (default: a column named label, target, class, "
                                       "y... else the last one)")
    train.add_argument("--task", choices=("classification", "regression"), help="predict classes or a number "
                                                                                 "(default: guessed from the label)")
    train.add_argument("--missing", choices=("drop", "fill"), help="what to do with missing values in the table: "
                                                                   "drop those rows or fill with the column mean")
    train.add_argument("--nproc", type=int, help="train data-parallel in this many local processes (torch.distributed;"
                                                  " for several machines run 'torchrun ... -m playground train')")
    export = sub.add_parser("export", help="export trained networks (ONNX, PyTorch code, torch.export) or the "
                                           "metric history (CSV)")
    export.add_argument("source", help="a project file, the --out folder of 'playground train', or a lab (.json; "
                                       "exports the weights training would start from)")
    export.add_argument("--format", required=True, choices=("onnx", "py", "pt2", "csv"),
                        help="onnx: one .onnx file, checked with onnxruntime; py: a standalone PyTorch module and "
                             "its .safetensors weights; pt2: a torch.export program; csv: the metric history")
    export.add_argument("--to", required=True, help="a file (one network; with several, one file each named "
                                                    "<stem>-<network>) or a folder (<network>.<format> in it)")
    export.add_argument("--network", help="export only this network of the lab")
    imp = sub.add_parser("import", help="open a model written in Python (nn.Sequential, an nn.Module class, this "
                                        "app's .py export) or an ONNX file as a lab; with weights, as a trained "
                                        "project")
    imp.add_argument("model", help="a Python file (.py; read, never run) or an ONNX file (.onnx; its weights come "
                                   "with it)")
    imp.add_argument("--weights", help="weights for a Python model: .safetensors, or a .pt/.pth state dict "
                                       "(never a pickled whole model), matched by name, else by order and shape")
    imp.add_argument("--out", required=True, help="a project file (.nnp: the lab with its weights) or a lab "
                                                  "file (.json: the lab alone)")
    imp.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help="a value the Python file has only when it runs, by the name the import asks for: an "
                          "option (--set dataset=mnist), a name it sets from data, an argument it never gives, an "
                          "Optuna trial's parameter; repeat for several")
    bench = sub.add_parser("bench", help="measure the engine against a bare PyTorch loop")
    bench.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    bench.add_argument("--rounds", type=int, default=5, help="alternating bare/engine rounds (median of ratios)")
    bench.add_argument("--quick", action="store_true", help="shorter runs (for a smoke test)")
    bench.add_argument("--no-gui", action="store_true",
                       help="skip the window measurements (event-loop lateness, redraw rate)")
    from playground.cli_lessons import add_lesson_parser

    add_lesson_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "train":
        if not _distributed():
            return train_command(args)
        code = EXIT_BAD_INPUT
        try:
            code = train_command(args)
        finally:
            from playground.engine.distributed import leave

            leave(code)  # does not return
    if args.command == "bench":
        return bench_command(args)
    if args.command == "export":
        return export_command(args)
    if args.command == "import":
        from playground.cli_import import import_command

        return import_command(args, _fail, _bad_paths)
    if args.command == "lesson":
        from playground.cli_lessons import lesson_command

        return lesson_command(args, _fail)
    return EXIT_BAD_INPUT


def _fail(message: str) -> int:
    _error_line(message)
    return EXIT_BAD_INPUT


def _error_line(message: str) -> None:
    # One write for the whole line: stderr writes through, so print's text and newline would be two writes, and the
    # processes of a torchrun run, sharing one stderr, could glue their lines together.
    sys.stderr.write(f"error: {_one_line(message)}\n")
    sys.stderr.flush()


def _one_line(message: str) -> str:
    # Messages show user text escaped already (graph.errors.shown); this keeps the promise of one line even where
    # one does not, e.g. an OS error that quotes a file name with a newline.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _bad_paths(*named: tuple[str, str | None]) -> str | None:
    """The message for the first path argument that no file can have (a NUL character), else None."""
    for flag, value in named:
        if value is not None and "\x00" in value:
            return f"{flag}: a file name cannot hold a NUL character. Received: {shown(value)}"
    return None


def _refused_train_options(args: argparse.Namespace) -> str | None:
    from playground.graph import TRAINING_FIELDS

    most = int(next(p.maximum for p in TRAINING_FIELDS if p.name == "epochs") or 0)
    if args.epochs is not None and not 1 <= args.epochs <= most:
        # Checked here for a project too, which adds --epochs to the epochs it has trained without the lab's check.
        return f"--epochs must be at least 1 and at most {most}. Received: {shown(args.epochs)}"
    if args.seed is not None and not 0 <= args.seed < 2**32:
        return f"--seed must be from 0 to {2**32 - 1}. Received: {shown(args.seed)}"
    return _bad_paths(("the lab", args.lab), ("--out", args.out), ("--data", getattr(args, "data", None)))


def _lab_to_train(args: argparse.Namespace) -> Lab:
    """The lab file with the command line's --epochs, --device, --seed and table options applied."""
    from playground.graph import Lab

    lab = Lab.load(args.lab)
    if args.epochs is not None:
        lab.training = lab.training.updated(epochs=args.epochs)
    if args.device is not None:
        lab.training = lab.training.updated(device=args.device)
    if args.seed is not None:
        lab.seed = args.seed
    if args.data is not None or lab.dataset.name == "table":
        _use_table(lab, args)
    return lab


def _refused_out(out: Path, extension: str) -> str | None:
    if out.suffix == extension:
        return f"--out {shown(out, quote=False)} is a folder, not a project file" if out.is_dir() else None
    if out.exists() and not out.is_dir():
        return f"--out {shown(out, quote=False)} is a file, not a folder"
    return None


def train_command(args: argparse.Namespace) -> int:
    from playground.engine.errors import EngineError
    from playground.graph import GraphError

    refused = _refused_train_options(args)
    if refused:
        return _fail(refused)
    if args.nproc is not None:
        return _launch_local_processes(args)
    if _distributed():
        failed = _join_distributed_run(args)
        if failed is not None:
            return failed
    from playground.engine.project import EXTENSION, is_project_file

    if args.data is None and (args.label or args.task or args.missing):
        return _fail("--label, --task and --missing describe a table: give it with --data TABLE.csv")
    if args.lab.endswith(EXTENSION) or is_project_file(args.lab):
        if args.data is not None:
            return _fail("--data trains a lab file on a table; a project keeps the data it was trained on")
        return train_project_command(args)
    try:
        lab = _lab_to_train(args)
        out = Path(args.out) if args.out else Path("runs") / _slug(Path(args.lab).stem)
        refused = _refused_out(out, EXTENSION)
        if refused:
            return _fail(refused)
        trainer = _make_trainer(lab)
    except (GraphError, EngineError) as e:
        return _fail(str(e))
    if out.suffix == EXTENSION:
        return _train_and_save_project(trainer, out, args.quiet, lab, None)

    interrupted = False
    try:
        _train_with_progress(trainer, quiet=args.quiet)
    except KeyboardInterrupt:
        interrupted = True
    except RuntimeError as e:  # under torchrun: a process of the run died or stopped answering
        return _distributed_failure(e)
    snap = trainer.snapshot()
    if not _writes_outputs():
        return _exit_status(snap, interrupted, quiet=True)
    try:
        _save_run(trainer, out)
    except OSError as e:
        return _fail(f"cannot write the results to {shown(out, quote=False)}: {e.strerror or e}")
    _print_summary(trainer, out)
    return _exit_status(snap, interrupted)


def train_project_command(args: argparse.Namespace) -> int:
    """Resume a saved project where it stopped (weights, optimizer, random state, curves), then write it back."""
    from playground.engine.errors import EngineError
    from playground.engine.project import EXTENSION, load_project
    from playground.graph import GraphError

    if args.seed is not None:
        return _fail("--seed cannot change a saved run: a project goes on with its own random state (train its lab "
                     "file to start over with another seed)")
    out = Path(args.out) if args.out else Path(args.lab)
    if out.suffix != EXTENSION:
        return _fail(f"--out {shown(out, quote=False)}: a project is written to a project file ({EXTENSION})")
    if out.is_dir():
        return _fail(f"--out {shown(out, quote=False)} is a folder, not a project file")
    try:
        project = load_project(args.lab)
        trained = project.training_lab
        if project.checkpoint is None and args.epochs is not None:
            trained.training = trained.training.updated(epochs=args.epochs)
        if args.device is not None:
            for lab in {id(project.lab): project.lab, id(trained): trained}.values():
                lab.training = lab.training.updated(device=args.device)
        trainer = _make_trainer(trained)
        if project.checkpoint is not None:
            trainer.restore(project.checkpoint)
            if args.epochs is not None:
                trainer._epoch_limit = trainer.epoch + args.epochs
                if trainer.state == "finished":
                    trainer._state = "ready"
            elif trainer.state == "finished" or trainer.epoch >= trainer._epoch_limit:
                print(f"{shown(args.lab, quote=False)} has already trained its {trainer.epoch} epochs; pass --epochs "
                      f"N to train N more. "
                      f"Nothing written.")
                return 0
    except (GraphError, EngineError) as e:
        return _fail(str(e))
    return _train_and_save_project(trainer, out, args.quiet, project.lab, project.thumbnail)


def _train_and_save_project(trainer: Any, out: Path, quiet: bool, lab: Any, thumbnail: bytes | None) -> int:
    from playground.engine.project import ProjectError, save_project

    interrupted = False
    try:
        _train_with_progress(trainer, quiet=quiet)
    except KeyboardInterrupt:
        interrupted = True
    except RuntimeError as e:
        return _distributed_failure(e)
    snap = trainer.snapshot()
    if not _writes_outputs():
        return _exit_status(snap, interrupted, quiet=True)
    # The editor's lab is written as it was; the weights belong to the lab they were trained with.
    trained = None if trainer.lab.to_dict() == lab.to_dict() else trainer.lab
    if trained is None:
        lab = trainer.lab
    try:
        save_project(out, lab, trainer.checkpoint(), trained_lab=trained, thumbnail=thumbnail)
    except ProjectError as e:
        return _fail(str(e))
    _print_summary(trainer, out, what="the project")
    return _exit_status(snap, interrupted)


def _exit_status(snap: Any, interrupted: bool, quiet: bool = False) -> int:
    """0 when training ended well; 130 after Ctrl+C (what was trained is saved); 1 when it diverged."""
    if quiet:
        return 130 if interrupted else 1 if snap.state == "diverged" else 0
    if interrupted:
        print(f"Interrupted after {snap.epoch} epochs; what was trained is saved.", file=sys.stderr)
        return 130
    if snap.state == "diverged":
        print(f"warning: {snap.message}", file=sys.stderr)
        return 1
    return 0


# Data-parallel training (torchrun) -------------------------------------------------------------------------------

def _distributed() -> bool:
    from playground.engine.distributed import launched_by_torchrun

    return launched_by_torchrun()


def _writes_outputs() -> bool:
    """Only one process of a data-parallel run (rank 0) prints its summary and writes weights, history, projects."""
    if not _distributed():
        return True
    from playground.engine.distributed import rank

    return rank() == 0


def _join_distributed_run(args: argparse.Namespace) -> int | None:
    """Join the torchrun process group; every process but rank 0 trains without a progress bar."""
    from playground.engine.distributed import (
        describe_failure,
        init_process_group,
        rank,
        stop_on_sigterm,
    )
    from playground.engine.errors import EngineError

    stop_on_sigterm()
    try:
        init_process_group(args.device or "auto")
    except EngineError as e:
        return _fail(str(e))
    except (RuntimeError, ValueError) as e:
        return _fail(describe_failure(e))
    if rank() != 0:
        args.quiet = True
    return None


def _make_trainer(lab: Any) -> Any:
    if _distributed():
        from playground.engine.distributed import DistributedTrainer

        return DistributedTrainer(lab)
    from playground.engine.trainer import Trainer

    return Trainer(lab)


def _distributed_failure(error: RuntimeError) -> int:
    if not _distributed():
        raise error
    from playground.engine.distributed import describe_failure

    _error_line(describe_failure(error))
    return 1


def _launch_local_processes(args: argparse.Namespace) -> int:
    """``playground train --nproc N``: the same command under torchrun, in N processes on this machine."""
    import subprocess

    from playground.engine.distributed import local_launch_command

    if not 1 <= args.nproc <= 256:
        return _fail(f"--nproc must be from 1 to 256. Received: {shown(args.nproc)}")
    argv = ["train", args.lab]
    for flag in ("epochs", "device", "seed", "out", "data", "label", "task", "missing"):
        if getattr(args, flag) is not None:
            argv += [f"--{flag}", str(getattr(args, flag))]
    if args.quiet:
        argv.append("--quiet")
    try:
        return subprocess.call(local_launch_command(argv, args.nproc))
    except KeyboardInterrupt:
        return 130


def _use_table(lab: Any, args: argparse.Namespace) -> None:
    """Train on a table: ``--data`` makes it the lab's dataset and sizes the network to it (saying what changed);
    a lab that names a table by a relative path finds it beside the lab file. Raises EngineError."""
    from playground.data import table as tables
    from playground.data.errors import DataError
    from playground.engine.errors import EngineError
    from playground.engine.own_data import fit_network, table_settings

    if args.data is None:
        path = lab.dataset.options.get("path")
        if isinstance(path, str) and path and not Path(path).is_absolute():
            beside = Path(args.lab).resolve().parent / path
            if beside.exists() or not Path(path).exists():
                lab.dataset.options["path"] = str(beside)
        return
    try:
        table = tables.read_table(args.data)
        missing = args.missing or "ask"
        data = tables.prepare(table, label=args.label, task=args.task, missing=missing,
                              train_ratio=lab.dataset.train_ratio, seed=lab.seed)
    except DataError as e:
        raise EngineError(str(e)) from None  # it names the file (escaped), the line and the column
    changed = fit_network(lab, data)
    lab.dataset = table_settings(args.data, table, data, missing, lab.dataset.train_ratio)
    print(f"Table {table.name}: {len(data.features)} features ({', '.join(data.features)}) → {data.label!r}, "
          f"{data.task}.")
    for line in tables.describe(data)[:-1]:
        print(f"  {line}")
    print("  Features standardised with the training split's mean and std.")
    for line in changed:
        print(f"  Sized the network: {line}.")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text) or "lab"


def _train_with_progress(trainer: Any, quiet: bool) -> None:
    total = trainer._epoch_limit
    if quiet:
        for _ in trainer.run(interval=None):
            pass
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from playground.engine.snapshot import metric_phrases

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[metrics]}"), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("epochs", total=total, metrics="")
        for snap in trainer.run(interval=0.1, every_epoch=False):
            progress.update(task, completed=snap.epoch, metrics="  ".join(metric_phrases(snap.metrics)))


def _save_run(trainer: Any, out: Path) -> None:
    from safetensors.torch import save

    from playground.engine.export import network_file_stems
    from playground.graph.files import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    snap = trainer.snapshot()
    states = trainer.state_dicts()
    # A network named "../x" must not write outside ``out``; export reads the folder with the same stems.
    stems = network_file_stems([net.name for net in trainer.lab.networks])
    for name, state in states.items():
        meta = {"network": name, "lab": trainer.lab.name, "epoch": str(snap.epoch), "step": str(snap.step)}
        atomic_write(out / f"{stems[name]}.safetensors", save(state, metadata=meta))
    atomic_write(out / "history.csv", trainer.history.to_csv().encode())
    atomic_write(out / "lab.json", trainer.lab.to_json().encode())
    metrics = {"epochs": snap.epoch, "steps": snap.step, "seconds": round(snap.elapsed, 3), "device": snap.device,
               "state": snap.state, "message": snap.message, "seed": snap.seed,
               **{k: v for k, v in snap.metrics.items() if k != "running_loss"}}
    atomic_write(out / "metrics.json", (json.dumps(metrics, indent=2) + "\n").encode())


def _print_summary(trainer: Any, out: Path, what: str = "") -> None:
    snap = trainer.snapshot()
    m = snap.metrics
    print(f"{trainer.lab.name}: {snap.epoch} epochs, {snap.step} steps in {snap.elapsed:.1f} s on {snap.device}")
    for split in ("train", "test"):
        line = f"  {split:5s} loss {m.get(f'{split}_loss', float('nan')):.4f}"
        if f"{split}_accuracy" in m:
            line += f"  accuracy {m[f'{split}_accuracy']:.2%}"
        print(line)
    where = shown(out, quote=False)
    print(f"Saved {what} to {where}" if what else f"Saved weights, history and metrics to {where}/")


def export_command(args: argparse.Namespace) -> int:
    from playground.engine.errors import EngineError
    from playground.engine.export import export_source, read_source, write_history_csv
    from playground.graph import GraphError

    refused = _bad_paths(("the source", args.source), ("--to", args.to))
    if refused:
        return _fail(refused)
    try:
        source = read_source(args.source)
        if args.format == "csv":
            to = Path(args.to)
            path = write_history_csv(source, to / "history.csv" if to.is_dir() else to)
            print(f"Wrote the metric history to {shown(path, quote=False)}")
            return 0
        results = export_source(source, args.format, args.to, network=args.network)
    except (GraphError, EngineError) as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"cannot write to {shown(args.to, quote=False)}: {e.strerror or e}")
    for result in results:
        print(result.summary())
    bad = [r for r in results if not r.ok]
    for r in bad:
        print(f"warning: the {r.format} export of '{r.network}' differs from torch by {r.max_difference:.1e}, more "
              f"than the {r.tolerance:.0e} allowed", file=sys.stderr)
    return 1 if bad else 0


def bench_command(args: argparse.Namespace) -> int:
    from playground.engine.bench import (
        engine_table,
        fast_path_table,
        landscape_table,
        run_benchmarks,
        run_fast_path_benchmark,
        run_landscape_benchmark,
        run_watch_benchmark,
        watch_table,
    )
    from playground.engine.errors import EngineError

    if not 1 <= args.rounds <= MAX_ROUNDS:
        return _fail(f"--rounds must be from 1 to {MAX_ROUNDS}. Received: {shown(args.rounds)}")
    try:
        fast = run_fast_path_benchmark(args.device, rounds=args.rounds, quick=args.quick)
        print(fast_path_table(fast, args.rounds) + "\n", flush=True)
        device, results = run_benchmarks(args.device, rounds=args.rounds, quick=args.quick)
    except EngineError as e:
        return _fail(str(e))
    print(engine_table(device, results, args.rounds) + "\n", flush=True)
    try:
        print(watch_table(run_watch_benchmark(args.device, rounds=args.rounds, quick=args.quick), args.rounds),
              flush=True)
        print("\n" + landscape_table(run_landscape_benchmark(args.device, rounds=args.rounds, quick=args.quick),
                                     args.rounds), flush=True)
    except EngineError as e:
        return _fail(str(e))
    return 0  # the window rows follow from playground/__main__.py (the CLI stays free of Qt), unless --no-gui
