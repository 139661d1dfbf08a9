"""Z3 proofs over compiled programs: every address inside its buffer and its tensor."""

from .addresses import Obligation, ProofReport, prove_image

__all__ = ["Obligation", "ProofReport", "prove_image"]
