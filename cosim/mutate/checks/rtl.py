"""rtl: the Verilated NPU, built from a mutant of rtl/src, against the spec in lockstep.

A mutant must first lint (`verilator --lint-only -Wall`: the RTL is clean of every warning,
tests/rtl/test_rtl_lockstep.py) and build (rtl.build, cached by content); a mutant that does
neither is `no-build`, not a kill. Then, on the tiny arch, record for record and every
output tensor, stopping at the first divergence:

* every conformance program (tests/isa/conformance.py);
* the differential corpus (the tiny programs of tests/corpus.py: compiled convs, faults);
* conv layers compiled for tiny (the golden checker's);
* seeded random programs of `cosim.strategies`, as the fuzz campaigns draw them;

and after each run, the control/status registers that isa_spec/csr.py defines: CTRL (zero),
PROG_LEN and PROG_BASE (as loaded), STATUS and FAULT_PC (halted, the spec's fault and
where), and the counters of tiles, Tandem lane words written, SA DMA words and Tandem DMA
words (a VMEM word is `lanes` elements of the width its START names), counted from the spec's
records; on a run without a fault, array steps and cycles as golden counts them (the spec's
records do not fix them; golden's cycle model is the RTL's timing description,
docs/cycle_model.md, so a timing bug is a kill).

The spec's side of every run is recorded once by `prepare`, which also builds the original
the way mutants are built, so that the checker's time on the original (the campaign's base
for timeouts) is a check on a built library. No Python module is mutated here: the child
gets the mutant as an `rtl.build` patch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..isolation import NO_BUILD
from .golden import CONV_LAYERS

RANDOM_PROGRAMS = 200
ORIGINAL = ("npu.sv", "endmodule\n", "endmodule\n")  # a patch that changes nothing: the original, built as mutants are
# A run with no commit record for this many cycles has hung (rtl/driver.py's default, 2**24,
# takes minutes on a -O0 build). The longest program of the check runs 72,351 cycles in all.
IDLE_CYCLES = 1 << 18


def programs() -> list[tuple[str, Any, Any]]:
    """(name, image, inputs) of every program the check runs, in the order it runs them."""
    from compiler import compile_model
    from compiler.models import conv_model
    from conformance import all_cases
    from corpus import corpus
    from isa_spec import load_arch
    from runtime.session import quantized_inputs, sample_inputs

    from .common import random_programs

    tiny = load_arch("tiny")  # short programs first: most mutants die there
    out = [(f"conformance {c.mnemonic} ({c.label})", c.image, None) for cs in all_cases().values() for c in cs]
    out += [(name, case.image, case.inputs) for name, case in corpus().items() if case.image.arch == tiny]
    for k, kw in enumerate(CONV_LAYERS):
        image = compile_model(conv_model(**kw, seed=k), tiny)
        out.append((f"conv layer {kw}", image, quantized_inputs(image, sample_inputs(image, k))))
    out += [(f"random program {i}", image, None) for i, image in enumerate(random_programs(RANDOM_PROGRAMS, seed=14))]
    return out


def prepare() -> list[tuple[str, Any, Any, Any, dict | None]]:
    """(name, image, inputs, the spec's recorded run, golden's array steps and cycles, or None
    after a fault)."""
    from isa_spec import load_arch
    from runtime.backends.rtl import RtlDevice

    from .common import record

    RtlDevice(load_arch("tiny"), patches=[ORIGINAL])  # built now, not in the timed check of the original
    out = []
    for name, image, inputs in programs():
        rec = record(image, inputs)
        out.append((name, image, inputs, rec, None if rec.fault else _golden_counts(image, inputs)))
    return out


def _golden_counts(image: Any, inputs: Any) -> dict[str, int]:
    from runtime import open_device, write_tensor

    dev = open_device("golden", image.arch)
    dev.load(image)
    for name, value in (inputs or {}).items():
        write_tensor(dev, image, name, value)
    dev.run()
    return {k: dev.counters()[k] for k in ("sa_steps", "cycles")}


def check(fixture: list[tuple[str, Any, Any, Any, dict | None]], patch: tuple[str, str, str] = ORIGINAL) -> str | None:
    """What caught the mutant `patch` (`NO_BUILD` + why, when it does not lint or build), or None."""
    from isa_spec import GenesysError, load_arch
    from runtime.backends.rtl import RtlDevice, lint

    from .common import first

    tiny = load_arch("tiny")
    problem = lint(tiny, [patch])
    if problem:
        return f"{NO_BUILD}lint: {problem}"
    try:
        device = RtlDevice(tiny, patches=[patch], idle_limit=IDLE_CYCLES)
    except GenesysError as e:  # RtlBuildError: Verilator or g++ failed
        return f"{NO_BUILD}build: {' | '.join(str(e).splitlines()[:3])[:300]}"
    return first([("lockstep", lambda: _lockstep(fixture, device))])


def _lockstep(fixture: list, device: Any) -> str | None:
    from cosim import lockstep

    from .common import ReplayDevice

    for name, image, inputs, rec, counts in fixture:
        result = lockstep(image, ["spec", "rtl"], inputs, devices={"spec": ReplayDevice(rec), "rtl": device})
        if not result.ok:
            return f"{name}: {' | '.join(result.format().splitlines()[:2])}"
        problem = registers(device, rec, image.words, counts)
        if problem:
            return f"{name}: {problem}"
    return None


def registers(device: Any, rec: Any, words: Sequence[int], golden: dict[str, int] | None = None) -> str | None:
    """The first register of the RTL, after its run of the program `words`, that differs
    from what the spec's run `rec` (a Recording) says it must hold, or from golden's counts
    (`golden`: array steps and cycles, when given); None when all agree."""
    from isa_spec import DmaRecord, FaultKind, TileRecord, Unit, VectorRecord, decode
    from isa_spec.csr import STATUS_FAULTED, STATUS_HALTED
    from isa_spec.table import DMA_WIDTH_BYTES

    arch = device.arch
    status = STATUS_HALTED
    if rec.fault:
        status |= STATUS_FAULTED | list(FaultKind).index(FaultKind(rec.fault[0])) << 4
    word_bytes = {"IBUF": arch.rows, "WBUF": arch.rows * arch.cols, "BBUF": 4 * arch.cols, "OBUF": 4 * arch.cols, "IMEM": 4}
    dma = [r for r in rec.order if isinstance(r, DmaRecord)]
    tandem_dma_words, imem = 0, list(words)  # instruction memory as the run leaves it (IMEM loads)
    for r in dma:
        if r.space == "IMEM":
            loaded = [int.from_bytes(r.data[k : k + 4], "little") for k in range(0, len(r.data), 4)]
            imem[len(imem) :] = [0] * max(0, r.buf_addr + len(loaded) - len(imem))
            imem[r.buf_addr : r.buf_addr + len(loaded)] = loaded
        elif r.unit == Unit.TANDEM:  # a VMEM word is `lanes` elements of the width the START names
            tandem_dma_words += len(r.data) // (arch.lanes * DMA_WIDTH_BYTES[decode(imem[r.pc]).name_of("width")])
    want = {"CTRL": 0, "PROG_LEN": min(len(words), arch.imem_depth), "PROG_BASE": 0, "STATUS": status,
            **({"FAULT_PC": rec.fault[1]} if rec.fault else {}),
            "tiles": sum(isinstance(r, TileRecord) for r in rec.order),
            "tandem_writes": sum(len(r.addrs) for r in rec.order if isinstance(r, VectorRecord)),
            "sa_dma_words": sum(len(r.data) // word_bytes[r.space] for r in dma if r.unit == Unit.SA),
            "tandem_dma_words": tandem_dma_words,
            **(golden or {})}  # fmt: skip
    counters = device.counters()
    for name, value in want.items():
        got = device.model.csr(name) if name.isupper() else counters[name]
        if got != value:
            return f"register {name} reads {got}, {'golden counts' if name in (golden or {}) else 'the spec makes it'} {value}"
    return None
