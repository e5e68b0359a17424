"""A lab from a Python file: its networks, the task guessed from their names (a generator and a discriminator make a
GAN, an encoder and a decoder an autoencoder), and a dataset that fits the network that reads the data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from playground.graph import DatasetSettings, Lab

from .given import GivenValues
from .networks import _nothing_opened, import_report
from .results import ImportedNetwork, ImportReport
from .source import _read


def lab_from_file(path: str | Path, given: Mapping[str, Any] | None = None) -> Lab:
    """A lab holding the file's networks, with a dataset that fits the first network's input where one does.

    The task is guessed where the names make it clear: a generator and a discriminator make a GAN, an encoder and a
    decoder an autoencoder. Networks of the file that cannot be opened are named in the lab's description, and so
    are the values given by name (``given``) and the defaults of the script's options it assumed.
    """
    p = Path(path)
    report = import_report(_read(p), p.name, given)
    if not report.networks:
        raise _nothing_opened(report, p.name)
    networks = report.networks
    if len(networks) == 1 and networks[0].parts:
        networks = networks[0].parts  # an autoencoder class: its encoder and decoder, as the autoencoder task trains
    description = f"Imported from {p.name}."
    description += "".join(f" {line}" for line in report_notes(report))
    lab = Lab(name=p.stem.replace("_", " ") or "Imported model", description=description)
    roles = _guess_roles(networks)
    found = set(roles.values())
    if {"generator", "discriminator"} <= found:
        lab.task = "gan"
    elif {"encoder", "decoder"} <= found:
        lab.task = "autoencoder"
    else:
        roles = {}  # half a pair says nothing: a lone "d" is a model like any other
    pair = {"gan": ("generator", "discriminator"), "autoencoder": ("encoder", "decoder")}.get(lab.task, ())
    roles = {name: role for name, role in roles.items() if role in pair}
    for net in networks:
        lab.add_network(net.name, roles.get(net.name, "model"), net.graph)
    for net in networks:
        head = _ROLE_HEADS.get(roles.get(net.name, "")) if lab.task in ("gan", "autoencoder") else None
        outputs = net.graph.nodes_of_kind("Output")
        if head and len(outputs) == 1:
            net.graph.set_param(outputs[0].name, "head", head)
    # The network that reads the data: the discriminator of a GAN, the encoder of an autoencoder, else the first.
    reader = next((n for n in networks if roles.get(n.name) in ("discriminator", "encoder")), networks[0])
    first = reader.graph
    inputs = first.nodes_of_kind("Input")
    outputs = first.nodes_of_kind("Output")
    if lab.task == "classification" and outputs and outputs[0].params["head"] == "regression":
        lab.task = "regression"
    if inputs:
        p0 = inputs[0].params
        digit_image = p0["kind"] == "image" and (p0["channels"], p0["height"], p0["width"]) == (1, 28, 28)
        if digit_image or (p0["kind"] == "vector" and p0["features"] == 28 * 28):  # a digit, maybe flattened
            lab.dataset = DatasetSettings("digits", train_ratio=0.8, features=[])
        elif p0["kind"] == "vector" and p0["features"] == 2 and lab.task in ("classification", "regression"):
            lab.dataset = DatasetSettings("plane" if lab.task == "regression" else "circle")
    return lab


def report_notes(report: ImportReport) -> list[str]:
    """The sentences a person importing should read beside the networks: what was given, what the reading
    assumed (to confirm), what did not open and what it would need."""
    notes = []
    if report.given:
        notes.append("Given: " + ", ".join(f"{name}={value!r}" for name, value in report.given.items()) + ".")
    if report.assumed:
        notes.append("Assumed the script's defaults (give another value with --set NAME=VALUE): "
                     + ", ".join(f"{name}={value}" for name, value in report.assumed.items()) + ".")
    notes.extend(note + "." for net in report.networks for note in net.state_notes())
    if report.refused:
        notes.append("Not opened: " + "; ".join(why for _name, why in report.refused))
    if report.asks:
        notes.append("To open more, " + GivenValues(asks=report.asks).hint() + ".")
    return notes


_ROLE_NAMES = {
    "generator": ("g", "gen", "generator", "netg", "net_g", "g_net", "generator_net"),
    "discriminator": ("d", "disc", "discriminator", "netd", "net_d", "d_net", "discriminator_net", "critic"),
    "encoder": ("enc", "encoder", "encoder_net"),
    "decoder": ("dec", "decoder", "decoder_net"),
}


_ROLE_HEADS = {"generator": "generated", "discriminator": "realness", "encoder": "code", "decoder": "reconstruction"}


def _guess_roles(networks: list[ImportedNetwork]) -> dict[str, str]:
    """Network name -> role, for names that say it (``G``, ``netD``, ``Generator``, ``encoder``); one network a role."""
    roles: dict[str, str] = {}
    for role, names in _ROLE_NAMES.items():
        for net in networks:
            name = net.name.lower()
            if net.name not in roles and (name in names or name.startswith(role) or name.endswith("_" + role)):
                roles[net.name] = role
                break
    return roles
