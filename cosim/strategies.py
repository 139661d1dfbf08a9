"""Random programs for differential testing (hypothesis strategies).

A program is a list of groups and a group a list of units; a unit is a few instructions
that are valid on their own (a LOW/HIGH pair, a whole loop with its SET_ITER, SET_INDEX
and body, a DMA configuration with its START). The program is built from the lists, so
deleting any unit or group, which is how hypothesis shrinks, leaves a valid program and a
failure shrinks to a few instructions. Addresses are drawn so that most programs run to the
end; those that fault still have to fault identically on every backend.

Every defined instruction, operand namespace, lane width, loop depth (up to 3) and fault kind
can be drawn: now and then a raw 32-bit word, an instruction-memory load, a group with a BUF
edge or a program without its final BLOCK_END.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st

from isa_spec import ROWS, ArchConfig, Buffer, disassemble
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image
from isa_spec.layout import IterPart, IterTarget
from isa_spec.table import TILE_LOOPS, transfer_loop_ids

from .units import DmaUnit, IterUnit, LoopUnit, OrSmaller, PermUnit, Unit

DATA_BYTES = 1 << 14  # random initial DRAM, read by loads
SCRATCH = 1 << 15  # stores land from here on

LANE_OPS = tuple(r.mnemonic for r in ROWS if r.lane and r.defined)
LANE_FORMATS = tuple((r.mnemonic, r.lane_width) for r in ROWS if r.lane_width is not None)
VMEM = ("VMEM1", "VMEM2")
WORDS = ("OBUF", "IBUF", "VMEM1", "VMEM2")  # namespaces with words; OBUF is read only
WRITABLE = ("IBUF", "VMEM1", "VMEM2")

# Strategies are made once and reused: hypothesis validates each new strategy object on its
# first draw, which cost more than the drawing when they were made anew for every program.
_int = functools.cache(st.integers)
_pick = functools.cache(st.sampled_from)  # of a tuple
_BOOL = st.booleans()
_TILE_ORDERS = st.permutations(list(TILE_LOOPS))
_COMPUTE_ORDERS = st.permutations(range(8, 16))


def _space(draw, spaces: Sequence[str]) -> str:  # noqa: ANN001
    """Mostly a VMEM, now and then another of `spaces`."""
    return draw(_pick(VMEM)) if draw(_int(0, 3)) else draw(_pick(tuple(spaces)))


def _operand(draw, arch: ArchConfig, dst: bool = False) -> tuple[str, int]:  # noqa: ANN001
    if not dst and draw(_int(0, 4)) == 0:
        return "IMM", draw(_int(0, min(7, arch.imm_depth - 1)))
    return _space(draw, WRITABLE if dst else WORDS), draw(_int(0, 3))


@functools.cache
@st.composite
def lane_unit(draw, arch: ArchConfig, ops: Sequence[str] = LANE_OPS) -> Unit:  # noqa: ANN001
    name = draw(_pick(tuple(ops)))
    row = next(r for r in ROWS if r.mnemonic == name)
    (dns, didx), (ans, aidx), (bns, bidx) = _operand(draw, arch, True), _operand(draw, arch), _operand(draw, arch)
    fields = dict(dst_ns=dns, dst_idx=didx, src1_ns=ans, src1_idx=aidx)
    if "src2_ns" in row.field_index:
        fields |= dict(src2_ns=bns, src2_idx=bidx)
    return lambda p: p.add(name, **fields) if name != "NOP" else p.add("NOP")


# The ITERATOR_CONFIG rows (by the table's `iterator` column), a LOW/HIGH pair as one unit
# (LOW alone only latches): (row, its HIGH row or None).
ITER_ROWS = [r for r in ROWS if r.iterator is not None and r.defined]
ITER_KINDS = tuple((r, next((h for h in ITER_ROWS if h.iterator == type(r.iterator)(r.iterator.target, IterPart.HIGH)), None)
                    if r.iterator.part is IterPart.LOW else None)
                   for r in ITER_ROWS if r.iterator.part is not IterPart.HIGH)  # fmt: skip
_ITER_KIND = st.sampled_from(ITER_KINDS)


@functools.cache
@st.composite
def iterator_unit(draw, arch: ArchConfig) -> Unit:  # noqa: ANN001
    ns, idx = _space(draw, WORDS), draw(_int(0, 3))
    row, high = draw(_ITER_KIND)
    target, part = row.iterator.target, row.iterator.part
    imm = target is IterTarget.IMM
    where = dict(idx=draw(_int(0, min(7, arch.imm_depth - 1)))) if imm else dict(ns=ns, idx=idx)
    if imm:
        value = draw(_int(-(2**31), 2**31 - 1))
    elif target is IterTarget.BASE:
        value = draw(_int(0, arch.vmem_depth // 2))
    else:
        value = draw(_int(-2, 3))
    if part is IterPart.ZEROFILL:
        value = abs(value)
    return IterUnit(row.mnemonic, high and high.mnemonic, tuple(where.items()), value)


@functools.cache
@st.composite
def raw_unit(draw) -> Unit:  # noqa: ANN001
    """Any 32-bit word: mostly an illegal instruction, now and then an odd legal one."""
    word = draw(_int(0, 2**32 - 1))
    return lambda p: p.add_word(word)


@functools.cache
@st.composite
def dtype_unit(draw, arch: ArchConfig) -> Unit:  # noqa: ANN001
    name, width = draw(_pick(LANE_FORMATS))
    bits = [draw(_int(1, width)) for _ in range(3)]
    return lambda p: p.add(name, dst_int=bits[0], src1_int=bits[1], src2_int=bits[2])


@functools.cache
@st.composite
def loop_level(draw, arch: ArchConfig, ops: Sequence[str]):  # noqa: ANN001, ANN201
    """(level, iterations, SET_INDEX operands, lane units of its body) of one loop level."""
    binds = [_operand(draw, arch, True), _operand(draw, arch), _operand(draw, arch)]
    return draw(_int(0, 7)), draw(_int(0, 6)), binds, draw(_loop_body(arch, ops))


@functools.cache
def _loop_body(arch: ArchConfig, ops: Sequence[str]) -> st.SearchStrategy:
    return st.lists(lane_unit(arch, ops), min_size=1, max_size=3)


@functools.cache
@st.composite
def loop_unit(draw, arch: ArchConfig, ops: Sequence[str] = LANE_OPS) -> Unit:  # noqa: ANN001
    """One to three nested loop levels (`LoopUnit`)."""
    nest = draw(_loop_nest(arch, ops))
    return LoopUnit([(lv, n, binds, tuple(body)) for lv, n, binds, body in nest])


@functools.cache
def _loop_nest(arch: ArchConfig, ops: Sequence[str]) -> st.SearchStrategy:
    return st.lists(loop_level(arch, ops), min_size=1, max_size=3, unique_by=lambda lv: lv[0])


@functools.cache
@st.composite
def dma_unit(draw, arch: ArchConfig) -> Unit:  # noqa: ANN001
    direction, ns = draw(_pick(("LD", "ST"))), draw(_pick(VMEM))
    width = draw(_pick(("B8", "B16", "B32")))
    size = draw(_int(1, 4))
    word = draw(_int(0, arch.vmem_depth - 16))
    region = 0 if direction == "LD" else SCRATCH
    offset = draw(_int(0, DATA_BYTES // 2))
    loops = [(draw(_int(0, 3)), draw(_int(1, 3)), draw(_int(0, 64)) * 4)
             for _ in range(draw(_int(0, 2)))]  # (loop, iterations, byte stride)  # fmt: skip
    kinds = ["BASE" if draw(_BOOL) and k == 0 else "TILE" for k in range(len(loops))]
    return DmaUnit(direction, ns, width, size, word, region, offset, tuple((kind, *loop) for kind, loop in zip(kinds, loops)))


@functools.cache
@st.composite
def perm_unit(draw, arch: ArchConfig) -> Unit:  # noqa: ANN001
    src, dst = _space(draw, WORDS), _space(draw, WRITABLE)
    rd, wr = draw(_int(16, 64)), draw(_int(16, 64))
    loops = [(draw(_int(0, 31)), draw(_int(0, 4)), draw(_int(-3, 3)), draw(_int(-3, 3)))
             for _ in range(draw(_int(0, 2)))]  # (idx, iterations, RD stride, WR stride)  # fmt: skip
    return PermUnit(src, dst, rd, wr, tuple(loops))


@functools.cache
def simd_group(arch: ArchConfig, ops: Sequence[str] = LANE_OPS, perm: bool = True) -> st.SearchStrategy:
    """("SIMD", units) of a Tandem group."""
    units = [lane_unit(arch, ops), iterator_unit(arch), dtype_unit(arch), loop_unit(arch, ops), dma_unit(arch)]
    units += [perm_unit(arch)] if perm else []
    return with_rare(st.lists(st.one_of(*units), min_size=1, max_size=10), raw_unit()).map(lambda us: ("SIMD", us))


@st.composite
def with_rare(draw, units: st.SearchStrategy, extra: st.SearchStrategy) -> list[Unit]:  # noqa: ANN001
    """`units`, and one time in about 40 (never hypothesis's favourite 0) a unit of `extra`
    inserted among them."""
    return _rare(draw, draw(units), extra)


def _rare(draw, out: list[Unit], extra: st.SearchStrategy) -> list[Unit]:  # noqa: ANN001
    if draw(_int(0, 40)) == 29:
        out.insert(draw(_int(0, len(out))), draw(extra))
    return out


@functools.cache
@st.composite
def sa_group(draw, arch: ArchConfig) -> tuple[str, list[Unit]]:  # noqa: ANN001
    """("SA", units) of a small systolic-array block: tile and compute loops, strides, transfers."""
    units: list[Unit] = []
    tile = [(lid, draw(_int(1, 2))) for lid in draw(_TILE_ORDERS)[: draw(_int(0, 2))]]
    comp = [(lid, draw(_int(1, 3))) for lid in draw(_COMPUTE_ORDERS)[: draw(_int(1, 2))]]
    for lid, n in tile + comp:
        units.append(lambda p, lid=lid, n=n: p.add("SA_LOOP_CFG", loop_id=lid, iters=n))
    if draw(_BOOL):
        red, dim = draw(_pick(tuple(lid for lid, _ in tile + comp))), draw(_pick(("IC", "KW", "KH")))
        units.append(lambda p: p.add("SA_REDUCTION_LOOP", loop_id=red, dim=dim))
    for access, buf in (("RD", "IBUF"), ("RD", "WBUF"), ("RD", "BBUF"), ("RD", "OBUF"), ("WR", "OBUF")):
        for lid, _ in comp:
            s = draw(_int(0, 3))
            units.append(lambda p, a=access, b=buf, lid=lid, s=s: p.add32("SET_LOOP_STRIDE", s, access=a, buffer=b, loop_id=lid))
    for buf in ("IBUF", "WBUF", "BBUF", "OBUF"):
        base = (0 if buf != "OBUF" else SCRATCH) + draw(_int(0, DATA_BYTES // 4)) // 64 * 64
        units.append(lambda p, b=buf, base=base: p.add32("SET_BASE_ADDR", base, buffer=b))
    for direction, buf in (("LD", "IBUF"), ("LD", "WBUF"), ("LD", "BBUF"), ("LD", "OBUF"), ("ST", "OBUF")):
        if draw(_BOOL):
            rows = transfer_loop_ids(direction, Buffer[buf])[0]
            n, size = draw(_int(1, 3)), draw(_int(1, 4))
            stride = draw(_int(0, 8)) * 16
            transfer = lambda p, d=direction, b=buf, s=size: p.add("LD_ST", dir=d, buffer=b, size=s)  # noqa: E731
            units.append(OrSmaller(lambda p, d=direction, b=buf, rows=rows, n=n, st_=stride, t=transfer: (
                p.add("SA_LOOP_CFG", loop_id=rows, iters=n), p.add32("SET_LOOP_STRIDE", st_, access=d, buffer=b, loop_id=rows),
                t(p)), [transfer]))  # fmt: skip
    return "SA", _rare(draw, units, imem_unit())


@functools.cache
@st.composite
def imem_unit(draw) -> Unit:  # noqa: ANN001
    """An instruction-memory load queued for after the group: DRAM words (random data, so
    mostly illegal instructions) replace the words that follow."""
    base, size = draw(_int(0, DATA_BYTES // 8)) * 4, draw(_int(1, 4))
    return lambda p: (p.add32("SET_BASE_ADDR", base, target="IMEM"), p.add("LD_ST", dir="LD", target="IMEM", size=size))


Group = tuple[str, tuple[Unit, ...], tuple[str, str]]  # ("SA" | "SIMD", units, START and END kinds)


class RandomProgram:
    """A random program and the seed of its initial DRAM; its repr is its disassembly, which
    is what hypothesis prints for a (shrunk) failing example. `groups` and `end` are the
    units it was built from (`build`), for shrinkers."""

    def __init__(self, arch: ArchConfig, words: tuple[int, ...], seed: int, groups: tuple[Group, ...] = (),
                 end: bool = True):  # fmt: skip
        self.arch, self.words, self.seed, self.groups, self.end = arch, words, seed, groups, end

    def image(self) -> Image:
        data = np.random.default_rng(self.seed).integers(0, 256, DATA_BYTES, dtype=np.uint8).tobytes()
        return Image(self.arch, list(self.words), [(0, data)], {})

    def __repr__(self) -> str:
        listing = "\n".join(f"  {pc:4d}: {line}" for pc, line in enumerate(disassemble(list(self.words)).splitlines()))
        return f"RandomProgram({self.arch.name}, DRAM seed {self.seed}):\n{listing}"


@st.composite
def programs(draw, arch: ArchConfig, ops: Sequence[str] = LANE_OPS, sa: bool = True,
             perm: bool = True) -> RandomProgram:  # noqa: ANN001
    """A random program (groups of units) with random initial DRAM."""
    groups = draw(_groups(arch, tuple(ops), sa, perm))
    # Now and then (not hypothesis's favourite 0) a group with a BUF edge: malformed (START, SA END) or not (SIMD END).
    kinds = [draw(_pick((("BUF", "EXEC"), ("EXEC", "BUF")))) if draw(_int(0, 40)) == 29 else ("EXEC", "EXEC")
             for _ in groups]  # fmt: skip
    end = draw(_int(0, 40)) != 29  # now and then no BLOCK_END: the program runs off its end
    parts = tuple((unit_kind, tuple(units), kind) for (unit_kind, units), kind in zip(groups, kinds))
    return build(arch, parts, end, draw(_int(0, 2**32 - 1)))


@functools.cache
def _groups(arch: ArchConfig, ops: Sequence[str], sa: bool, perm: bool) -> st.SearchStrategy:
    return st.lists(st.one_of(simd_group(arch, ops, perm), *([sa_group(arch)] if sa else [])), min_size=1, max_size=4)


def build(arch: ArchConfig, groups: tuple[Group, ...], end: bool, seed: int) -> RandomProgram:
    """The program of `groups` (numbered in order), then BLOCK_END if `end`."""
    p = ProgramBuilder()
    for g, (unit_kind, units, kind) in enumerate(groups):
        with p.group(unit_kind, g % 64, kind):
            for unit in units:
                unit(p)
    if end:
        p.end()
    return RandomProgram(arch, tuple(p.words), seed, groups, end)
