"""Autoencoders and variational autoencoders: reconstruct the input through a bottleneck.

An autoencoder lab has two networks, found by their roles: an *encoder* (data → code, one Output with head
``code``; for a VAE two, ``mean`` and ``log_variance``) and a *decoder* (code → data, one Output with head
``reconstruction``). The settings read live from :attr:`Task.settings`: ``reconstruction_loss`` (mse | bce),
``input_noise`` (a denoising autoencoder sees x + σ·ε and must rebuild x), ``sparsity`` (L1 weight on the code)
and ``beta`` (the VAE's KL weight).

The views' probes: ``reconstructions`` (fixed test digits, their corrupted version when noise is on, and the
output), ``latent`` (the code of the test set and its labels; the view projects it), ``manifold[:n]`` (an n×n grid
decoded from a sweep of the code: the 2-D code itself, or its first two principal components around the mean),
``prior_samples[:seed]`` (VAE: decoded z ~ N(0, I)) and ``ae_settings`` (the live settings, so controls in the
views show what the run uses).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.compile import CompiledNetwork
from playground.graph import Lab
from playground.snapshots import AutoencoderSettings, Latent, Manifold, PriorSamples, Reconstructions, Record

from .datasets import DataBundle
from .errors import EngineError
from .tasks import EVAL_CHUNK, Task, register_task, shape_text, value_count

SHOWN = 12  # test digits in the reconstruction view
LATENT_POINTS = 500  # test samples in the latent scatter (probes run at every snapshot: keep them cheap)
MANIFOLD = 12  # default side of the decoded grid
PRIOR_SAMPLES = 64
_EVAL_SEED = 1234  # the noise of the test loss and the shown corrupted digits is fixed, so curves compare


class _AutoencodingBase(Task):
    """What autoencoders and VAEs share: the two networks, the reconstruction term, noise and the probes."""

    code_heads: tuple[str, ...] = ("code",)
    whole_set_eval = False  # evaluate() measures the splits; no per_sample
    probe_kinds: tuple[str, ...] = ("reconstructions", "latent", "manifold", "ae_settings")

    def __init__(self, lab: Lab, networks: dict[str, CompiledNetwork], data: DataBundle) -> None:
        self._fixed_noise: dict[tuple[int, ...], torch.Tensor] = {}
        super().__init__(lab, networks, data)

    # Validation -------------------------------------------------------------------------------------------

    def _by_role(self, role: str) -> CompiledNetwork:
        nets = [n for n in self.lab.networks if n.role == role]
        others = ", ".join(f"'{n.name}' ({n.role})" for n in self.lab.networks) or "none"
        if not nets:
            raise EngineError(f"A {self.name} lab needs a network whose role is '{role}' "
                              f"({'data → code' if role == 'encoder' else 'code → data'}); this lab has {others}. "
                              f"Add one, or set a network's role to '{role}'", field="role")
        if len(nets) > 1:
            raise EngineError(f"A {self.name} lab needs exactly one '{role}' network, but "
                              f"{', '.join(repr(n.name) for n in nets)} all have that role", field="role")
        return self.networks[nets[0].name]

    def validate(self) -> None:
        extra = [n for n in self.lab.networks if n.role not in ("encoder", "decoder")]
        if extra:
            raise EngineError(f"A {self.name} lab trains an encoder and a decoder; network '{extra[0].name}' has "
                              f"role '{extra[0].role}': remove it or give it the role 'encoder' or 'decoder'",
                              field="role")
        enc, dec = self._by_role("encoder"), self._by_role("decoder")
        self.encoder, self.decoder = enc, dec
        # The encoder reads the data ------------------------------------------------------------------------
        if len(enc.inputs) != 1:
            raise EngineError(f"The encoder '{enc.name}' needs exactly one Input; it has {len(enc.inputs)}",
                              node=enc.inputs[-1] if enc.inputs else None)
        inp = enc.inputs[0]
        want, have = enc.input_shapes[inp].dims, self.data.input_shape
        if want != have and (value_count(want) != value_count(have) or self.data.features):
            raise EngineError(f"Encoder Input '{inp}' expects samples of shape {shape_text(want)} but the dataset "
                              f"'{self.data.name}' gives {shape_text(have)}: set the Input to {shape_text(have)}",
                              node=inp, field="features")
        self.input_shape = want
        # The encoder's code ---------------------------------------------------------------------------------
        self._code_outputs: dict[str, str] = {}
        for head in self.code_heads:
            found = [o for o in enc.outputs if enc.heads[o] == head]
            if not found:
                heads = ", ".join(f"'{o}' ({enc.heads[o]})" for o in enc.outputs) or "none"
                raise EngineError(f"The encoder '{enc.name}' needs an Output with head '{head}' "
                                  f"({self._head_help(head)}); its Outputs: {heads}",
                                  node=enc.outputs[0] if enc.outputs else None, field="head")
            if len(found) > 1:
                raise EngineError(f"The encoder '{enc.name}' has {len(found)} Outputs with head '{head}'; keep one",
                                  node=found[1], field="head")
            self._code_outputs[head] = found[0]
        unused = [o for o in enc.outputs if enc.heads[o] not in self.code_heads]
        if unused:
            raise EngineError(f"Encoder Output '{unused[0]}' has head '{enc.heads[unused[0]]}', which a {self.name} "
                              f"does not use: set it to {' or '.join(repr(h) for h in self.code_heads)}",
                              node=unused[0], field="head")
        code_shape = enc.output_shapes[self._code_outputs[self.code_heads[0]]].dims
        for head in self.code_heads[1:]:
            other = enc.output_shapes[self._code_outputs[head]].dims
            if other != code_shape:
                out = self._code_outputs[head]
                raise EngineError(f"Encoder Output '{out}' ({head}) receives {shape_text(other)} values but "
                                  f"'{self._code_outputs[self.code_heads[0]]}' ({self.code_heads[0]}) receives "
                                  f"{shape_text(code_shape)}: give '{enc.output_sources[out]}' the same size",
                                  node=enc.output_sources[out])
        self.code_shape = code_shape
        self.code_width = value_count(code_shape)
        # The decoder reads the code and rebuilds the data ---------------------------------------------------
        if len(dec.inputs) != 1:
            raise EngineError(f"The decoder '{dec.name}' needs exactly one Input (the code); it has "
                              f"{len(dec.inputs)}", node=dec.inputs[-1] if dec.inputs else None)
        dinp = dec.inputs[0]
        dwant = dec.input_shapes[dinp].dims
        if dwant != code_shape:
            raise EngineError(f"Decoder Input '{dinp}' expects {shape_text(dwant)} values but the encoder's code has "
                              f"{shape_text(code_shape)}: set the decoder's Input to {shape_text(code_shape)} "
                              f"(or change the encoder's last layer)", node=dinp, field="features")
        if len(dec.outputs) != 1 or dec.heads[dec.outputs[0]] != "reconstruction":
            bad = dec.outputs[0] if dec.outputs else None
            got = ", ".join(f"'{o}' ({dec.heads[o]})" for o in dec.outputs) or "none"
            raise EngineError(f"The decoder '{dec.name}' needs exactly one Output, with head 'reconstruction'; it "
                              f"has {got}", node=bad, field="head")
        out = dec.outputs[0]
        rshape = dec.output_shapes[out].dims
        if rshape != want and value_count(rshape) != value_count(want):
            raise EngineError(f"Decoder Output '{out}' receives {shape_text(rshape)} values but the inputs are "
                              f"{shape_text(want)} ({value_count(want)} values): give '{dec.output_sources[out]}' "
                              f"{value_count(want)} units and reshape to {shape_text(want)}",
                              node=dec.output_sources[out])
        self._recon_output = out
        # A Sigmoid at the end makes the outputs probabilities; otherwise BCE reads them as logits.
        self._probabilities = self._ends_in_sigmoid(dec)
        x = self.data.x_train
        self._unit_range = bool(x.size) and float(x.min()) >= 0.0 and float(x.max()) <= 1.0
        if self.settings.reconstruction_loss == "bce" and not self._unit_range:
            raise EngineError(f"Binary cross-entropy needs inputs in [0, 1], but the dataset '{self.data.name}' "
                              f"goes from {float(x.min()):.3g} to {float(x.max()):.3g}: choose mse",
                              field="reconstruction_loss")

    @staticmethod
    def _head_help(head: str) -> str:
        return {"code": "the bottleneck", "mean": "the mean μ of q(z|x)",
                "log_variance": "log σ² of q(z|x), from its own Dense beside the mean"}.get(head, head)

    def _ends_in_sigmoid(self, net: CompiledNetwork) -> bool:
        return self._source_kind(net, self._recon_output) == "Sigmoid"

    # Forward pieces ---------------------------------------------------------------------------------------

    def modules(self) -> dict[str, nn.Module]:
        return {self.encoder.name: self.encoder.module, self.decoder.name: self.decoder.module}

    @property
    def model(self) -> nn.Module:
        return self.encoder.module

    def _encode(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.encoder.module(x)
        outs = out if isinstance(out, tuple) else (out,)
        by_name = dict(zip(self.encoder.outputs, outs))
        return {head: by_name[name] for head, name in self._code_outputs.items()}

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's raw output in the input's shape (logits when the decoder has no final Sigmoid)."""
        out: torch.Tensor = self.decoder.module(z)
        return out.reshape(z.shape[0], *self.input_shape)

    def _image(self, raw: torch.Tensor) -> torch.Tensor:
        """What a raw decoder output looks like as data."""
        if self._probabilities:
            return raw
        if self.settings.reconstruction_loss == "bce":
            return torch.sigmoid(raw)
        return raw.clamp(0.0, 1.0) if self._unit_range else raw

    def _corrupt(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        sigma = self.settings.input_noise
        if sigma <= 0:
            return x
        eps = torch.randn_like(x) if noise is None else noise
        noisy = x + sigma * eps
        return noisy.clamp(0.0, 1.0) if self._unit_range else noisy

    def _reconstruction(self, raw: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Per-sample reconstruction error, summed over the values of a sample."""
        if self.settings.reconstruction_loss == "bce":
            if self._probabilities:
                per = F.binary_cross_entropy(raw.clamp(1e-6, 1 - 1e-6), x, reduction="none")
            else:
                per = F.binary_cross_entropy_with_logits(raw, x, reduction="none")
        else:
            per = (raw - x).pow(2)
        return per.reshape(x.shape[0], -1).sum(dim=1)

    def _eval_noise(self, x: torch.Tensor, start: int) -> torch.Tensor:
        """Noise that is the same at every evaluation, so the test curve of a denoising run is not jittery."""
        key = (start, *x.shape)
        noise = self._fixed_noise.get(key)
        if noise is None or noise.device != x.device:
            g = torch.Generator(device="cpu").manual_seed(_EVAL_SEED + start)
            noise = torch.randn(x.shape, generator=g).to(x.device)
            if len(self._fixed_noise) > 16:
                self._fixed_noise.clear()
            self._fixed_noise[key] = noise
        return noise

    def _mean_code(self, x: torch.Tensor) -> torch.Tensor:
        return self._encode(x)[self.code_heads[0]].reshape(x.shape[0], -1)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self._image(self._decode(self._encode(x)[self.code_heads[0]]))

    def _evaluate_parts(self, x: torch.Tensor, y: torch.Tensor, fn) -> list[float]:  # type: ignore[no-untyped-def]
        mods = list(self.modules().values())
        modes = [m.training for m in mods]
        for m in mods:
            m.eval()
        totals: list[torch.Tensor] = []
        try:
            with torch.inference_mode():
                for start in range(0, x.shape[0], EVAL_CHUNK):
                    xb = x[start:start + EVAL_CHUNK]
                    parts = fn(xb, self._corrupt(xb, self._eval_noise(xb, start)))
                    totals = parts if not totals else [a + b for a, b in zip(totals, parts)]
        finally:
            for m, mode in zip(mods, modes):
                m.train(mode)
        return [float(t) for t in torch.stack(totals).cpu()] if totals else [float("nan")] * 3

    # Probes -----------------------------------------------------------------------------------------------

    def _images(self, t: torch.Tensor) -> np.ndarray:
        """(n, ...) samples as (n, h, w) pictures: images lose their channel (averaged), square vectors fold."""
        a = t.detach().float()
        if a.dim() == 4:
            a = a.mean(dim=1)
        elif a.dim() == 2:
            side = math.isqrt(a.shape[1])
            a = a.reshape(len(a), side, side) if side * side == a.shape[1] else a[:, None, :]
        elif a.dim() != 3:
            a = a.reshape(len(a), 1, -1)
        return a.cpu().numpy().copy()

    def _shown(self) -> tuple[torch.Tensor, np.ndarray]:
        """A fixed set of test samples: the first of each class, then the next ones, SHOWN in all."""
        labels = np.asarray(self.data.y_test)
        picked: list[int] = []
        if self.data.kind == "classification" and labels.size:
            for c in range(max(1, self.data.classes)):
                hits = np.flatnonzero(labels == c)
                if hits.size:
                    picked.append(int(hits[0]))
        for i in range(len(labels)):
            if len(picked) >= SHOWN:
                break
            if i not in picked:
                picked.append(i)
        picked = picked[:SHOWN]
        device = self._device()
        x = torch.as_tensor(self.data.x_test[picked], device=device).reshape(len(picked), *self.input_shape)
        return x, labels[picked] if labels.size else np.zeros(len(picked), np.int64)

    def _device(self) -> torch.device:
        return next(self.decoder.module.parameters(), torch.zeros(())).device

    def _test_inputs(self, n: int) -> tuple[torch.Tensor, np.ndarray]:
        device = self._device()
        n = min(n, len(self.data.x_test))
        x = torch.as_tensor(self.data.x_test[:n], device=device).reshape(n, *self.input_shape)
        y = np.asarray(self.data.y_test[:n])
        return x, y

    def compute_probes(self, names: set[str]) -> list[Record]:
        out: list[Record] = []
        kinds = {n.split(":", 1)[0]: n for n in names}
        if "ae_settings" in kinds:
            s = self.settings
            out.append(AutoencoderSettings(input_noise=float(s.input_noise), sparsity=float(s.sparsity),
                                           beta=float(s.beta), bce=s.reconstruction_loss == "bce"))
        if "reconstructions" in kinds:
            x, labels = self._shown()
            noisy = self._corrupt(x, self._eval_noise(x, -1))
            codes = self._encode(noisy)[self.code_heads[0]]
            out.append(Reconstructions(input=self._images(x), output=self._images(self._image(self._decode(codes))),
                                       labels=np.asarray(labels, dtype=np.int64).copy(),
                                       noisy=self._images(noisy) if self.settings.input_noise > 0 else None))
        # A 2-D VAE's sweep follows the prior, not the codes: then the manifold needs no encoding.
        prior_sweep = isinstance(self, VAETask) and self.code_width == 2
        if "latent" in kinds or ("manifold" in kinds and not prior_sweep):
            x, y = self._test_inputs(LATENT_POINTS)
            codes = torch.cat([self._mean_code(x[i:i + 500]) for i in range(0, len(x), 500)]) if len(x) else \
                torch.zeros(0, self.code_width)
            if "latent" in kinds:
                out.append(Latent(codes.float().cpu().numpy().copy(), np.asarray(y, dtype=np.int64).copy()))
        else:
            codes = torch.zeros(0, self.code_width, device=self._device())
        if "manifold" in kinds:
            out.append(self._manifold(codes, _suffix(kinds["manifold"], MANIFOLD, 2, 30)))
        return out

    def _sweep_range(self, coords: torch.Tensor, n: int) -> torch.Tensor:
        """n values across the bulk (2nd to 98th percentile) of one coordinate of the test codes."""
        if coords.numel() < 2:
            return torch.linspace(-2.0, 2.0, n, device=coords.device)
        lo, hi = torch.quantile(coords.float(), torch.tensor([0.02, 0.98], device=coords.device)).tolist()
        if not hi > lo:
            lo, hi = lo - 1.0, hi + 1.0
        return torch.linspace(lo, hi, n, device=coords.device)

    def _manifold(self, codes: torch.Tensor, n: int) -> Manifold:
        """Decode an n×n sweep over the code (2-D codes) or its first two principal components (wider codes).
        Row 0 of the grid is the top: the second coordinate's largest value, as on a plot's y axis."""
        device = codes.device
        width = self.code_width
        mean = codes.mean(dim=0) if len(codes) else torch.zeros(width, device=device)
        if width == 2:
            axes = torch.eye(2, device=device)
            a, b = self._axis_values(codes[:, 0], n), self._axis_values(codes[:, 1], n)
            kind = "code"
            centre = torch.zeros(2, device=device)
        else:
            centred = codes - mean
            if len(codes) >= 2 and width >= 2:
                _u, _s, vt = torch.linalg.svd(centred.float(), full_matrices=False)
                axes = vt[:2]
                for i in range(axes.shape[0]):  # deterministic signs
                    if axes[i][axes[i].abs().argmax()] < 0:
                        axes[i] = -axes[i]
            else:
                axes = torch.eye(width, device=device)[:2]
            if axes.shape[0] < 2:
                axes = torch.cat([axes, torch.zeros(2 - axes.shape[0], width, device=device)])
            proj = centred @ axes.T
            a, b = self._sweep_range(proj[:, 0], n), self._sweep_range(proj[:, 1], n)
            kind = "pca"
            centre = mean
        bb, aa = torch.meshgrid(b.flip(0), a, indexing="ij")  # rows: b from high to low; columns: a
        grid = torch.stack([aa.reshape(-1), bb.reshape(-1)], dim=1)
        z = centre + grid @ axes
        images = self._image(self._decode(z.reshape(len(z), *self.code_shape)))
        pics = self._images(images)
        h, w = pics.shape[1:]
        return Manifold(pics.reshape(n, n, h, w), (float(a[0]), float(a[-1]), float(b[0]), float(b[-1])),
                        principal_components=kind == "pca")

    def _axis_values(self, coords: torch.Tensor, n: int) -> torch.Tensor:
        return self._sweep_range(coords, n)


def _suffix(name: str, default: int, low: int, high: int) -> int:
    if ":" not in name:
        return default
    try:
        return max(low, min(high, int(name.split(":", 1)[1])))
    except ValueError:
        return default


@register_task
class AutoencoderTask(_AutoencodingBase):
    """x → encoder → code → decoder → x̂; loss: the reconstruction error per value, plus sparsity · mean |code|."""

    name = "autoencoder"
    metrics = ("loss", "reconstruction", "code_l1")

    def _terms(self, x: torch.Tensor, x_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        code = self._encode(x_in)["code"]
        raw = self._decode(code)
        per_value = self._reconstruction(raw, x) / max(1, value_count(self.input_shape))
        return per_value, code.reshape(x.shape[0], -1).abs().mean(dim=1), raw

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor, count_correct: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
        rec, l1, _raw = self._terms(x, self._corrupt(x))
        rec, l1 = rec.mean(), l1.mean()
        loss = rec + self.settings.sparsity * l1 if self.settings.sparsity > 0 else rec
        self.record("reconstruction", rec)
        self.record("code_l1", l1)
        return loss, None

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        def part(xb: torch.Tensor, xin: torch.Tensor) -> list[torch.Tensor]:
            rec, l1, _raw = self._terms(xb, xin)
            return [rec.sum(), l1.sum()]

        rec, l1 = self._evaluate_parts(x, y, part)[:2]
        n = max(1, x.shape[0])
        return {"loss": (rec + self.settings.sparsity * l1) / n, "reconstruction": rec / n, "code_l1": l1 / n}


@register_task
class VAETask(_AutoencodingBase):
    """Encoder → (μ, log σ²); z = μ + σ·ε; decoder → x̂. Loss per sample: reconstruction (summed over the
    values) + β · KL(N(μ, σ²) ‖ N(0, I))."""

    name = "vae"
    metrics = ("loss", "reconstruction", "kl")
    code_heads = ("mean", "log_variance")
    probe_kinds = _AutoencodingBase.probe_kinds + ("prior_samples",)

    def _terms(self, x: torch.Tensor, x_in: torch.Tensor, sample: bool = True
               ) -> tuple[torch.Tensor, torch.Tensor]:
        heads = self._encode(x_in)
        mu, logvar = heads["mean"], heads["log_variance"].clamp(-30.0, 20.0)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        rec = self._reconstruction(self._decode(z), x)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).reshape(x.shape[0], -1).sum(dim=1)
        return rec, kl

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor, count_correct: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
        rec, kl = self._terms(x, self._corrupt(x))
        rec, kl = rec.mean(), kl.mean()
        self.record("reconstruction", rec)
        self.record("kl", kl)
        return rec + self.settings.beta * kl, None

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        # The test loss uses z = μ (no sampling noise), so the curve shows the model, not the dice.
        def part(xb: torch.Tensor, xin: torch.Tensor) -> list[torch.Tensor]:
            rec, kl = self._terms(xb, xin, sample=False)
            return [rec.sum(), kl.sum()]

        rec, kl = self._evaluate_parts(x, y, part)[:2]
        n = max(1, x.shape[0])
        return {"loss": (rec + self.settings.beta * kl) / n, "reconstruction": rec / n, "kl": kl / n}

    def _axis_values(self, coords: torch.Tensor, n: int) -> torch.Tensor:
        # A 2-D VAE code is swept over the prior: n evenly spaced quantiles of N(0, 1) from 5% to 95%.
        p = torch.linspace(0.05, 0.95, n, device=coords.device)
        return math.sqrt(2.0) * torch.erfinv(2 * p - 1)

    def compute_probes(self, names: set[str]) -> list[Record]:
        out = super().compute_probes(names)
        for name in names:
            if name.split(":", 1)[0] == "prior_samples":
                seed = _suffix(name, 0, 0, 2**31 - 1)
                g = torch.Generator(device="cpu").manual_seed(seed)
                device = self._device()
                z = torch.randn((PRIOR_SAMPLES, *self.code_shape), generator=g).to(device)
                out.append(PriorSamples(self._images(self._image(self._decode(z)))))
        return out
