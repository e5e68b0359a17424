"""One process of a data-parallel test run (started by torchrun from test_distributed.py): trains a template and
writes what this rank ended with, so the test can compare the processes. Not a test module itself."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from safetensors.torch import save_file

from playground.cli import _join_distributed_run
from playground.engine import distributed
from playground.graph import templates


def main() -> int:
    template, epochs, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    kill_at = int(os.environ.get("KILL_RANK1_AT_EPOCH", "0"))

    class Args:
        device, quiet = "cpu", True

    failed = _join_distributed_run(Args())
    if failed is not None:
        return failed
    lab = templates.build_template(template)
    lab.training = lab.training.updated(epochs=epochs, device="cpu")
    trainer = distributed.DistributedTrainer(lab)
    try:
        for snap in trainer.run(interval=None, every_epoch=True):
            if kill_at and trainer.rank == 1 and snap.epoch >= kill_at:
                os._exit(3)  # a worker that dies without a word
    except RuntimeError as e:
        print(f"error: {distributed.describe_failure(e)}", file=sys.stderr, flush=True)
        distributed.leave(1)
    save_file({k: v.contiguous() for k, v in trainer.state_dicts()["model"].items()},
              out / f"rank{trainer.rank}.safetensors")
    (out / f"rank{trainer.rank}.json").write_text(json.dumps({"steps": trainer.step, **trainer.snapshot().metrics}))
    del trainer
    distributed.leave(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
