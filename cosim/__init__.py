"""Co-simulation: lockstep comparison of backends on commit logs, divergence reports, fuzzing."""

from .lockstep import CosimResult, Divergence, lockstep

__all__ = ["CosimResult", "Divergence", "lockstep"]
