"""The golden simulator: a second, independent, vectorised implementation of the ISA."""

from .machine import GoldenMachine

__all__ = ["GoldenMachine"]
