"""The backend registry: every machine a program image can run on, by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from isa_spec import ArchConfig, GenesysError

from ..device import Device
from .golden import GoldenDevice
from .rtl import RtlDevice
from .spec import SpecDevice

BACKENDS: dict[str, Callable[..., Device]] = {"spec": SpecDevice, "golden": GoldenDevice, "rtl": RtlDevice}


def open_device(name: str, arch: ArchConfig, **options: Any) -> Device:
    """A fresh device of backend `name` (a key of `BACKENDS`), with the backend's own
    `options` (rtl: `vcd`)."""
    if name not in BACKENDS:
        raise GenesysError(f"unknown backend {name!r} (have {', '.join(BACKENDS)})")
    return BACKENDS[name](arch, **options)
