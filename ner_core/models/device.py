"""Where models run: ``--device auto|cpu|cuda[:N]|mps`` on the command line, ``$NER_DEVICE`` for the app.

``auto`` takes a CUDA GPU when torch sees one, else Apple's MPS, else the CPU. Asking for a device that
is not there is a clear error, never a silent fall-back to the CPU.
"""
from __future__ import annotations

import os

import torch
from torch import nn

DEVICE_ENV = "NER_DEVICE"
CHOICES = "auto, cpu, cuda, cuda:N or mps"


class DeviceError(ValueError):
    """A device that this machine does not have, or a name that is not a device."""


def device_name(given: str) -> str:
    """``given`` lower-cased if it names a device (auto, cpu, cuda, cuda:N, mps), whether or not this machine has it."""
    name = given.strip().lower()
    try:
        known = name == "auto" or torch.device(name).type in ("cpu", "cuda", "mps")
    except RuntimeError:
        known = False
    if not known:
        raise DeviceError(f"unknown device {given!r}: use {CHOICES}")
    return name


def resolve_device(spec: str | None = None) -> torch.device:
    """The device ``spec`` names (default ``$NER_DEVICE``, else ``auto``); a refusal names where the value came from."""
    given = (spec or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    source, fix = (f"--device {given}", "use --device cpu (or auto)") if spec else \
        (f"{DEVICE_ENV}={given}", f"set {DEVICE_ENV}=cpu (or auto)")
    try:
        device_name(given)
    except DeviceError as err:
        raise DeviceError(f"{source}: {err}") from None
    if given == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if torch.backends.mps.is_available() else torch.device("cpu")
    device = torch.device(given)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"{source}: torch {torch.__version__} sees no CUDA GPU on this machine; {fix}")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"{source}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"{source}: MPS is not available on this machine; {fix}")
    return device


def module_device(module: nn.Module) -> torch.device:
    """The device a model's weights are on."""
    return next(module.parameters()).device
