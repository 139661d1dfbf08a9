"""A Yosys SMT-LIB 2 model in Z3: the unit's ports (and named wires) at each of several
states, combinational units evaluated once per state, clocked ones stepped by their
transition relation."""

from __future__ import annotations

import re

import z3


class Netlist:
    """Module `top` of `smt2` over `states` states; with `clocked`, state k+1 follows state k
    by one clock edge. `port(name, k)` is the named signal at state k as a bit-vector term."""

    def __init__(self, smt2: str, top: str, states: int = 1, clocked: bool = False):
        self.top = top
        self.widths = {m.group(1): int(m.group(2))
                       for m in re.finditer(r"; yosys-smt2-(?:input|output|wire|register) (\S+) (\d+)", smt2)}  # fmt: skip
        sorts = dict(re.findall(rf"\(define-fun \|{re.escape(top)}_n (\S+)\| "
                                rf"\(\(state \|{re.escape(top)}_s\|\)\) (Bool|\(_ BitVec \d+\))", smt2))  # fmt: skip
        lines = [f"(declare-fun |s{k}| () |{top}_s|)" for k in range(states)]
        lines += [f"(assert (|{top}_h| |s{k}|))" for k in range(states)]
        if clocked:
            lines += [f"(assert (|{top}_t| |s{k}| |s{k + 1}|))" for k in range(states - 1)]
        for name, sort in sorts.items():
            for k in range(states):
                lines.append(f"(declare-fun |{name}@{k}| () {sort})")
                lines.append(f"(assert (= |{name}@{k}| (|{top}_n {name}| |s{k}|)))")
        self.sorts = sorts
        self.constraints = list(z3.parse_smt2_string(smt2 + "\n" + "\n".join(lines)))

    def port(self, name: str, k: int = 0) -> z3.BitVecRef:
        """Signal `name` at state k (a 1-bit Bool signal as a 1-bit bit-vector)."""
        sort = self.sorts.get(name)
        if sort is None:
            raise KeyError(f"{self.top} has no signal {name!r}")
        if sort == "Bool":
            return z3.If(z3.Bool(f"{name}@{k}"), z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))
        return z3.BitVec(f"{name}@{k}", self.widths[name])

    def element(self, name: str, index: int, width: int, k: int = 0) -> z3.BitVecRef:
        """Element `index` of a packed-array signal of `width`-bit elements."""
        return z3.Extract(width * index + width - 1, width * index, self.port(name, k))
