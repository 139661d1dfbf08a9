"""The runtime: the `Device` protocol, the backends that implement it, and running an image
with tensors in and out by symbol name."""

from .backends import BACKENDS, open_device
from .device import Device, OnCommit, StopRun, read_tensor, write_tensor

__all__ = ["BACKENDS", "Device", "OnCommit", "StopRun", "open_device", "read_tensor", "write_tensor"]
