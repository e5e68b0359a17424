"""Generative adversarial networks: a generator turns noise into samples, a discriminator tells them from real ones.

A GAN lab has two networks, found by their roles: a *generator* (one vector Input, the noise z ~ N(0, I); one Output
with head ``generated`` giving a sample of the data's shape) and a *discriminator* (one Input of the data's shape;
one Output with head ``realness`` giving one logit per sample, or a probability if the network ends in a Sigmoid).

Each network has its own optimizer (parameter groups ``generator`` and ``discriminator``): the settings'
``learning_rate`` drives the generator, ``discriminator_learning_rate`` the discriminator (a learning-rate schedule
scales both). One trainer step takes one real batch:

- unless the discriminator is frozen, one discriminator update on it: d_loss = BCE(D(x), 1) + BCE(D(G(z)), 0);
- after every ``d_steps`` (k) discriminator updates, or every step when the discriminator is frozen, and unless
  the generator is frozen, one generator update with the non-saturating loss g_loss = BCE(D(G(z)), 1) =
  −log D(G(z)) (Goodfellow et al. 2014), whose gradient stays strong while D easily spots the fakes.

So k real batches feed k discriminator updates per generator update, as in Goodfellow et al.'s algorithm. A frozen
network's optimizer never steps. Every step records d_loss, g_loss, D(real) and D(fake) (means of D's probability)
without syncing the device; a frozen network's curve continues from the other one's forward pass.

Probes: ``gan_plane`` (2-D data: real points, generated points from fixed noise, D's probability over the plane,
the generator's image of a grid of the noise space (for noise of more than two dimensions the slice through the
first two, the others 0) and the direction each shown fake moves to fool D), ``gan_samples`` (image data: samples
from 64 fixed noise vectors) and ``gan_settings`` (the live k, discriminator rate and freeze, for the controls).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.compile import CompiledNetwork
from playground.graph import Lab
from playground.snapshots import GanPlane, GanSamples, GanSettings, Record

from .datasets import DataBundle
from .errors import EngineError
from .freezing import trainable
from .tasks import Task, register_task, shape_text, value_count

PLANE_FAKES = 500  # generated points shown on the plane
PLANE_REALS = 1000  # real points shown on the plane
ARROWS = 150  # fakes that also show where the generator's gradient pushes them
SAMPLE_GRID = 64  # digits in the samples view (8×8)
EVAL_LIMIT = 2000  # samples of a split that evaluate() measures
NOISE_LINES, NOISE_LINE_POINTS = 11, 40
NOISE_SPAN = 2.0  # the noise grid covers ±2 standard deviations of each of its two axes
FREEZE_CHOICES = ("none", "generator", "discriminator")
# The fixed noise of each purpose differs from the training noise and from the others, but follows the lab's seed.
_FIXED_SEEDS = {"eval": 7919, "plane": 7927, "samples": 7933}


@register_task
class GanTask(Task):
    """Generator against discriminator, with k discriminator steps per generator step and either one frozen."""

    name = "gan"
    metrics = ("loss", "d_loss", "g_loss", "d_real", "d_fake")
    whole_set_eval = False
    explodes = False  # the two losses swing by design; only NaN counts as divergence
    custom_step = True
    probe_kinds = ("gan_plane", "gan_samples", "gan_settings")

    def __init__(self, lab: Lab, networks: dict[str, CompiledNetwork], data: DataBundle) -> None:
        self._fixed: dict[tuple[str, int], torch.Tensor] = {}
        self.d_updates = 0  # discriminator updates since the last generator update (the k counter)
        self.steps_taken = {"generator": 0, "discriminator": 0}  # optimizer steps, for the curious and the tests
        super().__init__(lab, networks, data)

    # Validation -------------------------------------------------------------------------------------------

    def _by_role(self, role: str) -> CompiledNetwork:
        nets = [n for n in self.lab.networks if n.role == role]
        others = ", ".join(f"'{n.name}' ({n.role})" for n in self.lab.networks) or "none"
        if not nets:
            what = "noise → fake samples" if role == "generator" else "sample → one real-or-fake logit"
            raise EngineError(f"A GAN lab needs a network whose role is '{role}' ({what}); this lab has {others}. "
                              f"Add one, or set a network's role to '{role}'", field="role")
        if len(nets) > 1:
            raise EngineError(f"A GAN lab needs exactly one '{role}' network, but "
                              f"{', '.join(repr(n.name) for n in nets)} all have that role", field="role")
        return self.networks[nets[0].name]

    def _one_output(self, net: CompiledNetwork, role: str, head: str) -> str:
        if len(net.outputs) != 1:
            raise EngineError(f"The {role} '{net.name}' needs exactly one Output (head '{head}'); it has "
                              f"{len(net.outputs)}", node=net.outputs[-1] if net.outputs else None)
        out = net.outputs[0]
        if net.heads[out] != head:
            raise EngineError(f"The {role}'s Output '{out}' has head '{net.heads[out]}': set it to '{head}'",
                              node=out, field="head")
        return out

    def validate(self) -> None:
        extra = [n for n in self.lab.networks if n.role not in ("generator", "discriminator")]
        if extra:
            raise EngineError(f"A GAN lab trains a generator and a discriminator; network '{extra[0].name}' has "
                              f"role '{extra[0].role}': remove it or give it the role 'generator' or "
                              f"'discriminator'", field="role")
        gen, dis = self._by_role("generator"), self._by_role("discriminator")
        self.generator, self.discriminator = gen, dis
        sample = tuple(self.data.input_shape)
        # The discriminator reads real samples ----------------------------------------------------------------
        if len(dis.inputs) != 1:
            raise EngineError(f"The discriminator '{dis.name}' needs exactly one Input (a sample); it has "
                              f"{len(dis.inputs)}", node=dis.inputs[-1] if dis.inputs else None)
        dinp = dis.inputs[0]
        dwant = dis.input_shapes[dinp].dims
        if value_count(dwant) != value_count(sample):
            raise EngineError(f"The discriminator's Input '{dinp}' expects samples of shape {shape_text(dwant)} but "
                              f"the dataset '{self.data.name}' gives {shape_text(sample)}: set the Input to "
                              f"{shape_text(sample)}",
                              node=dinp, field="features")
        self.input_shape = dwant  # the same values in another layout (784 for 1×28×28) are reshaped
        dout = self._one_output(dis, "discriminator", "realness")
        if dis.output_shapes[dout].dims != (1,):
            raise EngineError(f"The discriminator's Output '{dout}' receives {dis.output_shapes[dout].describe()}, "
                              f"but it must receive one logit per sample (how real it looks): give "
                              f"'{dis.output_sources[dout]}' 1 unit", node=dis.output_sources[dout])
        self._d_probabilities = self._source_kind(dis, dout) == "Sigmoid"
        # The generator turns noise into samples --------------------------------------------------------------
        if len(gen.inputs) != 1:
            raise EngineError(f"The generator '{gen.name}' needs exactly one Input (the noise z); it has "
                              f"{len(gen.inputs)}", node=gen.inputs[-1] if gen.inputs else None)
        ginp = gen.inputs[0]
        noise = gen.input_shapes[ginp].dims
        if len(noise) != 1:
            raise EngineError(f"The generator's Input '{ginp}' is {shape_text(noise)}, but the noise z is a vector: "
                              f"set its kind to 'vector' (its features are the noise size)", node=ginp, field="kind")
        self.noise_size = noise[0]
        gout = self._one_output(gen, "generator", "generated")
        made = gen.output_shapes[gout].dims
        if made != sample and value_count(made) != value_count(sample):
            raise EngineError(f"The generator's Output '{gout}' makes samples of shape {shape_text(made)} but the "
                              f"dataset '{self.data.name}' has samples of shape {shape_text(sample)} "
                              f"({value_count(sample)} values): "
                              f"give '{gen.output_sources[gout]}' {value_count(sample)} units"
                              + (f" and reshape to {shape_text(sample)}" if len(sample) > 1 else ""),
                              node=gen.output_sources[gout])

    # What the trainer uses --------------------------------------------------------------------------------

    @property
    def model(self) -> nn.Module:
        return self.generator.module

    def modules(self) -> dict[str, nn.Module]:
        return {self.generator.name: self.generator.module, self.discriminator.name: self.discriminator.module}

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"generator": trainable(self.generator.module.parameters()),
                "discriminator": trainable(self.discriminator.module.parameters())}

    def group_rate(self, group: str, rate: float) -> float:
        if group != "discriminator":
            return rate
        s = self.settings
        # A schedule scales the generator's rate; the discriminator's follows by the same factor.
        factor = rate / s.learning_rate if s.learning_rate > 0 else 1.0
        return s.discriminator_learning_rate * factor

    # Forward pieces ---------------------------------------------------------------------------------------

    def _device(self) -> torch.device:
        for p in self.generator.module.parameters():
            return p.device
        return torch.device("cpu")

    def noise(self, n: int) -> torch.Tensor:
        """Fresh noise from the global generator (seeded by the trainer): z ~ N(0, I)."""
        return torch.randn(n, self.noise_size, device=self._device())

    def fixed_noise(self, purpose: str, n: int) -> torch.Tensor:
        """The same noise at every call (per purpose), so views and test metrics compare across steps."""
        key = (purpose, n)
        z = self._fixed.get(key)
        if z is None or z.device != self._device():
            g = torch.Generator(device="cpu").manual_seed(self.lab.seed + _FIXED_SEEDS.get(purpose, 7937))
            z = torch.randn(n, self.noise_size, generator=g).to(self._device())
            self._fixed[key] = z
        return z

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Samples in the discriminator's input layout."""
        made: torch.Tensor = self.generator.module(z)
        return made.reshape(z.shape[0], *self.input_shape)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """One logit per sample: how real the discriminator thinks each is (log-odds)."""
        out = self.discriminator.module(x).reshape(x.shape[0])
        return torch.logit(out, eps=1e-6) if self._d_probabilities else out

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """D(x): the probability that x is real, as (N, 1)."""
        return torch.sigmoid(self.logits(x))[:, None]

    @staticmethod
    def _d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        # BCE with logits against 1 for real and 0 for fake: softplus(−l) = −log σ(l), softplus(l) = −log(1 − σ(l)).
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    @staticmethod
    def _g_loss(fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake).mean()  # non-saturating: −log D(G(z))

    # Training ---------------------------------------------------------------------------------------------

    def _update(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, params: list[nn.Parameter]) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.settings.grad_clip > 0:
            nn.utils.clip_grad_norm_(params, self.settings.grad_clip)
        optimizer.step()

    def train_step(self, x: torch.Tensor, y: torch.Tensor, optimizers: dict[str, torch.optim.Optimizer],
                   count_correct: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        s = self.settings
        train_d = s.freeze != "discriminator"
        train_g = s.freeze != "generator" and (not train_d or self.d_updates + 1 >= s.d_steps)
        g_params = trainable(self.generator.module.parameters())
        d_params = trainable(self.discriminator.module.parameters())
        z = self.noise(x.shape[0])
        # The generator's forward keeps its graph only when the generator steps in this call.
        with torch.set_grad_enabled(train_g):
            fake = self.generate(z)
        if train_d:
            real_logits = self.logits(x)
            fake_logits = self.logits(fake.detach())
            d_loss = self._d_loss(real_logits, fake_logits)
            self._update(optimizers["discriminator"], d_loss, d_params)
            self.d_updates += 1
            self.steps_taken["discriminator"] += 1
        else:
            with torch.no_grad():
                real_logits = self.logits(x)
                fake_logits = self.logits(fake.detach())
                d_loss = self._d_loss(real_logits, fake_logits)
        if train_g:
            # Only the generator's parameters need gradients here; the discriminator's stay untouched.
            for p in d_params:
                p.requires_grad_(False)
            try:
                g_logits = self.logits(fake)
                g_loss = self._g_loss(g_logits)
                self._update(optimizers["generator"], g_loss, g_params)
            finally:
                for p in d_params:
                    p.requires_grad_(True)
            self.d_updates = 0
            self.steps_taken["generator"] += 1
            g_loss = g_loss.detach()
        else:
            g_loss = self._g_loss(fake_logits.detach())
        d_loss = d_loss.detach()
        self.record("d_loss", d_loss)
        self.record("g_loss", g_loss)
        self.record("d_real", torch.sigmoid(real_logits.detach()).mean())
        self.record("d_fake", torch.sigmoid(fake_logits.detach()).mean())
        return d_loss + g_loss, None

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """The two losses and D's mean output on (up to EVAL_LIMIT samples of) a split, against fakes from fixed
        noise, in eval mode."""
        x = x[:EVAL_LIMIT]
        if not len(x):
            return {}
        modules = list(self.modules().values())
        modes = [m.training for m in modules]
        for m in modules:
            m.eval()
        try:
            with torch.inference_mode():
                real_parts, fake_parts = [], []
                z = self.fixed_noise("eval", len(x))
                for start in range(0, len(x), 500):
                    real_parts.append(self.logits(x[start:start + 500]))
                    fake_parts.append(self.logits(self.generate(z[start:start + 500])))
                real, fake = torch.cat(real_parts), torch.cat(fake_parts)
                d_loss, g_loss = self._d_loss(real, fake), self._g_loss(fake)
                values = torch.stack([d_loss, g_loss, torch.sigmoid(real).mean(), torch.sigmoid(fake).mean()])
                d, g, dr, df = values.float().cpu().tolist()
        finally:
            for m, mode in zip(modules, modes):
                m.train(mode)
        return {"loss": d + g, "d_loss": d, "g_loss": g, "d_real": dr, "d_fake": df}

    # Probes -----------------------------------------------------------------------------------------------

    def compute_probes(self, names: set[str]) -> list[Record]:
        kinds = {n.split(":", 1)[0] for n in names}
        out: list[Record] = []
        if "gan_settings" in kinds:
            s = self.settings
            out.append(GanSettings(d_steps=int(s.d_steps), learning_rate=float(s.learning_rate),
                                   discriminator_learning_rate=float(s.discriminator_learning_rate),
                                   freeze=str(s.freeze)))
        if "gan_plane" in kinds and value_count(tuple(self.data.input_shape)) == 2:
            out.append(self._plane())
        if "gan_samples" in kinds and len(self.data.input_shape) >= 2:
            out.append(self._samples())
        return out

    def _plane(self) -> GanPlane:
        real = np.asarray(self.data.x_train, dtype=np.float32).reshape(-1, 2)[:PLANE_REALS]
        extent = float(self.data.grid_extent or 2.0)
        if len(real):
            extent = max(extent, 1.1 * float(np.abs(real).max()))
        device = self._device()
        fake = self.generate(self.fixed_noise("plane", PLANE_FAKES)).reshape(-1, 2)
        res = self.data.grid_resolution or 80
        axis = torch.linspace(-extent, extent, res, device=device)
        gy, gx = torch.meshgrid(axis, axis, indexing="ij")  # row i is y = axis[i]: row 0 at the bottom
        grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
        heat = torch.sigmoid(self.logits(grid.reshape(-1, *self.input_shape))).reshape(res, res)
        lines = self._noise_lines(device)
        mapped = self.generate(lines.reshape(-1, self.noise_size)).reshape(lines.shape[0], lines.shape[1], 2)
        # Where the generator's loss −log D(x) falls fastest for each shown fake: the push that training gives it.
        with torch.enable_grad():
            pts = fake[:ARROWS].detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(F.logsigmoid(self.logits(pts.reshape(-1, *self.input_shape))).sum(), pts)
        drawn = None
        if self.data.name == "drawn":  # the user's own points, so a view opened later can go on drawing
            points = self.lab.dataset.options.get("points") if self.lab.dataset.name == "drawn" else None
            if points is not None:
                drawn = np.asarray(points, dtype=np.float32).reshape(-1, 2).copy()
        return GanPlane(real=real.copy(), fake=fake.float().cpu().numpy().copy(),
                        discriminator=heat.float().cpu().numpy().copy(), extent=float(np.float32(extent)),
                        noise_grid=mapped.float().cpu().numpy().copy(), gradients=grad.float().cpu().numpy().copy(),
                        target=self.data.name, drawn=drawn)

    def _noise_lines(self, device: torch.device) -> torch.Tensor:
        """(lines, points, noise) noise vectors along a grid of the first two noise axes (others 0); for 1-D noise,
        one line."""
        along = torch.linspace(-NOISE_SPAN, NOISE_SPAN, NOISE_LINE_POINTS, device=device)
        if self.noise_size == 1:
            return along.reshape(1, -1, 1)
        ticks = torch.linspace(-NOISE_SPAN, NOISE_SPAN, NOISE_LINES, device=device)
        lines = torch.zeros(2 * NOISE_LINES, NOISE_LINE_POINTS, self.noise_size, device=device)
        lines[:NOISE_LINES, :, 0] = along  # horizontal lines: z₁ varies, z₂ fixed per line
        lines[:NOISE_LINES, :, 1] = ticks[:, None]
        lines[NOISE_LINES:, :, 0] = ticks[:, None]  # vertical lines
        lines[NOISE_LINES:, :, 1] = along
        return lines

    def _samples(self) -> GanSamples:
        images = self.generate(self.fixed_noise("samples", SAMPLE_GRID))
        images = images.reshape(SAMPLE_GRID, *self.data.input_shape)
        if images.dim() == 4:  # (N, C, H, W): grey images lose their channel axis, colour ones are averaged
            images = images.mean(dim=1)
        return GanSamples(images.float().cpu().numpy().copy())
