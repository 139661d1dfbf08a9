"""The lockstep checker catches planted bugs and points at the guilty instruction."""

import contextlib

import numpy as np
import pytest

from cosim import lockstep
from genesys import cli
from isa_spec import GenesysError, Unit, decode, lanes as spec_lanes
from isa_spec.semantics import machine as spec_machine, sa as spec_sa
from programs import fault_programs, sa_matmul, tandem_requant
from runtime import BACKENDS
from runtime.backends.spec import SpecDevice


class MutantDevice(SpecDevice):
    """The spec with one planted bug, active only while it runs."""

    name = "mutant"

    def __init__(self, arch, patch):
        super().__init__(arch)
        self.patch = patch

    def run(self, on_commit=None):
        with self.patch():
            return super().run(on_commit)


@contextlib.contextmanager
def mul_off_by_one():
    good = spec_lanes.LANE_FUNCTIONS["MUL"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(spec_lanes.LANE_FUNCTIONS, "MUL", lambda o, f, a, b, d: good(o, f, a, b, d) + 1)
        yield


@contextlib.contextmanager
def ibuf_stride_off_by_one():
    good = spec_sa.sa_buffer_address

    def wrong(cfg, access, buf, idx, ops=spec_sa.CONCRETE):  # the spec passes every step's index as an array
        addr = good(cfg, access, buf, idx, ops)
        return np.where(addr + idx.get(8, 0) < 6, addr + idx.get(8, 0), addr) if buf.name == "IBUF" else addr

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spec_sa, "sa_buffer_address", wrong)
        yield


def test_identical_backends_agree():
    image = tandem_requant()
    result = lockstep(image, ["spec", "spec"])
    assert result.ok and result.records["spec"] == 7  # LD, five vector writes, ST


def test_wrong_alu_result_is_caught_at_that_instruction():
    image = tandem_requant()
    result = lockstep(image, ["spec", "mutant"], devices={"mutant": MutantDevice(image.arch, mul_off_by_one)})
    assert not result.ok
    d = result.divergences[0]
    assert d.unit == Unit.TANDEM and decode(image.words[d.expected.pc]).mnemonic == "MUL"
    text = d.format()
    assert "MUL dst=VMEM1[0], src1=VMEM1[0], src2=IMM[1]" in text
    assert "first difference: VMEM1 word 0 lane 0" in text and "preceding records" in text


def test_wrong_stride_is_caught_in_the_systolic_array():
    image = sa_matmul(pixels=3, ic_blocks=2)
    result = lockstep(image, ["spec", "mutant"], devices={"mutant": MutantDevice(image.arch, ibuf_stride_off_by_one)})
    assert not result.ok
    d = result.divergences[0]
    assert d.unit == Unit.SA and d.index == 3 and "tile 0" in d.format()
    assert decode(image.words[d.expected.pc]).mnemonic == "SYNC_INST"


def test_cli_cosim_exits_1_with_a_report(tmp_path, monkeypatch, capsys):
    image = tandem_requant()
    path = tmp_path / "t.gnx"
    image.save(path)
    monkeypatch.setitem(BACKENDS, "mutant", lambda arch: MutantDevice(arch, mul_off_by_one))
    monkeypatch.setattr("runtime.session.input_names", lambda image: [])
    assert cli.main(["cosim", str(path), "--backends", "spec,mutant"]) == 1
    out = capsys.readouterr().out
    assert "DIVERGENCE: mutant differs from spec in unit tandem" in out and "MUL" in out
    assert cli.main(["cosim", str(path), "--backends", "spec,spec"]) == 0


class HangingDevice(SpecDevice):
    """The spec, but it stops committing after `keep` records and reports a hang."""

    name = "hanging"

    def __init__(self, arch, keep):
        super().__init__(arch)
        self.keep = keep

    def run(self, on_commit=None):
        seen = []

        def observe(rec):
            if len(seen) == self.keep:
                raise GenesysError("did not halt: no commit record for 99 cycles")
            seen.append(rec)
            on_commit(rec)

        return super().run(observe)


def test_a_backend_that_hangs_is_reported_at_its_first_missing_record():
    image = tandem_requant()
    result = lockstep(image, ["spec", "hanging"], devices={"hanging": HangingDevice(image.arch, keep=3)})
    assert not result.ok
    d = result.divergences[0]
    assert d.index == 3 and d.actual is None and decode(image.words[d.expected.pc]).mnemonic == "RSHIFT"
    assert "hanging stopped: did not halt" in d.format()


@contextlib.contextmanager
def buf_start_unimplemented():
    """The spec, but a BUF-kind SYNC START is an unimplemented fault (what the RTL once said)."""
    good = spec_machine.require

    def require(ctx, ok, kind, message):
        if not ok and message == "SYNC_INST START must be EXEC":
            kind = spec_machine.FaultKind.UNIMPLEMENTED
        good(ctx, ok, kind, message)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spec_machine, "require", require)
        yield


def test_a_different_fault_is_a_divergence_and_the_summary_names_who_stopped_how():
    image = fault_programs()["sync-start-buf"]
    result = lockstep(image, ["spec", "mutant"], devices={"mutant": MutantDevice(image.arch, buf_start_unimplemented)})
    report = result.format()
    assert not result.ok and "expected malformed-group, got unimplemented" in report
    assert "spec stopped with malformed-group at instruction 0" in report and "all backends" not in report
    agree = lockstep(image, ["spec", "golden"]).format()
    assert "all backends stopped with malformed-group at instruction 0" in agree
