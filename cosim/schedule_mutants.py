"""Schedule mutants: single-field changes to a compiled image, the bugs a scheduler makes.

Each mutant is run on the golden simulator against the original on a few inputs, once on
a fresh machine and once on a machine whose on-chip buffers hold what an earlier program
left there (seeded garbage): it faults, gives the same outputs, or gives other outputs
without a fault (a silent wrong schedule, which the prover must refute). A mutant that
reads buffer words no transfer loaded agrees with the original on a fresh machine, whose
buffers read zero, and not on a used one. The kinds, each drawn from every instruction
that has the field:

* `loop`: a loop count one more or one less (SA loops, Tandem loop levels, DMA loops,
  permutation loops) or a transfer one word longer or shorter;
* `stride`: a stride one more or one less (SA walkers, iterator table, DMA loops);
* `base`: a base address one element off (SA buffers, DMA walkers, iterator bases, VMEM
  start words);
* `swap`: two loops' strides of one walker exchanged;
* `retarget`: a stride set for another loop of its group (one that had none);
* `accumulate`: one loop's OBUF read and write strides changed together (one more or one
  less, or set for another loop), so that every step still reads the word it writes: the
  accumulators move, not the read-modify-write pairing;
* `tile`: a Tandem chunk's store dropped (NOP), or stored over the previous chunk's region;
* `group`: two adjacent SYNC groups exchanged;
* `placement`: (`placement_mutants`) a tensor placed by the compiler over one that is
  still to be read, or over the zero border of one produced after it is dead.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from isa_spec import Instruction, decode, encode
from isa_spec.image import Image
from isa_spec.layout import IterPart, IterTarget
from runtime import open_device, read_tensor, write_tensor
from runtime.session import output_names, quantized_inputs, sample_inputs

NOP = encode(Instruction.make("NOP"))


@dataclass
class Mutant:
    kind: str
    description: str
    image: Image
    outcome: str = ""  # fault | same | silent
    refuted_by: list[str] = field(default_factory=list)  # obligation kinds that failed
    first_failure: str = ""  # the first failing obligation, as the prover reports it
    proved: bool | None = None


def _with_words(image: Image, words: list[int]) -> Image:
    return Image(image.arch, words, image.dram, image.symbols, image.layers, image.model)


def _set(ins: Instruction, **changes: int) -> int | None:
    """The word of `ins` with fields changed, or None if a value does not fit its field."""
    fields = dict(ins.fields()) | changes
    try:
        return encode(Instruction(ins.row, tuple(fields[f.name] for f in ins.row.fields)))
    except Exception:  # noqa: BLE001  (a value outside its field: no such mutant)
        return None


def _pairs(decoded: Sequence[Instruction]) -> Iterator[tuple[int, int]]:
    """(LOW pc, HIGH pc) of every 32-bit value set by a LOW then HIGH half."""
    for pc in range(len(decoded) - 1):
        a, b = decoded[pc], decoded[pc + 1]
        if "half" in a.row.field_index and a.mnemonic == b.mnemonic and a.name_of("half") == "LOW" \
                and b.name_of("half") == "HIGH":  # fmt: skip
            yield pc, pc + 1


def _value32(decoded: Sequence[Instruction], lo: int, hi: int) -> int:
    return decoded[hi]["value"] << 16 | decoded[lo]["value"]


def _with32(words: list[int], decoded: Sequence[Instruction], lo: int, hi: int, value: int) -> list[int] | None:
    if not 0 <= value < 1 << 32:
        return None
    a, b = _set(decoded[lo], value=value & 0xFFFF), _set(decoded[hi], value=value >> 16)
    if a is None or b is None:
        return None
    out = list(words)
    out[lo], out[hi] = a, b
    return out


def _groups(decoded: Sequence[Instruction]) -> list[tuple[int, int]]:
    """[start, stop) of every SYNC group (START through END)."""
    out, pc = [], 0
    while pc < len(decoded):
        ins = decoded[pc]
        if ins.mnemonic == "SYNC_INST" and ins.name_of("edge") == "START":
            out.append((pc, pc + ins["count"] + 2))
            pc += ins["count"] + 2
        else:
            pc += 1
    return out


def generate(image: Image) -> Iterator[tuple[str, str, list[int]]]:
    """Every single-field mutant of the image's program: (kind, description, words)."""
    words = list(image.words)
    decoded = [decode(w) for w in words]
    for pc, ins in enumerate(decoded):
        row = ins.row
        name = next((f for f in ("iters", "size") if f in row.field_index), None)  # loop counts, transfer sizes
        if name and not ("target" in row.field_index and ins.name_of("target") == "IMEM"):
            for d in (-1, 1):
                w = _set(ins, **{name: ins[name] + d})
                if w is not None and ins[name] + d >= 1:
                    yield ("loop", f"{ins.mnemonic} at {pc}: {name} {ins[name]} -> {ins[name] + d}",
                           words[:pc] + [w] + words[pc + 1 :])  # fmt: skip
        single = row.iterator is not None and row.iterator.part in (IterPart.SIGN_EXT, IterPart.ZEROFILL)
        kind = "stride" if single and row.iterator.target == IterTarget.STRIDE else \
            "base" if single and row.iterator.target == IterTarget.BASE or row.dma and row.dma.sub == "CONFIG_TILE_ADDR" \
            else None  # fmt: skip
        if kind:
            for d in (-1, 1):
                w = _set(ins, value=(ins["value"] + d) & 0xFFFF)
                if w is not None:
                    yield kind, f"{ins.mnemonic} at {pc}: value {d:+d}", words[:pc] + [w] + words[pc + 1 :]
    for lo, hi in _pairs(decoded):
        ins, value = decoded[lo], _value32(decoded, lo, hi)
        base = ins.mnemonic == "SET_BASE_ADDR" or ins.row.dma is not None and ins.row.dma.sub == "CONFIG_BASE_ADDR"
        kind = "base" if base else "stride"
        steps = (1, 4) if kind == "base" else (1,)
        for step in steps:
            for d in (-step, step):
                new = _with32(words, decoded, lo, hi, value + d)
                if new is not None:
                    yield kind, f"{ins.mnemonic} at {lo}: {value} -> {value + d}", new
    yield from _swaps(words, decoded)
    yield from _retargets(words, decoded)
    yield from _accumulates(words, decoded)
    yield from _tiles(words, decoded)
    groups = _groups(decoded)
    for (a0, a1), (b0, b1) in zip(groups, groups[1:]):
        if a1 == b0:
            yield "group", f"groups at {a0} and {b0} exchanged", words[:a0] + words[b0:b1] + words[a0:a1] + words[b1:]


def _swaps(words: list[int], decoded: Sequence[Instruction]) -> Iterator[tuple[str, str, list[int]]]:
    """Two SET_LOOP_STRIDE values of one (access, buffer) walker exchanged."""
    pairs = [(lo, hi) for lo, hi in _pairs(decoded) if decoded[lo].mnemonic == "SET_LOOP_STRIDE"]
    for i, (lo_a, hi_a) in enumerate(pairs):
        for lo_b, hi_b in pairs[i + 1 :]:
            a, b = decoded[lo_a], decoded[lo_b]
            if (a["access"], a["buffer"]) != (b["access"], b["buffer"]) or lo_b - lo_a > 200:
                continue
            va, vb = _value32(decoded, lo_a, hi_a), _value32(decoded, lo_b, hi_b)
            if va == vb:
                continue
            new = _with32(words, decoded, lo_a, hi_a, vb)
            new = _with32(new, decoded, lo_b, hi_b, va) if new is not None else None
            if new is not None:
                yield "swap", f"strides of loops {a['loop_id']} and {b['loop_id']} ({a.name_of('access')} " \
                              f"{a.name_of('buffer')}) exchanged", new  # fmt: skip


def _strides(decoded: Sequence[Instruction]) -> Iterator[tuple[tuple[int, int], list[int]]]:
    """(LOW pc, HIGH pc) of every SET_LOOP_STRIDE value, with the loop ids its group declares."""
    for start, stop in _groups(decoded):
        declared = [ins["loop_id"] for ins in decoded[start:stop] if ins.mnemonic == "SA_LOOP_CFG"]
        for lo, hi in _pairs(decoded[start:stop]):
            if decoded[start + lo].mnemonic == "SET_LOOP_STRIDE":
                yield (start + lo, start + hi), declared


def _same_class(a: int, b: int) -> bool:
    """Both tile loops, both compute loops or both transfer loops (the loop-id ranges)."""
    return (a < 8) == (b < 8) and (8 <= a < 16) == (8 <= b < 16)


def _with_loop(words: list[int], decoded: Sequence[Instruction], pair: tuple[int, int], loop_id: int) -> list[int] | None:
    out = list(words)
    for pc in pair:
        w = _set(decoded[pc], loop_id=loop_id)
        if w is None:
            return None
        out[pc] = w
    return out


def _retargets(words: list[int], decoded: Sequence[Instruction]) -> Iterator[tuple[str, str, list[int]]]:
    """A stride set for another loop its group declares (of the same class), where the walker
    had none: the loop that should move the address does not, and one that should not does."""
    strides = list(_strides(decoded))
    for (lo, hi), declared in strides:
        ins = decoded[lo]
        walker = [decoded[a]["loop_id"] for (a, _), _ in strides
                  if (decoded[a]["access"], decoded[a]["buffer"]) == (ins["access"], ins["buffer"])]  # fmt: skip
        for other in declared:
            if other not in walker and _same_class(other, ins["loop_id"]):
                new = _with_loop(words, decoded, (lo, hi), other)
                if new is not None:
                    yield "retarget", f"{ins.mnemonic} at {lo}: stride of loop {ins['loop_id']} set for loop {other}", new


def _accumulates(words: list[int], decoded: Sequence[Instruction]) -> Iterator[tuple[str, str, list[int]]]:
    """One loop's OBUF read and write strides (set by the same group) changed together, one
    more or one less, or both set for another declared compute loop where they had none."""
    strides = list(_strides(decoded))
    obuf = [(pair, declared) for pair, declared in strides if decoded[pair[0]].name_of("buffer") == "OBUF"]
    for i, ((lo, hi), declared) in enumerate(obuf):
        rd = decoded[lo]
        if rd.name_of("access") != "RD":
            continue
        wr = next((pair for pair, d in obuf[i + 1 :] if d is declared and decoded[pair[0]]["loop_id"] == rd["loop_id"]
                   and decoded[pair[0]].name_of("access") == "WR"), None)  # fmt: skip
        if wr is None:
            continue
        where = f"OBUF read and write strides of loop {rd['loop_id']} at {lo} and {wr[0]}"
        v_rd, v_wr = _value32(decoded, lo, hi), _value32(decoded, *wr)
        for d in (-1, 1):
            new = _with32(words, decoded, lo, hi, (v_rd + d) & 0xFFFFFFFF)
            new = _with32(new, decoded, *wr, (v_wr + d) & 0xFFFFFFFF) if new is not None else None
            if new is not None:
                yield "accumulate", f"{where}: {d:+d}", new
        used = {decoded[pair[0]]["loop_id"] for pair, d in obuf if d is declared}
        for other in declared:
            if other not in used and _same_class(other, rd["loop_id"]):
                new = _with_loop(words, decoded, (lo, hi), other)
                new = _with_loop(new, decoded, wr, other) if new is not None else None
                if new is not None:
                    yield "accumulate", f"{where}: set for loop {other}", new


def _tiles(words: list[int], decoded: Sequence[Instruction]) -> Iterator[tuple[str, str, list[int]]]:
    """A chunk's Tandem store dropped, or aimed at the previous chunk's region."""
    stores = [pc for pc, ins in enumerate(decoded) if ins.mnemonic == "ST_START"]
    for pc in stores:
        yield "tile", f"ST_START at {pc} dropped", words[:pc] + [NOP] + words[pc + 1 :]
    bases = [(lo, hi) for lo, hi in _pairs(decoded) if decoded[lo].mnemonic == "ST_CONFIG_BASE_ADDR"]
    for (lo_a, hi_a), (lo_b, hi_b) in zip(bases, bases[1:]):
        new = _with32(words, decoded, lo_b, hi_b, _value32(decoded, lo_a, hi_a))
        if new is not None and new != words:
            yield "tile", f"store at {lo_b} aimed at the region of the store at {lo_a}", new


def outputs(image: Image, inputs: dict[str, np.ndarray],
            garbage: int | None = None) -> tuple[dict[str, np.ndarray] | None, bool]:
    """Golden's outputs for integer inputs, and whether it faulted; with `garbage`, the
    on-chip buffers start filled with values drawn from that seed."""
    dev = open_device("golden", image.arch)
    dev.load(image)
    if garbage is not None:
        _fill_buffers(dev.machine, np.random.default_rng(garbage))  # type: ignore[attr-defined]
    for name, q in inputs.items():
        write_tensor(dev, image, name, q)
    result = dev.run()
    if result.fault is not None:
        return None, True
    return {n: read_tensor(dev, image, n) for n in output_names(image)}, False


def _fill_buffers(machine: object, rng: np.random.Generator) -> None:
    """Every on-chip buffer of a golden machine holds random values of its element type."""
    for name in ("ibuf", "wbuf", "bbuf", "obuf", "imm"):
        buf = getattr(machine, name)
        buf[...] = rng.integers(np.iinfo(buf.dtype).min, np.iinfo(buf.dtype).max, buf.shape, buf.dtype, endpoint=True)
    for buf in machine.vmem.values():  # type: ignore[attr-defined]
        buf[...] = rng.integers(np.iinfo(buf.dtype).min, np.iinfo(buf.dtype).max, buf.shape, buf.dtype, endpoint=True)


class UsedMachineDiffers(Exception):
    """The original image itself computes other outputs on a machine with used buffers:
    it reads buffer words it never wrote (a compiler bug, not a mutant's)."""


def classify(original: Image, mutant: Image, seeds: Sequence[int] = (0, 1), used: bool = True,
             memo: dict | None = None) -> str:  # fmt: skip
    """fault, same (identical outputs on every input tried, on a fresh machine and, with
    `used`, on one whose buffers hold garbage) or silent. `memo` (a dict kept across calls
    with one original) keeps the original's inputs and outputs."""
    memo = {} if memo is None else memo
    same = True
    for seed in seeds:
        if seed not in memo:
            inputs = quantized_inputs(original, sample_inputs(original, seed))
            fresh, _ = outputs(original, inputs)
            used_out, _ = outputs(original, inputs, seed) if used else (fresh, False)
            if not _equal(fresh, used_out):
                raise UsedMachineDiffers(f"the original's outputs depend on stale buffer contents (seed {seed})")
            memo[seed] = inputs, fresh
        inputs, want = memo[seed]
        for garbage in (None, seed) if used else (None,):
            got, fault = outputs(mutant, inputs, garbage)
            if fault:
                return "fault"
            same = same and _equal(want, got)
    return "same" if same else "silent"


def _equal(a: dict[str, np.ndarray] | None, b: dict[str, np.ndarray] | None) -> bool:
    assert a is not None and b is not None
    return all(np.array_equal(a[n], b[n]) for n in a)


def sample(image: Image, count: int, seed: int = 0,
           kinds: Sequence[str] = ("loop", "stride", "base", "swap", "retarget", "accumulate", "tile", "group"),
           ) -> list[Mutant]:  # fmt: skip
    """`count` mutants drawn evenly over `kinds`, deterministically from `seed`."""
    by_kind: dict[str, list[tuple[str, list[int]]]] = {k: [] for k in kinds}
    for kind, desc, words in generate(image):
        if kind in by_kind:
            by_kind[kind].append((desc, words))
    rng = random.Random(seed)
    for lst in by_kind.values():
        rng.shuffle(lst)
    out: list[Mutant] = []
    while len(out) < count and any(by_kind.values()):
        for kind in kinds:
            if by_kind[kind] and len(out) < count:
                desc, words = by_kind[kind].pop()
                out.append(Mutant(kind, desc, _with_words(image, words)))
    return out


def evaluate(original: Image, mutants: Sequence[Mutant], prove: Callable[[Image], object]) -> None:
    """Classify each mutant on golden and run the prover on it (`prove` returns a report)."""
    for m in mutants:
        m.outcome = classify(original, m.image)
        report = prove(m.image)
        m.proved = report.ok  # type: ignore[attr-defined]
        m.refuted_by = sorted({o.kind for o in report.failures})  # type: ignore[attr-defined]
        first = next(iter(report.failures), None)  # type: ignore[attr-defined]
        m.first_failure = f"{first.kind} {first.layer}: {first.where}: {first.detail}" if first is not None else ""


def placement_mutants(model: object, arch: object, count: int, seed: int = 0, border: bool = False) -> list[Mutant]:
    """`count` images of `model` in which the compiler placed one tensor over another that
    is still to be read when the first is written (a DRAM-reuse bug); with `border`, over a
    tensor with a zero border whose producer starts after the first is dead (the reuse is
    right for the bytes the producer writes, and wrong for the border it never writes)."""
    from compiler import compile_model

    original = compile_model(model, arch)  # type: ignore[arg-type]
    records = [m["computes"] for m in original.layers if "computes" in m]
    produced = {r["output"]: i for i, r in enumerate(records)}
    last_read = {t: i for i, r in enumerate(records) for t in r["inputs"]}
    if border:
        pairs = [(r["output"], t) for i, r in enumerate(records) for t, k in produced.items()
                 if k > last_read.get(r["output"], len(records)) and any(original.symbol(t).pad)]  # fmt: skip
        what = "{a!r} placed over {t!r}, whose producer starts after it is dead: over the zero border"
    else:
        pairs = [(r["output"], u) for i, r in enumerate(records) for u, j in last_read.items()
                 if j > i and produced.get(u, -1) < i and u != r["output"] and u not in r["inputs"]]  # fmt: skip
        what = "{a!r} placed over {t!r}, which is read later"
    random.Random(seed).shuffle(pairs)
    return [Mutant("placement", what.format(a=a, t=t), _placed(model, arch, a, original.symbol(t).addr))
            for a, t in pairs[:count]]  # fmt: skip


def _placed(model: object, arch: object, tensor: str, at: int) -> Image:
    """`model` compiled with `tensor` placed at DRAM address `at`, the rest as the compiler places it."""
    from unittest import mock

    from compiler import compile_model
    from compiler.layout import Allocator

    take = Allocator.take

    def placed(self: Allocator, nbytes: int, what: str, reuse: bool = False) -> int:
        addr = take(self, nbytes, what, reuse)
        return at if what == f"tensor {tensor!r}" else addr

    with mock.patch.object(Allocator, "take", placed):
        return compile_model(model, arch)  # type: ignore[arg-type]
