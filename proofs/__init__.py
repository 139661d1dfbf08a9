"""Z3 proofs: over compiled programs (`schedule`: bounds, exact cover, exact reduction,
element maps and order of every layer, against what the image says each layer computes)
and over the specification itself (disjoint encodings, walkers equal to the closed form)."""

from .obligation import KINDS, Obligation, ProofReport
from .schedule import parse_checks, prove_image
from .spec_proofs import SpecProof, prove_spec, prove_table_disjoint, prove_walker

__all__ = ["KINDS", "Obligation", "ProofReport", "parse_checks", "prove_image", "SpecProof", "prove_spec",
           "prove_table_disjoint", "prove_walker"]
