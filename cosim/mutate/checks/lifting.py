"""Every lane function of the spec run on Z3 bit-vectors (how proofs read it, through
`proofs.z3ops`) against the same function on Python integers: a check of the spec's lane
functions (an operation only one side supports) and of the Z3 operations (a wrong Z3 reading)."""

from __future__ import annotations

import itertools

EDGES = (0, 1, -1, 2, 127, -128, 32767, -32768, (1 << 31) - 1, -(1 << 31), 1 << 30, -(1 << 30) - 1)


def differs() -> str | None:
    """The first lane function whose Z3 reading differs from the same function on Python
    integers, on edge operands at extreme fraction-bit settings, described (None: none)."""
    import z3

    from isa_spec.bv import CONCRETE
    from isa_spec.lanes import CONCRETE_ONLY, LANE_FUNCTIONS, LaneFormat
    from isa_spec.table import BY_MNEMONIC
    from proofs.z3ops import Z3

    values = [(a, b, a if k % 3 else b) for k, (a, b) in enumerate(itertools.product(EDGES, EDGES))]
    operands = z3.BitVecs("a b d", 32)
    for mnemonic in sorted(set(LANE_FUNCTIONS) - CONCRETE_ONLY):
        fn = LANE_FUNCTIONS[mnemonic]
        for width in (32, 8):
            for ints in ((width, width, width), (1, width, 1), (width // 2, 1, width), (1, width, width)):
                f = LaneFormat.from_int_bits(width, ints)
                term = Z3.sext(fn(Z3, f, *operands), 32)
                for a, b, d in values if not BY_MNEMONIC[mnemonic].one_source else [(a, 0, a) for a in EDGES]:
                    want = CONCRETE.sext(fn(CONCRETE, f, a, b, d), 32)
                    at = [(v, z3.BitVecVal(x, 32)) for v, x in zip(operands, (a, b, d))]
                    got = z3.simplify(z3.substitute(term, *at)).as_signed_long()
                    if want != got:
                        return f"{mnemonic} {f} a={a} b={b} d={d}: Python ints {want}, Z3 {got}"
    return None
