"""Z3 proofs: over compiled programs (every address inside its buffer and its tensor) and
over the specification itself (disjoint encodings, walkers equal to the closed form)."""

from .addresses import Obligation, ProofReport, prove_image
from .spec_proofs import SpecProof, prove_spec, prove_table_disjoint, prove_walker

__all__ = ["Obligation", "ProofReport", "prove_image", "SpecProof", "prove_spec", "prove_table_disjoint", "prove_walker"]
