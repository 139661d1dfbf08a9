"""The units random programs are built from (cosim/strategies.py) that have smaller or simpler
forms, for shrinking (cosim/fuzz/shrink.py): `smaller()` gives valid units that are shorter, or
as long with a value moved toward its simplest (an iteration count to 1, an address, size
or immediate to 0), never the other way, so that shrinking ends; `simplest()` gives the unit
with all its values at their simplest at once (values that only fail together, such as
where a transfer writes and where an operand reads)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from isa_spec import ROWS
from isa_spec.builder import ProgramBuilder
from isa_spec.layout import IterPart

Unit = Callable[[ProgramBuilder], None]


class Seq:
    """Units one after the other (a loop's body run once, without the loop)."""

    def __init__(self, units: Sequence[Unit]):
        self.units = tuple(units)

    def __call__(self, p: ProgramBuilder) -> None:
        for unit in self.units:
            unit(p)

    def smaller(self) -> list[Unit]:
        return [Seq(self.units[:k] + self.units[k + 1 :]) for k in range(len(self.units))] if len(self.units) > 1 else []


class LoopUnit:
    """One to three nested loop levels, each with SET_ITER and SET_INDEX, then lane bodies;
    `smaller()`: one body instruction, or all of them, without the loop; the loop with a
    level or a body instruction less; a level iterated once."""

    def __init__(self, nest: Sequence[tuple[int, int, list, Sequence[Unit]]]):
        self.nest = tuple(nest)  # (level, iterations, SET_INDEX operands, body units) outermost first

    def __call__(self, p: ProgramBuilder) -> None:
        for lv, n, (d, a, b), _ in self.nest:
            p.add("SET_ITER", level=lv, iters=n)
            p.add("SET_INDEX", dst_ns=d[0], dst_idx=d[1], src1_ns=a[0], src1_idx=a[1], src2_ns=b[0], src2_idx=b[1])
        # each level's body: its own lane units, then (when nested) the next level's loop
        sizes = [len(body) for *_, body in self.nest]
        for k, (lv, _, _, body) in enumerate(self.nest):
            p.add("SET_INST", level=lv, body=sum(sizes[k:]) + len(self.nest) - 1 - k)
            for unit in body:
                unit(p)

    def smaller(self) -> list[Unit]:
        bodies = [unit for *_, body in self.nest for unit in body]
        out: list[Unit] = [*bodies, *([Seq(bodies)] if len(bodies) > 1 else [])]
        out += [LoopUnit(self.nest[:k] + self.nest[k + 1 :]) for k in range(len(self.nest))] if len(self.nest) > 1 else []
        for k, (lv, n, binds, body) in enumerate(self.nest):
            out += [LoopUnit(self.nest[:k] + ((lv, n, binds, body[:j] + body[j + 1 :]),) + self.nest[k + 1 :])
                    for j in range(len(body)) if len(body) > 1]  # fmt: skip
            if n > 1:
                out.append(LoopUnit(self.nest[:k] + ((lv, 1, binds, body),) + self.nest[k + 1 :]))
        return out

    def simplest(self) -> Unit:
        return LoopUnit([(lv, min(n, 1), binds, body) for lv, n, binds, body in self.nest])


class OrSmaller:
    """A unit with smaller alternatives the shrinker may try (e.g. a transfer without its loop)."""

    def __init__(self, unit: Unit, alternatives: Sequence[Unit]):
        self.unit, self.alternatives = unit, list(alternatives)

    def __call__(self, p: ProgramBuilder) -> None:
        self.unit(p)

    def smaller(self) -> list[Unit]:
        return self.alternatives


# The one-instruction form of each iterator target (its value sign-extended from 16 bits).
_SIGN_EXT = {r.iterator.target: r for r in ROWS if r.iterator is not None and r.iterator.part is IterPart.SIGN_EXT}


@dataclass(frozen=True)
class IterUnit:
    """An iterator-table or immediate write at `where`: a LOW/HIGH pair (`high` set: LOW
    latches, HIGH commits) or one instruction; `smaller()`: the pair as the one
    sign-extending instruction of its target, a single instruction writing 0."""

    mnemonic: str
    high: str | None
    where: tuple[tuple[str, str | int], ...]
    value: int

    def __call__(self, p: ProgramBuilder) -> None:
        p.add(self.mnemonic, value=self.value & 0xFFFF, **dict(self.where))
        if self.high is not None:
            p.add(self.high, value=(self.value >> 16) & 0xFFFF, **dict(self.where))

    def smaller(self) -> list[Unit]:
        if self.high is not None:
            target = next(r.iterator.target for r in ROWS if r.mnemonic == self.mnemonic)
            return [IterUnit(_SIGN_EXT[target].mnemonic, None, self.where, self.value)]
        return [replace(self, value=0)] if self.value & 0xFFFF else []

    def simplest(self) -> Unit:
        return replace(self, value=0)


@dataclass(frozen=True)
class DmaUnit:
    """A Tandem DMA transfer: its base address (a pair), tile address and loops, then its
    START; `smaller()`: without a loop, without its base or tile address instruction (the
    one configured before, 0 after reset) or its START (the configuration stays for a later
    one); one word, tile address 0, the base at the start of its region."""

    direction: str
    ns: str
    width: str
    size: int
    word: int
    region: int
    offset: int
    loops: tuple[tuple[str, int, int, int], ...]  # (BASE or TILE, loop, iterations, byte stride)
    base_set: bool = True
    tile_set: bool = True
    started: bool = True

    def __call__(self, p: ProgramBuilder) -> None:
        d, ns = self.direction, self.ns
        if self.base_set:
            p.add32(f"{d}_CONFIG_BASE_ADDR", self.region + self.offset, ns=ns)
        if self.tile_set:
            p.add(f"{d}_CONFIG_TILE_ADDR", ns=ns, value=self.word)
        for kind, loop, n, stride in self.loops:
            p.add(f"{d}_CONFIG_{kind}_LOOP_ITER", ns=ns, loop=loop, iters=n)
            p.add32(f"{d}_CONFIG_{kind}_LOOP_STRIDE", stride, ns=ns, loop=loop)
        if self.started:
            p.add(f"{d}_START", ns=ns, width=self.width, size=self.size)

    def smaller(self) -> list[Unit]:
        out: list[Unit] = [replace(self, loops=self.loops[:k] + self.loops[k + 1 :]) for k in range(len(self.loops))]
        out += [replace(self, base_set=False)] if self.base_set else []
        out += [replace(self, tile_set=False)] if self.tile_set else []
        out += [replace(self, started=False)] if self.started else []
        out += [replace(self, size=1)] if self.size > 1 else []
        out += [replace(self, word=0)] if self.word and self.tile_set else []
        out += [replace(self, offset=0)] if self.offset and self.base_set else []
        return out

    def simplest(self) -> Unit:
        return replace(self, size=1, word=0, offset=0)


@dataclass(frozen=True)
class PermUnit:
    """A permutation: its RD and WR base addresses, its loops, then its START; `smaller()`:
    without a loop, a base address or a loop's stride instruction (the value configured
    before, 0 after reset), or its START (the configuration stays for a later one); a base
    address or stride 0; a loop iterated once or twice."""

    src: str
    dst: str
    rd: int
    wr: int
    loops: tuple[tuple[int, int, int | None, int | None], ...]  # (idx, iterations, RD stride, WR stride)
    rd_set: bool = True
    wr_set: bool = True
    started: bool = True

    def __call__(self, p: ProgramBuilder) -> None:
        for rw, value, given in (("RD", self.rd, self.rd_set), ("WR", self.wr, self.wr_set)):
            if given:
                p.add("PERM_SET_BASE_ADDR", rw=rw, value=value)
        for idx, n, rs, ws in self.loops:
            p.add("PERM_SET_LOOP_ITER", idx=idx, iters=n)
            for rw, stride in (("RD", rs), ("WR", ws)):
                if stride is not None:
                    p.add("PERM_SET_LOOP_STRIDE", rw=rw, idx=idx, value=stride & 0xFFFF)
        if self.started:
            p.add("PERM_START", dst_ns=self.dst, src1_ns=self.src)

    def smaller(self) -> list[Unit]:
        out: list[Unit] = [replace(self, loops=self.loops[:k] + self.loops[k + 1 :]) for k in range(len(self.loops))]
        out += [replace(self, rd_set=False)] if self.rd_set else []
        out += [replace(self, wr_set=False)] if self.wr_set else []
        out += [replace(self, started=False)] if self.started else []
        out += [replace(self, rd=0)] if self.rd and self.rd_set else []
        out += [replace(self, wr=0)] if self.wr and self.wr_set else []
        for k, (idx, n, rs, ws) in enumerate(self.loops):
            simpler = [(idx, m, rs, ws) for m in (1, 2) if m < n]
            simpler += [(idx, n, None, ws)] if rs is not None else []
            simpler += [(idx, n, rs, None)] if ws is not None else []
            simpler += [(idx, n, 0, ws)] if rs else []
            simpler += [(idx, n, rs, 0)] if ws else []
            out += [replace(self, loops=self.loops[:k] + (loop,) + self.loops[k + 1 :]) for loop in simpler]
        return out

    def simplest(self) -> Unit:
        return replace(self, rd=0, wr=0)
