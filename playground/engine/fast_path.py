"""The small-network fast path: a whole epoch (or a block of steps) as one ``torch.compile``'d function.

A step of a tiny network (the 2-D playground's 2-8-8-8-2 tanh) costs a few microseconds of arithmetic and about
200 µs of PyTorch's per-operation overhead, so the eager loop runs at an eighth of TensorFlow Playground's speed.
Compiling all the batches of an epoch into one graph (forward, gradients by ``torch.func.grad``, the optimizer's
update with its state passed explicitly) removes that overhead: inductor emits one C++ function for the lot.

It is the same PyTorch, not a second engine: the same parameters and optimizer-state tensors are updated in place,
with the formulas of ``torch.optim`` (so the ordinary loop can take over at any step and checkpoints see the true
state), and the per-batch losses come back from the same call. It is built on a background thread while the
ordinary loop trains; the trainer asks :meth:`FastPath.program` at each epoch's start and gets a program only when
one is ready for exactly what it would do now. Anything the program does not take as an input (the graph, the
optimizer and its constants, the batch size, the regularization kind, the set's size) is part of its key: a change
makes the trainer fall back at once and a new program is built. Where compiling is impossible (no C++ compiler,
an unsupported device, an error) the ordinary loop simply goes on and :attr:`FastPath.reason` says why.
"""

from __future__ import annotations

import os
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from playground.compile.modules import Add, Concat, Reshape

from .tasks import ClassificationTask, RegressionTask

# Above this many parameters a step's arithmetic dominates its overhead: nothing to gain, much to compile.
FAST_PATH_PARAMETERS = 200_000
# An epoch of at most this many steps compiles into one graph (the last, partial batch included); a longer one
# runs in blocks of at most BLOCK_STEPS full batches, and its remaining steps in the ordinary loop.
WHOLE_EPOCH_STEPS = 64
BLOCK_STEPS = 32
# At most this many multiply-adds (forward, per call): one call runs without a break, so a command (a drawing to
# answer, Pause) waits for it; this keeps a call to a few milliseconds. A network whose single step is bigger
# than half of it gains little from the fast path and does not use it.
BLOCK_MACS = 4_000_000
# Dense layers up to this many weights are traced as a product and a sum (fused with the rest of the epoch);
# a larger one stays a matrix product, whose kernel then outweighs the cost of calling it.
FUSIBLE_WEIGHTS = 64 * 64
# inductor's C++ wrapper: off. Measured in one cold start each at load 4-6 (spiral net, 300 epochs): 1,068
# epochs/s with it and 1,122 without, but a cold compile of 198 s against 131 s: no gain worth the wait.
CPP_WRAPPER = False
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")

# Layers whose forward is a pure function of input and parameters (no buffers, no randomness, nothing that
# depends on train/eval mode): the compiled step then computes exactly what the eager one does.
_PURE_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Tanh, nn.ReLU, nn.Sigmoid, nn.Softmax, nn.Softplus, nn.GELU,
    nn.LeakyReLU, nn.Flatten, nn.Identity, nn.MaxPool2d, nn.AvgPool2d, nn.LayerNorm, nn.Upsample, Reshape, Add,
    Concat, nn.PixelShuffle)

_ENABLED_ENV = "PLAYGROUND_FAST_PATH"  # "0" turns the fast path off (for comparisons)


def user_compile_cache() -> str:
    """Inductor's cache in the user's cache folder, so a second start reuses the compiled code (seconds instead
    of most of a minute)."""
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("neural-network-playground", appauthor=False), "inductor")


def use_user_compile_cache() -> None:
    """Point inductor at the user cache folder (unless the user chose one). Must run before anything asks
    inductor for its cache folder: the first ask fixes it for the process."""
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", user_compile_cache())


use_user_compile_cache()  # now: importing some torch modules asks inductor for its folder and fixes it


_UNAVAILABLE: dict[str, str | None] = {}


def compile_unavailable_reason(device: torch.device) -> str | None:
    """Why torch.compile cannot run here at all, or None (asked once per device type)."""
    if device.type not in _UNAVAILABLE:
        _UNAVAILABLE[device.type] = _unavailable(device)
    return _UNAVAILABLE[device.type]


def _unavailable(device: torch.device) -> str | None:
    if device.type not in ("cpu", "cuda"):
        return f"torch.compile does not support the {device.type} device here"
    if device.type == "cpu":
        use_user_compile_cache()
        try:
            from torch._inductor.cpp_builder import get_cpp_compiler

            get_cpp_compiler()
        except Exception as e:  # any failure means: no usable compiler
            return f"no C++ compiler for torch.compile ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
    return None


@dataclass(frozen=True)
class Key:
    """Everything a compiled program holds fixed. Two states with equal keys run the same program."""

    optimizer: str
    momentum: float
    weight_decay: float
    regularization: str
    clip: bool
    batch_size: int
    samples: int  # the training set's size: fixes the plan (number of steps, the last batch's size)
    whole_epoch: bool
    block: int  # steps per call when not a whole epoch
    count_correct: bool
    evaluate: bool  # also measure the whole training and test sets after the epoch (small sets, whole epochs)
    loss: str  # "cross_entropy", "nll_of_probabilities" or "mse"
    device: str


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]  # each step's batch size

    @property
    def samples(self) -> int:
        return sum(self.sizes)

    @property
    def steps(self) -> int:
        return len(self.sizes)


def plan_for(key: Key) -> Plan:
    bs, n = key.batch_size, key.samples
    if key.whole_epoch:
        full, rest = divmod(n, bs)
        return Plan((bs,) * full + ((rest,) if rest else ()))
    return Plan((bs,) * key.block)


def _opt_state_names(name: str) -> tuple[str, ...]:
    return {"sgd": (), "momentum": ("momentum_buffer",), "nesterov": ("momentum_buffer",),
            "adagrad": ("step", "sum"), "rmsprop": ("step", "square_avg"),
            "adam": ("step", "exp_avg", "exp_avg_sq"), "adamw": ("step", "exp_avg", "exp_avg_sq")}[name]


class Program:
    """One compiled function for one key: ``program(idx, lr, reg_rate, clip)`` trains ``plan.steps`` steps on the
    samples ``x[idx]`` in order, updates parameters and optimizer state in place and returns the per-step losses
    (and correct counts), all without a device sync. With ``key.evaluate`` it also measures the training and test
    sets with the new weights (what the trainer does at an epoch's end for small sets): :attr:`measured` holds the
    sums of losses (and of right answers) of both, as a tensor."""

    def __init__(self, key: Key, plan: Plan, fn: Callable[..., Any], task: Any, params: list[nn.Parameter],
                 x: torch.Tensor, y: torch.Tensor, optimizer: torch.optim.Optimizer, ex: torch.Tensor,
                 ey: torch.Tensor) -> None:
        self.key, self.plan, self._fn = key, plan, fn
        self.task = task
        self.params = params
        self._aliases = [p.detach() for p in params]  # the same memory, updated in place by the compiled code
        self._state_names = _opt_state_names(key.optimizer)
        self.x, self.y = x, y
        self.ex, self.ey = ex, ey
        self.optimizer = optimizer
        self.measured: torch.Tensor | None = None
        self._scalar_values: tuple[float, float, float] | None = None
        self._scalars = torch.empty(0)

    def serves(self, trainer: Any) -> bool:
        return (self.task is trainer.task and self.optimizer is trainer.optimizer and self.x is trainer.x_train
                and (not self.key.evaluate or self.ex is trainer._eval_x))

    def __call__(self, idx: torch.Tensor, lr: float, reg_rate: float, clip: float
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
        values = (lr, reg_rate, clip)
        if values != self._scalar_values:  # a new tensor only when a setting changed: it costs as much as a step
            self._scalars = torch.tensor(values, dtype=torch.float64, device=idx.device)
            self._scalar_values = values
        scalars = self._scalars
        # The optimizer's own state tensors, looked up each time: a restore (load_state_dict) replaces them.
        state = self.optimizer.state
        states = [[state[p][k] for k in self._state_names] for p in self.params]
        # Without guard evaluation (a tenth of a call's time on the spiral): serves() and the key have checked
        # what the guards would (the same model, optimizer, data and shapes), and each program has a code object
        # of its own with this one compiled entry. A miss would still fail rather than compile on this thread.
        with torch.no_grad(), torch.compiler.set_stance("fail_on_recompile", skip_guard_eval_unsafe=True):
            losses, corrects, grads, self.measured = self._fn(self._aliases, states, self.x, self.y, idx, scalars,
                                                              self.ex, self.ey)
        for p, g in zip(self.params, grads):
            p.grad = g  # as after an eager step: the gradients of the last batch, for the gradient probe
        return losses, corrects


class _SummedLinear(nn.Module):
    """nn.Linear as a broadcast product and a sum. Inductor emits a matrix product as a call to an external
    kernel (with an output buffer allocated in Python) and cannot fuse it with anything; at 8x8 those calls were
    two thirds of a compiled epoch. Written as a sum, the whole epoch fuses into a few C++ loops (3x faster on the
    spiral net), with the same parameters under the same names."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.weight = linear.weight
        self.bias = linear.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = (x.unsqueeze(-1) * self.weight.t()).sum(-2)
        return out if self.bias is None else out + self.bias


def _fusible(skeleton: nn.Module) -> nn.Module:
    """The skeleton with its small dense layers in the fusible form (the skeleton is the build's own copy)."""
    for name, child in list(skeleton.named_children()):
        if type(child) is nn.Linear and child.in_features * child.out_features <= FUSIBLE_WEIGHTS:
            setattr(skeleton, name, _SummedLinear(child))
    return skeleton


def _loss(kind: str, out: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
    """The task's loss, as the eager step computes it."""
    if kind == "cross_entropy":
        return F.cross_entropy(out, yb)
    if kind == "nll_of_probabilities":
        return F.nll_loss(torch.log(out.clamp_min(1e-12)), yb)
    return F.mse_loss(out, yb)


def _step_fn(key: Key, plan: Plan, skeleton: nn.Module, names: list[str], weight_index: list[int],
             betas: tuple[float, float], eps: float) -> Callable[..., Any]:
    """The function torch.compile traces: ``plan`` steps unrolled, each exactly as the eager loop does it."""
    opt, mom, wd = key.optimizer, key.momentum, key.weight_decay
    sizes = plan.sizes

    def measure(p: list[torch.Tensor], ex: torch.Tensor, ey: torch.Tensor) -> torch.Tensor:
        """Task.evaluate_together's sums: each split's summed loss (and right answers)."""
        out = torch.func.functional_call(skeleton, dict(zip(names, p)), (ex,))
        first = key.samples
        if key.loss == "mse":
            per = F.mse_loss(out, ey, reduction="none").mean(dim=-1)
            return torch.stack([per[:first].sum(), per[first:].sum()])
        logp = torch.log(out.clamp_min(1e-12)) if key.loss == "nll_of_probabilities" else F.log_softmax(out, -1)
        per = F.nll_loss(logp, ey, reduction="none")
        right = (logp.argmax(-1) == ey).to(per.dtype)
        return torch.stack([per[:first].sum(), per[first:].sum(), right[:first].sum(), right[first:].sum()])

    def epoch(params: list[torch.Tensor], states: list[list[torch.Tensor]], x: torch.Tensor, y: torch.Tensor,
              idx: torch.Tensor, scalars: torch.Tensor, ex: torch.Tensor, ey: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor], torch.Tensor | None]:
        lr64, reg_rate, max_norm = scalars[0], scalars[1], scalars[2]
        cur = list(params)
        st = [list(s) for s in states]
        losses: list[torch.Tensor] = []
        corrects: list[torch.Tensor] = []
        grads: list[torch.Tensor] = []
        start = 0
        for size in sizes:
            b = idx[start:start + size]
            start += size
            xb, yb = x[b], y[b]

            def objective(p: list[torch.Tensor], xb: torch.Tensor, yb: torch.Tensor
                          ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
                out = torch.func.functional_call(skeleton, dict(zip(names, p)), (xb,))
                loss = _loss(key.loss, out, yb)
                total = loss
                if key.regularization != "none":
                    terms = [p[i].abs().sum() if key.regularization == "l1" else p[i].pow(2).sum()
                             for i in weight_index]
                    penalty: Any = 0
                    for t in terms:
                        penalty = penalty + t
                    total = loss + reg_rate.to(loss.dtype) * penalty
                correct = (out.detach().argmax(-1) == yb).sum() if key.count_correct else loss.detach()
                return total, (loss.detach(), correct)

            grads, (loss, correct) = torch.func.grad(objective, has_aux=True)(cur, xb, yb)
            if key.clip:
                # nn.utils.clip_grad_norm_: the norm of the per-tensor norms, scaled by at most 1.
                total_norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
                coef = torch.clamp(max_norm.to(total_norm.dtype) / (total_norm + 1e-6), max=1.0)
                grads = [g * coef for g in grads]
            cur, st = _update(opt, mom, wd, betas, eps, cur, grads, st, lr64)
            losses.append(loss)
            if key.count_correct:
                corrects.append(correct)
        for p, c in zip(params, cur):
            p.copy_(c)
        for s_old, s_new in zip(states, st):
            for a, b_ in zip(s_old, s_new):
                a.copy_(b_)
        measured = measure(cur, ex, ey) if key.evaluate else None
        return torch.stack(losses), (torch.stack(corrects) if corrects else None), grads, measured

    # A code object of its own: dynamo keeps its compiled code (and its limit on recompilations) per code
    # object, and every program is a different function.
    code = epoch.__code__.replace()
    return types.FunctionType(code, epoch.__globals__, f"fast_epoch_{opt}", epoch.__defaults__, epoch.__closure__)


def _update(opt: str, mom: float, wd: float, betas: tuple[float, float], eps: float, params: list[torch.Tensor],
            grads: list[torch.Tensor], states: list[list[torch.Tensor]], lr64: torch.Tensor
            ) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
    """torch.optim's single-tensor update rules, out of place. Scalars that torch computes in Python (double
    precision) are computed in float64 here and cast at the point of use, as torch's kernels do."""
    new_p: list[torch.Tensor] = []
    new_s: list[list[torch.Tensor]] = []
    for p, g, s in zip(params, grads, states):
        lr = lr64.to(p.dtype)
        if opt == "sgd":
            new_p.append(p - lr * g)
            new_s.append(s)
        elif opt in ("momentum", "nesterov"):
            buf = s[0] * mom + g
            step = g + buf * mom if opt == "nesterov" else buf
            new_p.append(p - lr * step)
            new_s.append([buf])
        elif opt == "adagrad":
            step_t, acc = s
            step_t = step_t + 1
            acc = acc + g * g
            std = acc.sqrt() + 1e-10
            new_p.append(p + ((-lr) * g) / std)  # addcdiv's order: (value * t1) / t2
            new_s.append([step_t, acc])
        elif opt == "rmsprop":
            step_t, sq = s
            alpha = 0.99
            step_t = step_t + 1
            sq = sq * alpha + ((1 - alpha) * g) * g  # addcmul's order: (value * t1) * t2
            avg = sq.sqrt() + 1e-8
            new_p.append(p + ((-lr) * g) / avg)
            new_s.append([step_t, sq])
        else:  # adam, adamw
            beta1, beta2 = betas
            step_t, m, v = s
            step_t = step_t + 1
            # The order of the fused CPU kernel the ordinary loop uses (make_optimizer asks for fused=True).
            if opt == "adamw":
                p = p * (1 - lr64 * wd).to(p.dtype)
            m = m * beta1 + (1 - beta1) * g
            v = v * beta2 + ((1 - beta2) * g) * g
            step = step_t.to(torch.float64)
            bc1 = 1 - torch.pow(torch.tensor(beta1, dtype=torch.float64, device=step.device), step)
            bc2 = 1 - torch.pow(torch.tensor(beta2, dtype=torch.float64, device=step.device), step)
            step_size = (lr64.to(step.device) / bc1).to(p.device)
            bc2_sqrt = bc2.sqrt().to(p.device)
            denom = v.sqrt() / bc2_sqrt.to(p.dtype) + eps
            new_p.append(p - (step_size.to(p.dtype) * m) / denom)
            new_s.append([step_t, m, v])
    return new_p, new_s


class FastPath:
    """Keeps a compiled program in step with a trainer: builds it in the background, hands it out only while
    its key matches, and says why there is none."""

    def __init__(self, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = os.environ.get(_ENABLED_ENV, "1") != "0"
        self.enabled = enabled
        self.reason = "" if enabled else "turned off"
        self.build_seconds: float | None = None
        self._program: Program | None = None
        self._building: tuple[Key, tuple[int, int, int]] | None = None
        self._failed: set[tuple[Key, tuple[int, int, int]]] = set()
        self._thread: threading.Thread | None = None
        self._ineligible: tuple[Any, Any] | None = None
        self._macs: tuple[Any, int] | None = None
        self._lock = threading.Lock()
        self.builds = 0

    # What the trainer calls -------------------------------------------------------------------------------

    def program(self, trainer: Any, at_epoch_start: bool) -> Program | None:
        """The ready program for what the trainer would do next, or None (then one is built if possible)."""
        if not self.enabled:
            return None
        skip = self._ineligible
        if skip is not None and skip[0] is trainer.task and skip[1] is trainer.optimizer:
            return None  # known unfit: cost nothing per step
        key = self.key_for(trainer)
        if key is None:
            return None
        if key.whole_epoch and not at_epoch_start:
            return None
        owner = (id(trainer.task), id(trainer.optimizer), id(trainer.x_train))
        program = self._program
        if program is not None and program.key == key and program.serves(trainer):
            if not _state_ready(trainer.optimizer, key.optimizer):
                return None
            return program
        self._start_build(trainer, key, owner)
        return None

    def key_for(self, trainer: Any) -> Key | None:
        """The key of the program that could train this trainer's next steps, or None with :attr:`reason` set."""
        task = trainer.task
        settings = trainer.settings
        device = trainer.device
        if settings.optimizer not in OPTIMIZERS:
            self.reason = f"optimizer {settings.optimizer} has no compiled form"
            return None
        if trainer.lab.frozen:
            # The compiled step updates every parameter of the model; frozen ones must stay as they are.
            self.reason = "frozen layers train in the ordinary loop"
            return None
        n = int(trainer.x_train.shape[0])
        bs = settings.batch_size
        steps = -(-n // bs)
        per_step = max(1, self._multiply_adds(task) * bs)
        whole = steps <= WHOLE_EPOCH_STEPS and steps * per_step <= BLOCK_MACS
        block = 0 if whole else min(BLOCK_STEPS, BLOCK_MACS // per_step)
        if not whole and block < 2:
            self.reason = f"batches of {bs} are big enough that their arithmetic outweighs the overhead"
            return None
        if not whole and trainer._perm is not None and n - trainer._pos < block * bs:
            return None  # the tail of a long epoch runs in the ordinary loop
        if isinstance(task, ClassificationTask):
            loss = "nll_of_probabilities" if task._probabilities else "cross_entropy"
        else:
            loss = "mse"
        return Key(settings.optimizer, float(settings.momentum), float(settings.weight_decay),
                   settings.regularization if settings.regularization_rate > 0 else "none", settings.grad_clip > 0,
                   bs, n, whole, block, not trainer._full_train_eval, whole and trainer._full_train_eval, loss,
                   str(device))

    def _multiply_adds(self, task: Any) -> int:
        """Multiply-adds of one sample's forward pass through the dense layers (remembered per model)."""
        cached = self._macs
        if cached is not None and cached[0] is task:
            return cached[1]
        macs = sum(m.in_features * m.out_features for m in task.model.modules() if isinstance(m, nn.Linear))
        self._macs = (task, macs)
        return macs

    def eligible(self, trainer: Any) -> str | None:
        """Why this trainer's model cannot use the fast path at all (checked once per build), or None."""
        if type(trainer.task) not in (ClassificationTask, RegressionTask):
            return f"the {trainer.task.name} task trains in the ordinary loop"
        model = trainer.task.model
        count = sum(p.numel() for p in model.parameters())
        if count >= FAST_PATH_PARAMETERS:
            return f"{count:,} parameters: large networks gain nothing from it"
        if any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in model.modules()):
            # A convolution's arithmetic outweighs the per-operation overhead the fast path removes, and its
            # compilation takes minutes of CPU: not worth it.
            return "convolutional networks spend their time in convolutions, not in overhead"
        if any(True for _ in model.buffers()):
            return "a layer keeps running statistics (batch normalization)"
        for name, child in model.named_children():
            if not isinstance(child, _PURE_LAYERS) or list(child.children()):
                return f"layer '{name}' ({type(child).__name__}) is not compiled (randomness or state)"
        if any(p.dtype != torch.float32 or p.device != trainer.x_train.device for p in model.parameters()):
            return "parameters must be float32 on the data's device"
        if len(trainer.optimizer.param_groups) != 1:
            return "more than one parameter group"
        return compile_unavailable_reason(trainer.device)  # last: the first call imports inductor

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a build in progress (tests, the benchmark); True when one is ready."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._program is not None

    def discard(self) -> None:
        self._program = None

    def failed(self, program: Program, error: BaseException) -> None:
        """A ready program raised when called (a guard it was not compiled for): drop it, and do not build
        the same again for this run."""
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        self.reason = f"the compiled program failed: {type(error).__name__}: {first[:300]}"
        with self._lock:
            if self._program is program:
                self._program = None
            self._failed.add((program.key, (id(program.task), id(program.optimizer), id(program.x))))

    # Building ---------------------------------------------------------------------------------------------

    def _start_build(self, trainer: Any, key: Key, owner: tuple[int, int, int]) -> None:
        with self._lock:
            if self._building is not None or (key, owner) in self._failed:
                return
            reason = self.eligible(trainer)
            if reason is not None:
                self.reason = reason
                self._ineligible = (trainer.task, trainer.optimizer)
                return
            self._program = None
            self._building = (key, owner)
            args = _prepare(trainer, key)
        thread = threading.Thread(target=self._build, args=(key, owner, args), name="fast-path-compile",
                                  daemon=True)
        self._thread = thread
        thread.start()

    def _build(self, key: Key, owner: tuple[int, int, int], args: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        try:
            program = build_program(key, **args)
        except Exception as e:  # any compile failure means: go on with the ordinary loop
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            self.reason = f"torch.compile failed: {type(e).__name__}: {first[:300]}"
            with self._lock:
                self._failed.add((key, owner))
                self._building = None
            return
        with self._lock:
            self.build_seconds = time.perf_counter() - t0
            self._program = program
            self._building = None
            self.builds += 1
            self.reason = ""


def _state_ready(optimizer: torch.optim.Optimizer, name: str) -> bool:
    """Whether every parameter has the optimizer state the program reads (torch creates some lazily, at the
    first step: the ordinary loop then takes that step)."""
    needed = _opt_state_names(name)
    if not needed:
        return True
    for p in optimizer.param_groups[0]["params"]:
        entry = optimizer.state.get(p)
        if not entry or any(not isinstance(entry.get(k), torch.Tensor) for k in needed):
            return False
    return True


def _prepare(trainer: Any, key: Key) -> dict[str, Any]:
    """What the build needs, taken on the training thread (the loop goes on changing the live tensors)."""
    import copy

    model = trainer.task.model
    return {"skeleton": copy.deepcopy(model).train(), "names": [n for n, _ in model.named_parameters()],
            "params": list(model.parameters()), "optimizer": trainer.optimizer, "task": trainer.task,
            "x": trainer.x_train, "y": trainer.y_train, "ex": trainer._eval_x, "ey": trainer._eval_y}


def build_program(key: Key, skeleton: nn.Module, names: list[str], params: list[nn.Parameter], task: Any,
                  optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, ex: torch.Tensor,
                  ey: torch.Tensor) -> Program:
    """Compile and run once on copies (so the compilation happens here, not in the training loop)."""
    use_user_compile_cache()
    import torch._inductor.config as inductor_config

    # Compile in this (background) thread only: no pool of worker processes competing with training.
    inductor_config.compile_threads = 1
    plan = plan_for(key)
    group = optimizer.param_groups[0]
    betas = tuple(group.get("betas", (0.9, 0.999)))
    eps = float(group.get("eps", 1e-8))
    weight_index = [i for i, (n, p) in enumerate(zip(names, params))
                    if (n.endswith("weight") and p.dim() >= 2) or "weight_" in n]
    fn = _step_fn(key, plan, _fusible(skeleton), names, weight_index, (float(betas[0]), float(betas[1])), eps)
    # The C++ wrapper (see CPP_WRAPPER) makes a fused epoch's ~500 buffer allocations without Python; alone the call
    # ran 1.2x faster with it, but the whole loop gained nothing measurable and the cold compile took 1.5x longer.
    options: dict[str, str | int | bool | Callable[..., Any]] = {"cpp_wrapper": CPP_WRAPPER and x.device.type == "cpu"}
    compiled = torch.compile(fn, fullgraph=True, dynamic=False, options=options)
    state_names = _opt_state_names(key.optimizer)
    copies = [p.detach().clone() for p in params]
    state_copies = [[_state_tensor(optimizer, p, k).clone() for k in state_names] for p in params]
    idx = torch.arange(plan.samples, device=x.device) % x.shape[0]
    scalars = torch.tensor([float(group["lr"]), 0.0, 1.0], dtype=torch.float64, device=x.device)
    with torch.no_grad():
        compiled(copies, state_copies, x, y, idx, scalars, ex, ey)
    return Program(key, plan, compiled, task, params, x, y, optimizer, ex, ey)


def _state_tensor(optimizer: torch.optim.Optimizer, p: nn.Parameter, name: str) -> torch.Tensor:
    """The optimizer's state tensor, or (not created yet: the first step has not run) a stand-in of the right
    shape for compiling; :func:`_state_ready` keeps the program unused until the real one exists."""
    value = optimizer.state.get(p, {}).get(name)
    if isinstance(value, torch.Tensor):
        return value
    if name == "step":
        return torch.zeros((), dtype=torch.float32, device=p.device)
    return torch.zeros_like(p)


def split_metrics(sums: list[float], first: int, total: int) -> tuple[dict[str, float], dict[str, float]]:
    """A program's :attr:`Program.measured` sums as Task.evaluate_together's two dicts of metrics."""
    n = (max(1, first), max(1, total - first))
    out: tuple[dict[str, float], dict[str, float]] = ({"loss": sums[0] / n[0]}, {"loss": sums[1] / n[1]})
    if len(sums) == 4:
        out[0]["accuracy"], out[1]["accuracy"] = sums[2] / n[0], sums[3] / n[1]
    return out
