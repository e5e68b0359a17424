"""A Lab: everything a user sets up (networks, task, dataset, training settings, seed), as versioned JSON."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .catalog import Param
from .errors import GraphError, LabFormatError, ParameterError, shown
from .files import atomic_write
from .graph import Graph

FORMAT = "neural-network-playground/lab"
VERSION = 1

TASKS: dict[str, str] = {
    "classification": "Predict a class; softmax and cross-entropy loss.",
    "regression": "Predict a number; mean squared error loss.",
    "autoencoder": "Reconstruct the input through a bottleneck.",
    "vae": "Variational autoencoder: reconstruct through a sampled latent code.",
    "gan": "Generator against discriminator.",
    "sequence": "Learn from sequences: forecasting, classification, text.",
}

ROLES: dict[str, str] = {
    "model": "the whole network",
    "encoder": "maps data to a code",
    "decoder": "maps a code back to data",
    "generator": "maps noise to fake samples",
    "discriminator": "tells real samples from fakes",
}

TRAINING_FIELDS: tuple[Param, ...] = (
    Param("optimizer", "choice", "adam", "sgd: w ← w − η·g. momentum: keeps a velocity v ← μ·v + g. nesterov: looks "
          "ahead along v. adagrad: divides by the root of all past g². rmsprop: by a running mean of g². adam: "
          "momentum and rmsprop with bias correction. adamw: adam with decoupled weight decay.",
          choices=("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")),
    Param("learning_rate", "float", 0.01, "Step size η of each update. Too small learns slowly, too large diverges.",
          1e-7, 10000.0, label="Learning rate"),
    Param("momentum", "float", 0.9, "Momentum μ for momentum and nesterov.", 0.0, 0.999),
    Param("weight_decay", "float", 0.01, "Decoupled weight decay of adamw.", 0.0, 1.0),
    Param("schedule", "choice", "none", "none: constant rate. step: multiply by gamma every step_size epochs. "
          "cosine: glide down to zero along half a cosine over all epochs.", choices=("none", "step", "cosine")),
    Param("step_size", "int", 30, "Epochs between learning-rate drops of the step schedule.", 1, 100000),
    Param("gamma", "float", 0.5, "Factor of each drop of the step schedule.", 0.0, 1.0),
    Param("regularization", "choice", "none", "l1 adds λ·Σ|w| to the loss (drives weights to exactly 0); l2 adds "
          "λ·Σw² (keeps all weights small).", choices=("none", "l1", "l2")),
    Param("regularization_rate", "float", 0.001, "λ, the weight of the regularization term.", 0.0, 10.0,
          label="Regularization rate"),
    Param("grad_clip", "float", 0.0, "Rescale gradients whose total norm exceeds this; 0 is off.", 0.0, 1e6,
          label="Gradient clipping"),
    Param("batch_size", "int", 32, "Samples per update. Small batches: noisy, frequent steps.", 1, 65536,
          label="Batch size"),
    Param("epochs", "int", 100, "Passes over the training set.", 1, 10_000_000),
    Param("early_stopping", "bool", False, "Stop when the validation loss has not improved for 'patience' epochs "
          "and keep the best weights.", label="Early stopping"),
    Param("patience", "int", 20, "Epochs without improvement before early stopping.", 1, 100000),
    Param("init", "choice", "default", "How the weights start, each time the network is built or reset. "
          "default: torch's own, w ~ U(−√(1/fan_in), √(1/fan_in)). xavier (Glorot): w ~ U(−a, a), "
          "a = √(6 / (fan_in + fan_out)), variance 2 / (fan_in + fan_out), for tanh and sigmoid. he (Kaiming): "
          "w ~ N(0, 2 / fan_in), for ReLU. normal: w ~ N(0, 0.01²). uniform: w ~ U(−0.05, 0.05). zeros: every "
          "weight 0, so every unit of a layer computes the same thing and stays the same: symmetry is never "
          "broken. Biases start at 0 except with default.",
          choices=("default", "xavier", "he", "normal", "uniform", "zeros"), label="Weight initialiser"),
    Param("device", "choice", "auto", "Where to train; auto picks CUDA, then MPS, then the CPU.",
          choices=("auto", "cpu", "cuda", "mps")),
    # Settings of the generative and sequence families; the other tasks ignore them.
    Param("reconstruction_loss", "choice", "mse", "How an autoencoder scores its reconstruction x̂ of x. mse: mean "
          "of (x̂ − x)². bce: binary cross-entropy −[x·log x̂ + (1−x)·log(1−x̂)], for pixels in [0, 1].",
          choices=("mse", "bce"), label="Reconstruction loss"),
    Param("input_noise", "float", 0.0, "Denoising autoencoder: Gaussian noise of this standard deviation is added "
          "to each input, and the network must reconstruct the clean one.", 0.0, 10.0, label="Input noise"),
    Param("sparsity", "float", 0.0, "Sparse autoencoder: adds this weight times the mean |code| (L1) to the loss, "
          "so most code units stay at zero.", 0.0, 100.0, label="Code sparsity (L1)"),
    Param("beta", "float", 1.0, "VAE: weight β of the KL term, loss = reconstruction + β·KL(q(z|x) ‖ N(0, I)). "
          "β > 1 gives smoother, more disentangled codes; β < 1 sharper reconstructions.", 0.0, 100.0,
          label="KL weight β"),
    Param("d_steps", "int", 1, "GAN: discriminator updates per generator update (k in Goodfellow et al.).", 1, 100,
          label="Discriminator steps k"),
    Param("discriminator_learning_rate", "float", 0.001, "GAN: step size of the discriminator's optimizer (the "
          "learning rate above is the generator's).", 1e-7, 10000.0, label="Discriminator learning rate"),
    Param("freeze", "choice", "none", "GAN: hold one network still and train only the other.",
          choices=("none", "generator", "discriminator")),
    Param("temperature", "float", 1.0, "Text generation: divide the scores by T before sampling. Low T: safe, "
          "repetitive text; high T: surprising, noisy text.", 0.01, 10.0),
    # Data augmentation of image sets: each training batch is randomly transformed on the training device (the test
    # set never is). 0 turns a transform off; the other data kinds ignore these.
    Param("augment_shift", "float", 0.0, "Augmentation: move each training image by up to this fraction of its size "
          "in x and in y (0.1: up to 10%, about 3 pixels of a 28×28 digit).", 0.0, 0.5, label="Random shift"),
    Param("augment_rotation", "float", 0.0, "Augmentation: turn each training image by a random angle of up to this "
          "many degrees either way.", 0.0, 180.0, label="Random rotation (°)"),
    Param("augment_scale", "float", 0.0, "Augmentation: zoom each training image by a random factor from 1 − s to "
          "1 + s.", 0.0, 0.5, label="Random scale"),
    Param("augment_elastic", "float", 0.0, "Augmentation: bend each training image by a smooth random warp that moves "
          "pixels by about this many pixels (elastic deformation, as in Simard et al. 2003).", 0.0, 8.0,
          label="Elastic deformation (px)"),
    Param("augment_noise", "float", 0.0, "Augmentation: add Gaussian noise of this standard deviation to each pixel "
          "of each training image (pixels run from 0 to 1).", 0.0, 1.0, label="Random noise"),
    Param("adversarial_share", "float", 0.0, "Adversarial training (image classifiers): replace this share of each "
          "batch by FGSM examples of it, x + ε·sign(∇x loss), made against the network as it is at that step. "
          "Robustness to the attack rises; clean accuracy may fall a little.", 0.0, 1.0,
          label="Adversarial share"),
    Param("adversarial_epsilon", "float", 0.1, "Adversarial training: the ε of its FGSM examples, in pixel units "
          "(pixels run from 0 to 1).", 0.0, 0.5, label="Adversarial ε"),
)

DATASET_FIELDS: tuple[Param, ...] = (
    Param("noise", "float", 0.0, "Noise added to the data, in percent.", 0.0, 50.0),
    Param("train_ratio", "float", 0.5, "Fraction of the samples used for training; the rest is the test set.",
          0.1, 0.9, label="Training ratio"),
    Param("samples", "int", 500, "Number of samples generated.", 10, 1_000_000),
)


def _check_fields(specs: tuple[Param, ...], data: Mapping[str, Any], where: str) -> dict[str, Any]:
    known = {p.name: p for p in specs}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise LabFormatError(f"{where} has no field {shown(key)} (fields: {', '.join(known)})", field=key)
        try:
            out[key] = known[key].check(value, where)
        except ParameterError as e:
            raise LabFormatError(e.message, field=key) from None
    return out


_FLOAT_MAX = 1.7976931348623157e308


def _check_numbers(value: Any, where: str) -> None:
    """Refuse NaN, infinity and integers beyond any float anywhere inside free-form options, naming the entry:
    whoever reads an option converts it with float() or int(), and those would crash or poison the run."""
    # A loop, not recursion (options may nest as deeply as JSON allows); each entry keeps its parent and key, and
    # the path text is built only for the one entry that is refused.
    stack: list[tuple[Any, Any, Any]] = [(value, None, where)]
    while stack:
        entry = stack.pop()
        item = entry[0]
        if isinstance(item, bool):
            continue
        if isinstance(item, float) and not math.isfinite(item) or isinstance(item, int) and abs(item) > _FLOAT_MAX:
            at = _entry_path(entry)
            raise LabFormatError(f"{at} must be a finite number. Received: {at}={shown(item)}", field=at)
        if isinstance(item, Mapping):
            stack.extend((v, entry, k) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, entry, i) for i, v in enumerate(item))


def _entry_path(entry: tuple[Any, Any, Any]) -> str:
    keys = []
    while entry[1] is not None:
        keys.append(entry[2])
        entry = entry[1]
    text = str(entry[2])
    for k in reversed(keys):
        text += f".{k}" if isinstance(k, str) and k.isidentifier() else f"[{shown(k) if isinstance(k, str) else k}]"
    return text


def _checked_frozen(lab: Lab, data: Any) -> dict[str, list[str]]:
    """The lab file's ``frozen`` (network -> layer names), each name checked against the lab's networks."""
    if not isinstance(data, Mapping):
        raise LabFormatError("'frozen' must be an object: network name -> list of layer names", field="frozen")
    out: dict[str, list[str]] = {}
    for network, layers in data.items():
        graph = lab.network(network).graph  # raises, naming the networks the lab has
        if not isinstance(layers, list) or not all(isinstance(n, str) for n in layers):
            raise LabFormatError(f"frozen.{network} must be a list of layer names", field="frozen")
        for name in layers:
            if name not in graph:
                raise LabFormatError(f"frozen.{network} names {shown(name)}, which network {shown(network)} does "
                                     f"not have (layers: {', '.join(graph.nodes)})", field="frozen")
        if layers:
            out[network] = list(dict.fromkeys(layers))
    return out


def _plain_value(specs: tuple[Param, ...], name: str, value: Any) -> Any:
    # A float field set from Python as 1 must still be written as 1.0, or reading the file back and writing it
    # again would change the text.
    for p in specs:
        if p.name == name and p.type == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
    return value


@dataclass
class TrainingSettings:
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.01
    schedule: str = "none"
    step_size: int = 30
    gamma: float = 0.5
    regularization: str = "none"
    regularization_rate: float = 0.001
    grad_clip: float = 0.0
    batch_size: int = 32
    epochs: int = 100
    early_stopping: bool = False
    patience: int = 20
    init: str = "default"
    device: str = "auto"
    reconstruction_loss: str = "mse"
    input_noise: float = 0.0
    sparsity: float = 0.0
    beta: float = 1.0
    d_steps: int = 1
    discriminator_learning_rate: float = 0.001
    freeze: str = "none"
    temperature: float = 1.0
    augment_shift: float = 0.0
    augment_rotation: float = 0.0
    augment_scale: float = 0.0
    augment_elastic: float = 0.0
    augment_noise: float = 0.0
    adversarial_share: float = 0.0
    adversarial_epsilon: float = 0.1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingSettings:
        if not isinstance(data, Mapping):
            raise LabFormatError("training must be an object")
        return cls(**_check_fields(TRAINING_FIELDS, data, "training"))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain_value(TRAINING_FIELDS, f.name, getattr(self, f.name)) for f in fields(self)}

    def updated(self, **changes: Any) -> TrainingSettings:
        """A copy with ``changes`` applied, each validated (raises LabFormatError naming the field)."""
        merged = self.to_dict()
        merged.update(_check_fields(TRAINING_FIELDS, changes, "training"))
        return TrainingSettings(**merged)


@dataclass
class DatasetSettings:
    name: str = "circle"
    noise: float = 0.0
    train_ratio: float = 0.5
    samples: int = 500
    features: list[str] = field(default_factory=lambda: ["x1", "x2"])
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetSettings:
        if not isinstance(data, Mapping):
            raise LabFormatError("dataset must be an object")
        data = dict(data)
        name = data.pop("name", "circle")
        if not isinstance(name, str) or not name:
            raise LabFormatError("dataset.name must be a non-empty string", field="name")
        features = data.pop("features", ["x1", "x2"])
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise LabFormatError("dataset.features must be a list of feature names", field="features")
        options = data.pop("options", {})
        if not isinstance(options, Mapping):
            raise LabFormatError("dataset.options must be an object", field="options")
        _check_numbers(options, "dataset.options")
        checked = _check_fields(DATASET_FIELDS, data, "dataset")
        return cls(name=name, features=list(features), options=dict(options), **checked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "noise": _plain_value(DATASET_FIELDS, "noise", self.noise),
            "train_ratio": _plain_value(DATASET_FIELDS, "train_ratio", self.train_ratio), "samples": self.samples,
            "features": list(self.features), "options": dict(self.options),
        }


@dataclass(frozen=True)
class SettingsChanged:
    """A section of the lab's settings changed: ``section`` is "training", "dataset", "task", "seed", "frozen" or
    "task_options", and
    ``changes`` maps each field that differs to its new value (the section's own name for task and seed)."""

    section: str
    changes: dict[str, Any]


# The settings whose assignment is an event: whoever shows them follows the lab instead of being told by hand.
SETTINGS_SECTIONS = ("task", "seed", "dataset", "training", "frozen", "task_options")


def _differences(section: str, before: Any, after: Any) -> dict[str, Any]:
    if section in ("training", "dataset"):
        old, new = before.to_dict(), after.to_dict()
        return {k: v for k, v in new.items() if old.get(k) != v}
    return {} if before == after else {section: after}


@dataclass
class Network:
    name: str
    role: str
    graph: Graph


@dataclass
class Lab:
    """Everything a user sets up. Plain data; JSON round-trips exactly."""

    name: str = "Untitled lab"
    description: str = ""
    task: str = "classification"
    seed: int = 1
    dataset: DatasetSettings = field(default_factory=DatasetSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    task_options: dict[str, Any] = field(default_factory=dict)
    networks: list[Network] = field(default_factory=list)
    # network name -> names of its layers whose weights training leaves alone. Kept at the lab, not on the node, so
    # a lock is one undoable settings change; names of removed layers stay until the lab is written (an undone
    # removal gets its lock back) and are never written.
    frozen: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_listeners", [])

    def __getstate__(self) -> dict[str, Any]:
        # A copy (copy.deepcopy, pickle) is a new lab: whoever follows this one does not follow it.
        state = dict(self.__dict__)
        state["_listeners"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __setattr__(self, name: str, value: Any) -> None:
        # The dataclass __init__ assigns before __post_init__ made the listener list: no events for a lab being born.
        listeners = self.__dict__.get("_listeners")
        if name not in SETTINGS_SECTIONS or listeners is None:
            object.__setattr__(self, name, value)
            return
        before = getattr(self, name)
        object.__setattr__(self, name, value)
        changes = _differences(name, before, value)
        if changes:
            event = SettingsChanged(name, changes)
            for listener in list(listeners):
                listener(event)

    # Events ---------------------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[SettingsChanged], None]) -> None:
        """Call ``listener`` with a SettingsChanged whenever ``task``, ``seed``, ``dataset`` or ``training`` is
        assigned a different value (settings are replaced whole: assign ``lab.training.updated(...)``)."""
        self.__dict__["_listeners"].append(listener)

    def unsubscribe(self, listener: Callable[[SettingsChanged], None]) -> None:
        if listener in self.__dict__["_listeners"]:
            self.__dict__["_listeners"].remove(listener)

    def network(self, name: str) -> Network:
        for n in self.networks:
            if n.name == name:
                return n
        raise LabFormatError(f"The lab has no network named {shown(name)} "
                             f"(networks: {', '.join(n.name for n in self.networks) or 'none'})")

    def network_by_role(self, role: str) -> Network:
        for n in self.networks:
            if n.role == role:
                return n
        raise LabFormatError(f"The {self.task} lab needs a network whose role is {shown(role)}")

    def add_network(self, name: str, role: str = "model", graph: Graph | None = None) -> Network:
        if not isinstance(role, str) or role not in ROLES:
            raise LabFormatError(f"Unknown network role {shown(role)} (roles: {', '.join(ROLES)})", field="role")
        if not isinstance(name, str) or not name or not name.isprintable() or len(name) > 100:
            # Any text a user can read; where a name cannot be a file name, files use a safe stand-in instead
            # (engine.export.network_file_stems, the project's weight entries).
            raise LabFormatError(f"A network's name must be printable text of 1 to 100 characters. "
                                 f"Received: name={shown(name)}", field="name")
        if any(n.name == name for n in self.networks):
            raise LabFormatError(f"The lab already has a network named {shown(name)}", field="name")
        net = Network(name, role, graph or Graph())
        self.networks.append(net)
        return net

    def frozen_layers(self, network: str) -> list[str]:
        """The frozen layers of ``network`` that its graph has, in the graph's order."""
        names = set(self.frozen.get(network, ()))
        for net in self.networks:
            if net.name == network:
                return [n for n in net.graph.nodes if n in names]
        return []

    def with_frozen(self, network: str, layer: str, frozen: bool) -> dict[str, list[str]]:
        """The ``frozen`` mapping with ``layer`` of ``network`` locked or unlocked (assign it to change the lab)."""
        out = {k: list(v) for k, v in self.frozen.items()}
        names = [n for n in out.get(network, []) if n != layer] + ([layer] if frozen else [])
        if names:
            out[network] = names
        else:
            out.pop(network, None)
        return out

    def _written_frozen(self) -> dict[str, list[str]]:
        return {net.name: layers for net in self.networks if (layers := self.frozen_layers(net.name))}

    def check(self) -> None:
        """Raise the first problem of any network, prefixed with the network's name when there are several."""
        if not self.networks:
            raise LabFormatError("The lab has no network: add one")
        for net in self.networks:
            problems = net.graph.problems()
            if problems:
                err = problems[0]
                if len(self.networks) > 1:
                    # A new error of the same class: the original sits in the graph's cached inference, and
                    # prefixing it in place would stack "[net] [net] ..." on every call.
                    err = type(err)(f"[{net.name}] {err.message}", node=err.node, field=err.field)
                raise err

    # JSON -----------------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "description": self.description,
            "task": self.task,
            "seed": self.seed,
            "dataset": self.dataset.to_dict(),
            "training": self.training.to_dict(),
            "task_options": dict(self.task_options),
            "networks": [{"name": n.name, "role": n.role, "graph": n.graph.to_dict()} for n in self.networks],
            # Written only when a layer is frozen, so the files of labs without locks stay as they were.
            **({"frozen": written} if (written := self._written_frozen()) else {}),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Lab:
        if not isinstance(data, Mapping):
            raise LabFormatError("A lab file must hold a JSON object")
        if data.get("format") != FORMAT:
            raise LabFormatError(f"Not a lab file: its 'format' is {shown(data.get('format'))}, expected '{FORMAT}'",
                                 field="format")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise LabFormatError(f"The lab's 'version' must be a positive integer. Received: version={shown(version)}",
                                 field="version")
        if version > VERSION:
            raise LabFormatError(f"This lab was written by a newer Neural Network Playground (format version "
                                 f"{shown(version)}; this one reads up to {VERSION}): update the app", field="version")
        known = {"format", "version", "name", "description", "task", "seed", "dataset", "training",
                 "task_options", "networks", "frozen"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LabFormatError(f"The lab has an unknown field {shown(unknown[0])}", field=unknown[0])
        name, desc, task, seed = (data.get("name", "Untitled lab"), data.get("description", ""),
                                  data.get("task", "classification"), data.get("seed", 1))
        if not isinstance(name, str) or not isinstance(desc, str):
            raise LabFormatError("The lab's name and description must be strings", field="name")
        if not isinstance(task, str) or task not in TASKS:
            raise LabFormatError(f"Unknown task {shown(task)} (tasks: {', '.join(TASKS)})", field="task")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
            raise LabFormatError(f"seed must be an integer from 0 to {2**32 - 1}. Received: seed={shown(seed)}",
                                 field="seed")
        task_options = data.get("task_options", {})
        if not isinstance(task_options, Mapping):
            raise LabFormatError("task_options must be an object", field="task_options")
        _check_numbers(task_options, "task_options")
        lab = cls(name=name, description=desc, task=task, seed=seed,
                  dataset=DatasetSettings.from_dict(data.get("dataset", {})),
                  training=TrainingSettings.from_dict(data.get("training", {})),
                  task_options=dict(task_options))
        networks = data.get("networks", [])
        if not isinstance(networks, list):
            raise LabFormatError("'networks' must be a list", field="networks")
        for i, item in enumerate(networks):
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise LabFormatError(f"network #{i + 1} needs a 'name'", field="networks")
            graph = Graph.from_dict(item.get("graph", {}), where=f"network {shown(item['name'])}")
            lab.add_network(item["name"], item.get("role", "model"), graph)
        lab.frozen = _checked_frozen(lab, data.get("frozen", {}))
        return lab

    @classmethod
    def from_json(cls, text: str) -> Lab:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise LabFormatError(f"The lab file is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
                                 ) from None
        except UnicodeDecodeError as e:
            raise LabFormatError(f"The lab file is not text: {e}") from None
        except ValueError as e:  # an integer of more digits than Python converts (4300)
            digits = re.search(r"value has (\d+) digits", str(e))
            what = f"a number of {digits.group(1)} digits" if digits else "a number Python cannot read"
            raise LabFormatError(f"The lab file holds {what}; no setting takes that many") from None
        except RecursionError:
            raise LabFormatError("The lab file is not valid JSON: it nests lists or objects too deeply") from None
        try:
            # An escaped lone surrogate ("\ud800") decodes to a str that no file can hold: refuse it now
            # rather than fail later when the lab is saved.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise LabFormatError("The lab file holds text that is not valid Unicode (a lone surrogate escape such "
                                 "as \\ud800)") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str) -> Lab:
        try:
            with open(path, encoding="utf-8-sig") as f:  # -sig: also read files an editor saved with a BOM
                text = f.read()
        except UnicodeDecodeError:
            raise LabFormatError(f"{shown(path, quote=False)} is not a text file, so not a lab") from None
        except OSError as e:
            raise LabFormatError(f"Cannot read {shown(path, quote=False)}: {e.strerror}") from None
        except ValueError:  # open() refuses a path with a NUL character
            raise LabFormatError(f"Cannot read {shown(path, quote=False)}: a file name cannot hold a NUL "
                                 f"character") from None
        try:
            return cls.from_json(text)
        except GraphError as e:
            e.message = f"{shown(path, quote=False)}: {e.message}"
            raise

    def save(self, path: str) -> None:
        """Write atomically: a temporary file renamed over the old one, so a crash never leaves half a file."""
        atomic_write(path, self.to_json().encode("utf-8"))
