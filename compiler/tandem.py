"""Tandem codelets: requantisation (with a residual term), Add, MaxPool and GlobalAveragePool,
and element-wise maps.

Every codelet works in chunks that fit VMEM: a DMA load per operand (two base loops: rows,
then pixels; each request is a pixel's channel words), loop nests over VMEM, a DMA store.
`Tandem` remembers the registers it has set (DMA walkers, iterator table, IMM, DTYPE_CFG)
so that a chunk emits only what changes; the program is straight-line, so that is exact.

Iterator entries: index 0 of VMEM1/VMEM2 has base 0 and is what every operand names; loop
level L binds entry L + 1, whose strides are the level's strides for dst, src1 and src2; entry
`WINDOW_IDX` of VMEM1 has as base the pooling-window tap being visited, entry `TABLE_IDX` of
a VMEM the first word of the per-channel multipliers loaded into it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from isa_spec import ArchConfig
from isa_spec.builder import ProgramBuilder
from isa_spec.table import DMA_WIDTH_BYTES

from .errors import CompileError
from .layout import Storage
from .quantize import Requant

IMM_ZERO, IMM_M1, IMM_M2, IMM_ROUND, IMM_SHIFT, IMM_LO, IMM_HI, IMM_ALPHA = range(8)
WINDOW_IDX = 9  # VMEM1 iterator entry whose base is the current pooling-window tap
TABLE_IDX = 10  # iterator entry whose base is the per-channel multipliers' first VMEM word


@dataclass(frozen=True)
class Operand:
    """A tensor the Tandem DMA walks: byte address of pixel (n, y, x) and element width."""

    addr: int  # pixel (0, 0, 0)
    image_bytes: int
    row_bytes: int
    pixel_bytes: int
    width: str  # B8 | B32

    @staticmethod
    def of(s: Storage) -> Operand:
        return Operand(s.pixel(0, 0, 0), s.hs * s.ws * s.cp, s.row_bytes, s.cp, "B8")

    def at(self, n: int, y: int, x: int, word: int, lanes: int) -> int:
        return (self.addr + n * self.image_bytes + y * self.row_bytes + x * self.pixel_bytes
                + word * lanes * DMA_WIDTH_BYTES[self.width])  # fmt: skip


Level = tuple[int, tuple[int, int, int]]  # iterations, strides of dst, src1, src2


class Tandem:
    """Emits Tandem instructions into a builder, skipping register writes that change nothing."""

    def __init__(self, p: ProgramBuilder, arch: ArchConfig) -> None:
        self.p, self.arch = p, arch
        self.regs: dict[tuple, int] = {}  # iterator table, IMM, DTYPE_CFG: live for the program
        self.dma_regs: dict[tuple, int] = {}  # DMA walkers: live for one SIMD group
        # cycles by the arch's timing description beyond one fetch of each instruction emitted
        # (`sequencing_cycles`): DMA transfers and what loop nests repeat (`dma`, `nest`)
        self.estimate = 0

    @contextlib.contextmanager
    def group(self, group: int) -> Iterator[None]:
        """A SIMD group; its DMA registers start unset."""
        self.dma_regs.clear()
        with self.p.group("SIMD", group):
            yield

    def _set(self, key: tuple, value: int, regs: dict[tuple, int] | None = None) -> bool:
        regs = self.regs if regs is None else regs
        if regs.get(key) == value:
            return False
        regs[key] = value
        return True

    # ---- registers -------------------------------------------------------------------------
    def dtype(self, f: int) -> None:
        if self._set(("dtype",), f):
            self.p.add("DTYPE_CFG_FXP32", dst_int=32, src1_int=32, src2_int=32 - f)

    def imm(self, idx: int, value: int) -> None:
        if self._set(("imm", idx), value):
            self._value("SET_IMM_LOW", "SET_IMM_HIGH", "IMM_SIGN_EXT", value, idx=idx)

    def _iter(self, kind: str, ns: str, idx: int, value: int) -> None:
        if self._set((kind, ns, idx), value):
            self._value(f"{kind}_LOW", f"{kind}_HIGH", f"{kind}_SIGN_EXT", value, ns=ns, idx=idx)

    def _value(self, low: str, high: str, sign_ext: str, value: int, **fields: int | str) -> None:
        """A 32-bit iterator-table or IMM value: one sign-extended half when it fits, else LOW + HIGH."""
        if -(2**15) <= value < 2**15:
            self.p.add(sign_ext, value=value & 0xFFFF, **fields)
        else:
            self.p.add(low, value=value & 0xFFFF, **fields)
            self.p.add(high, value=(value >> 16) & 0xFFFF, **fields)

    def iter_base(self, ns: str, idx: int, value: int) -> None:
        self._iter("BASE", ns, idx, value)

    def _dma32(self, mnemonic: str, ns: str, value: int, **loop: int) -> None:
        if self._set((mnemonic, ns, *loop.values()), value, self.dma_regs):
            self.p.add32(mnemonic, value, ns=ns, **loop)

    def dma(self, direction: str, ns: str, operand: Operand, n: int, y: int, x: int, word: int,
            rows: int, cols: int, size: int, vmem_word: int = 0) -> None:  # fmt: skip
        """Move `rows` x `cols` pixels x `size` words between DRAM and VMEM word `vmem_word` of `ns`.

        Contiguous pixels and rows merge into longer requests; a base loop is configured only
        when it iterates (or must be reset), so contiguous transfers use no loop at all."""
        d = direction
        word_bytes = self.arch.lanes * DMA_WIDTH_BYTES[operand.width]
        if cols > 1 and operand.pixel_bytes == size * word_bytes and cols * size <= 0xFFFF:
            cols, size = 1, cols * size
        if rows > 1 and cols == 1 and operand.row_bytes == size * word_bytes and rows * size <= 0xFFFF:
            rows, size = 1, rows * size
        self._dma32(f"{d}_CONFIG_BASE_ADDR", ns, operand.at(n, y, x, word, self.arch.lanes))
        for loop, (iters, stride) in enumerate(((rows, operand.row_bytes), (cols, operand.pixel_bytes))):
            if self.dma_regs.get((d, "iters", ns, loop), 1) != iters:
                self.dma_regs[(d, "iters", ns, loop)] = iters
                self.p.add(f"{d}_CONFIG_BASE_LOOP_ITER", ns=ns, loop=loop, iters=iters)
            if iters > 1:
                self._dma32(f"{d}_CONFIG_BASE_LOOP_STRIDE", ns, stride, loop=loop)
        if self._set((d, "tile_addr", ns), vmem_word, self.dma_regs):
            self.p.add(f"{d}_CONFIG_TILE_ADDR", ns=ns, value=vmem_word)
        self.p.add(f"{d}_START", ns=ns, width=operand.width, size=size)
        t = self.arch.timing
        self.estimate += t.dma_start + rows * cols * t.request_cycles(size, word_bytes)

    # ---- loop nests ------------------------------------------------------------------------
    def nest(self, levels: Sequence[Level], body: Sequence[tuple[str, dict[str, int | str]]],
             ns: tuple[str, str, str]) -> None:  # fmt: skip
        """Run `body` over the loop nest; `ns` are the namespaces of dst, src1, src2."""
        if len(levels) > 8:
            raise CompileError(f"a Tandem loop nest of depth {len(levels)} exceeds the 8 loop levels")
        for base_ns in ("VMEM1", "VMEM2"):
            self._iter("BASE", base_ns, 0, 0)
        for level, (iters, strides) in enumerate(levels):
            entry = level + 1
            for space, stride in zip(ns, strides):
                if space != "IMM":
                    self._iter("STRIDE", space, entry, stride)
            self.p.add("SET_ITER", level=level, iters=iters)
            self.p.add("SET_INDEX", dst_ns=ns[0], dst_idx=entry, src1_ns=ns[1], src1_idx=entry,
                       src2_ns=ns[2], src2_idx=entry)  # fmt: skip
        for level in range(len(levels)):
            self.p.add("SET_INST", level=level, body=len(levels) - level - 1 + len(body))
        for mnemonic, fields in body:
            self.p.add(mnemonic, **fields)
        t, points = self.arch.timing, 1
        for iters, _ in levels:  # each SET_INST runs once per point of the levels outside it
            self.estimate += (points - 1) * t.fetch + (points * t.loop_exit if iters else 0)
            points *= iters
        self.estimate += len(body) * ((points - 1) * t.fetch + points * t.lane_run)

    def requant_body(self, r: Requant, ns: str, second: str | None, relu: bool,
                     clamp: tuple[int, int] | None = None, leaky: int | None = None,
                     source: str | None = None, table: str | None = None) -> list[tuple[str, dict]]:  # fmt: skip
        """`Requant` of the word in `ns` (plus the word in `second`, its second term) in place,
        with a fused LeakyRelu (`leaky`: alpha in units of 2**-f) and Clip (`clamp`); the first
        term is read from `source` (index 0) when given, else from `ns`. A per-channel first
        term (`r.channels`) takes its multipliers from `table` (entry `TABLE_IDX`, bound to
        the channel's word by the nest)."""
        self.dtype(r.f)
        if r.channels:
            assert table is not None
            m1: dict[str, int | str] = dict(src2_ns=table, src2_idx=TABLE_IDX)
        else:
            self.imm(IMM_M1, r.m[0])
            m1 = dict(src2_ns="IMM", src2_idx=IMM_M1)
        body: list[tuple[str, dict]] = [("MUL", dict(dst_ns=ns, src1_ns=source or ns, **m1))]
        if second is not None:
            self.imm(IMM_M2, r.m[1])
            body += [("MUL", dict(dst_ns=second, src1_ns=second, src2_ns="IMM", src2_idx=IMM_M2)),
                     ("ADD", dict(dst_ns=ns, src1_ns=ns, src2_ns=second))]  # fmt: skip
        if leaky is not None:
            self.imm(IMM_ALPHA, leaky)
            body.append(("LEAKY_RELU", dict(dst_ns=ns, src1_ns=ns, src2_ns="IMM", src2_idx=IMM_ALPHA)))
        if r.n:
            self.imm(IMM_ROUND, 1 << (r.n - 1))
            self.imm(IMM_SHIFT, r.n)
            body += [("ADD", dict(dst_ns=ns, src1_ns=ns, src2_ns="IMM", src2_idx=IMM_ROUND)),
                     ("RSHIFT", dict(dst_ns=ns, src1_ns=ns, src2_ns="IMM", src2_idx=IMM_SHIFT))]  # fmt: skip
        if relu:
            body.append(("RELU", dict(dst_ns=ns, src1_ns=ns)))
        if clamp is not None:
            self.imm(IMM_LO, clamp[0])
            self.imm(IMM_HI, clamp[1])
            body += [("MAX", dict(dst_ns=ns, src1_ns=ns, src2_ns="IMM", src2_idx=IMM_LO)),
                     ("MIN", dict(dst_ns=ns, src1_ns=ns, src2_ns="IMM", src2_idx=IMM_HI))]  # fmt: skip
        body.append(("FXP32_TO_FXP8", dict(dst_ns=ns, src1_ns=ns)))
        return body


def chunks(total: int, step: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, step):
        yield start, min(step, total - start)


def other(space: str) -> str:
    return "VMEM2" if space == "VMEM1" else "VMEM1"


def emit_requant(t: Tandem, terms: Sequence[Operand], out: Storage, r: Requant, relu: bool,
                 n: int, oh: int, ow: int, words: int, primary: str = "VMEM1",
                 clamp: tuple[int, int] | None = None, leaky: int | None = None, out_word: int = 0,
                 pre: Requant | None = None, first_in: str | None = None, table: int | None = None) -> None:  # fmt: skip
    """out = Requant(terms) over n x oh x ow pixels of `words` lane words each, written from
    channel word `out_word` of `out` on; the first term and the result live in `primary`, the
    second term in the other VMEM. With `pre`, the first term is first rounded to int8 by
    `pre` (a fused conv's own result, before its Add). With `first_in`, the first term is
    not loaded: it is already on chip in that namespace (OBUF), word (y * ow + x) * words + c
    of the only image, and `terms` lists the others. A per-channel first term (`channels` of
    `pre`, else of `r`) reads its multipliers from `table`, the DRAM address of one int32 per
    channel in `words` lane words: a chunk's words of it are loaded into the top of the other
    VMEM (once, when every chunk has the same words), and the nest visits them per pixel."""
    assert first_in is None or n == 1
    per_channel = (pre or r).channels
    assert bool(per_channel) == (table is not None)
    assert not r.channels or len(terms) + (first_in is not None) == 1  # the table's nest reads no second term
    v = t.arch.vmem_depth
    rc = min(words, v // 2 if per_channel else v)
    room = v - rc if per_channel else v  # the top rc words of the other VMEM hold the multipliers
    rx = min(ow, room // rc)
    ry = min(oh, room // (rx * rc))
    second = other(primary)
    spaces = (primary, second)[first_in is not None :][: len(terms)]
    two = len(terms) + (first_in is not None) > 1
    dst = Operand.of(out)
    mults = None if table is None else Operand(table, 0, 0, words * t.arch.lanes * DMA_WIDTH_BYTES["B32"], "B32")
    loaded = None
    for img in range(n):
        for y, ny in chunks(oh, ry):
            for x, nx in chunks(ow, rx):
                for c, nc in chunks(words, rc):
                    if mults is not None and loaded != c:
                        t.dma("LD", second, mults, 0, 0, 0, c, 1, 1, nc, vmem_word=v - rc)
                        t.iter_base(second, TABLE_IDX, v - rc)
                        loaded = c
                    for space, term in zip(spaces, terms):
                        t.dma("LD", space, term, img, y, x, c, ny, nx, nc)
                    if first_in is not None:
                        # A chunk is part of one pixel, or whole pixels of part of one row, or
                        # whole rows (rc, rx, ry above), so it is contiguous in [y][x][c] order.
                        t.iter_base(first_in, 0, (y * ow + x) * words + c)
                    flat = [(ny * nx * nc, (1, 1, 1))]
                    # the multipliers: the same nc words for every pixel of the chunk
                    channelwise = [(ny * nx, (nc, nc, 0)), (nc, (1, 1, 1))]
                    table_ns = second if per_channel else None
                    source = first_in
                    if pre is not None:
                        t.nest(channelwise if pre.channels else flat,
                               t.requant_body(pre, primary, None, False, source=source, table=table_ns),
                               (primary, primary, second))  # fmt: skip
                        source = None
                    body = t.requant_body(r, primary, second if two else None, relu, clamp, leaky, source, table_ns)
                    t.nest(channelwise if r.channels else flat, body, (primary, primary, second))
                    t.dma("ST", primary, dst, img, y, x, out_word + c, ny, nx, nc)


def emit_pool(t: Tandem, x: Storage, y: Storage, kernel: int, stride: int, pads: tuple[int, int, int, int],
              primary: str = "VMEM1", average: Requant | None = None) -> None:  # fmt: skip
    """y = max over each kernel x kernel window of x, or with `average` Requant(window sum).
    x's zero border stands for the padding (so a max pool's x must be non-negative wherever
    a window reaches the border). The input tile lives in `primary`, the result in the other."""
    vin, vout = primary, other(primary)
    v, k, s = t.arch.vmem_depth, kernel, stride
    n, _, oh, ow = y.shape
    words = -(-x.shape[1] // t.arch.lanes)
    rc = min(words, v // (k * k))
    if rc == 0:
        raise CompileError(f"pooling {k}x{k}: a window of one word per pixel needs {k * k} VMEM words, "
                           f"VMEM holds {v}")  # fmt: skip
    rx = max(c for c in range(1, ow + 1) if k * ((c - 1) * s + k) * rc <= v or c == 1)
    ry = max(r for r in range(1, oh + 1) if ((r - 1) * s + k) * ((rx - 1) * s + k) * rc <= v and r * rx * rc <= v or r == 1)
    src, dst = Operand.of(x), Operand.of(y)
    for img in range(n):
        for oy, ny in chunks(oh, ry):
            for ox, nx in chunks(ow, rx):
                for c, nc in chunks(words, rc):
                    rows, cols = (ny - 1) * s + k, (nx - 1) * s + k
                    t.dma("LD", vin, src, img, oy * s - pads[0], ox * s - pads[1], c, rows, cols, nc)
                    out_levels = [(ny, (nx * nc, s * cols * nc, nx * nc)), (nx, (nc, s * nc, nc)), (nc, (1, 1, 1))]
                    for kh in range(k):  # one nest per window tap, so no word is written twice in a nest
                        for kw in range(k):
                            t.iter_base(vin, WINDOW_IDX, (kh * cols + kw) * nc)
                            op = ("MOVE", dict(dst_ns=vout, src1_ns=vin, src1_idx=WINDOW_IDX)) if kh == kw == 0 else (
                                "ADD" if average else "MAX", dict(dst_ns=vout, src1_ns=vin, src1_idx=WINDOW_IDX, src2_ns=vout))
                            t.nest(out_levels, [op], (vout, vin, vout))
                    if average is not None:
                        t.nest([(ny * nx * nc, (1, 1, 1))], t.requant_body(average, vout, None, relu=False), (vout, vout, vin))
                    t.dma("ST", vout, dst, img, oy, ox, c, ny, nx, nc)


def emit_global_avgpool(t: Tandem, x: Storage, y: Storage, r: Requant, primary: str = "VMEM1") -> None:
    """y = Requant(sum of x over its spatial positions); input rows in `primary`, the sums in
    the other VMEM."""
    vin, vout = primary, other(primary)
    v = t.arch.vmem_depth
    n, c_in, h, w = x.shape
    words = -(-c_in // t.arch.lanes)
    if w > v:
        raise CompileError(f"GlobalAveragePool: a {w}-pixel row does not fit VMEM ({v} words)")
    rc = min(words, v // w)
    ry = min(h, v // (w * rc))
    src, dst = Operand.of(x), Operand.of(y)
    for img in range(n):
        for c, nc in chunks(words, rc):
            t.imm(IMM_ZERO, 0)
            t.nest([(nc, (1, 0, 1))], [("MOVE", dict(dst_ns=vout, src1_ns="IMM", src1_idx=IMM_ZERO))],
                   (vout, "IMM", vout))  # fmt: skip
            for row, nr in chunks(h, ry):
                t.dma("LD", vin, src, img, row, 0, c, nr, w, nc)
                t.nest([(nr * w, (0, nc, 0)), (nc, (1, 1, 1))],
                       [("ADD", dict(dst_ns=vout, src1_ns=vin, src2_ns=vout))], (vout, vin, vout))
            t.nest([(nc, (1, 1, 1))], t.requant_body(r, vout, None, relu=False), (vout, vout, vin))
            t.dma("ST", vout, dst, img, 0, 0, c, 1, 1, nc)


def emit_map(t: Tandem, x: Storage, y: Storage, body: Callable[[str], list[tuple[str, dict]]],
             primary: str = "VMEM1") -> None:  # fmt: skip
    """y = body(x) element by element, for a body that works in place on int8 values widened
    to 32 bits and ends in int8 range (e.g. [("ABS", ...), ("FXP32_TO_FXP8", ...)]).
    `body(ns)` gives its instructions for the namespace `ns` holding the chunk."""
    v = t.arch.vmem_depth
    n, c, oh, ow = y.shape
    words = -(-c // t.arch.lanes)
    rc = min(words, v)
    rx = min(ow, v // rc)
    ry = min(oh, v // (rx * rc))
    src, dst = Operand.of(x), Operand.of(y)
    for img in range(n):
        for row, ny in chunks(oh, ry):
            for col, nx in chunks(ow, rx):
                for word, nc in chunks(words, rc):
                    t.dma("LD", primary, src, img, row, col, word, ny, nx, nc)
                    t.nest([(ny * nx * nc, (1, 1, 1))], body(primary), (primary, primary, other(primary)))
                    t.dma("ST", primary, dst, img, row, col, word, ny, nx, nc)
