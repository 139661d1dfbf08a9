"""The C ABI driver: model lifetimes, the hang watchdog, the build cache."""

import subprocess
import sys
import textwrap
import time
from dataclasses import replace

import numpy as np
import pytest

from isa_spec import load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image
from programs import OUT, sa_matmul, tandem_ibuf, tandem_requant
from rtl.build import BUILDING, CACHE, in_progress, library
from rtl.driver import RtlHang, RtlModel
from runtime.backends.golden import GoldenDevice
from runtime.backends.rtl import RtlDevice

pytestmark = pytest.mark.rtl


def test_many_models_alive_and_freed_in_any_order():
    # Verilator's per-thread current context once pointed at a freed model here and the
    # next teardown deadlocked; run in a child so a regression fails instead of hanging.
    library(load_arch("tiny")), library(load_arch("default"))
    script = textwrap.dedent("""
        import gc
        from isa_spec import load_arch
        from rtl.driver import RtlModel
        for _ in range(3):
            a, b, c = RtlModel(load_arch("tiny")), RtlModel(load_arch("tiny")), RtlModel(load_arch("default"))
            del b; gc.collect(); del c; gc.collect(); del a; gc.collect()
        print("done")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "done", proc.stderr


def _reads_what_others_leave(arch) -> Image:  # noqa: ANN001
    """A program whose records show the state it finds: DRAM it does not load, VMEM, IBUF,
    OBUF and immediates it does not write, iterator tables and the lane format it does not set."""
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add32("LD_CONFIG_BASE_ADDR", OUT, ns="VMEM1")  # where the programs above store
        p.add("LD_START", ns="VMEM1", width="B32", size=2)
        p.add("ADD", dst_ns="VMEM1", dst_idx=2, src1_ns="VMEM2", src1_idx=1, src2_ns="IMM", src2_idx=0)
        p.add("MOVE", dst_ns="VMEM2", dst_idx=3, src1_ns="IBUF", src1_idx=1)
        p.add("ADD", dst_ns="VMEM2", dst_idx=2, src1_ns="OBUF", src1_idx=0, src2_ns="IMM", src2_idx=3)
        p.add("MUL", dst_ns="VMEM2", dst_idx=1, src1_ns="VMEM1", src1_idx=1, src2_ns="IMM", src2_idx=1)
        for ns in ("VMEM1", "VMEM2"):
            p.add32("ST_CONFIG_BASE_ADDR", 0x8000 + (ns == "VMEM2") * 0x1000, ns=ns)
            p.add("ST_START", ns=ns, width="B32", size=8)
    p.end()
    return Image(arch, p.words)


def _run(device: RtlDevice, image: Image) -> tuple:
    device.load(image)
    result = device.run()
    return result.log, str(result.fault), device.read_dram(0, image.arch.dram_bytes), device.counters()


def test_a_reset_model_is_a_new_model():
    # RtlDevice resets its model between programs instead of making a new one: what a program
    # leaves (buffers, DRAM, iterator tables, lane format, counters) must not reach the next.
    tiny = load_arch("tiny")
    reader, device = _reads_what_others_leave(tiny), RtlDevice(tiny)
    fresh = _run(RtlDevice(tiny), reader)
    golden = GoldenDevice(tiny)
    golden.load(reader)
    assert golden.run().log == fresh[0]
    for before in (sa_matmul(tiny), tandem_ibuf(tiny), tandem_requant(tiny)):
        _run(device, before)
        assert _run(device, reader) == fresh
        # and the reader does see what `before` leaves, shown on the golden simulator, which
        # can start a program on the final state of another
        golden.load(before)
        golden.run()
        golden.restore_state(replace(golden.save_state(0), imem=np.array(reader.words, np.uint32)))
        assert golden.run().log != fresh[0]


def test_watchdog_reports_a_run_that_stops_committing():
    image = sa_matmul(pixels=128, ic_blocks=4)
    model = RtlModel(image.arch)
    model.load_program(image.words)
    records = []
    with pytest.raises(RtlHang, match=r"no commit record for \d+ cycles after instruction \d+"):
        model.run(records.append, idle_limit=256)  # the tile computes ~900 cycles after its loads
    assert records, "the loads before the long tile were committed"


def test_a_cached_build_is_reused_and_leaves_no_work_dirs():
    tiny = load_arch("tiny")
    assert library(tiny) == library(tiny)
    stale = [p for p in CACHE.iterdir() if not (p / "libnpu.so").exists() and not in_progress(p)]
    assert not stale, "stale build directories (another test's build in progress is not stale)"


def test_a_work_directory_is_in_progress_only_while_its_builder_holds_the_lock(tmp_path):
    import fcntl

    assert not in_progress(tmp_path)  # no lock file: left by a build that died early
    with (tmp_path / BUILDING).open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        assert in_progress(tmp_path)
    assert not in_progress(tmp_path)  # the builder is gone


def test_two_processes_wanting_one_build_build_it_once(tmp_path, monkeypatch):
    import threading

    import rtl.build

    monkeypatch.setattr(rtl.build, "BUILD_LOCKS", tmp_path / "locks")
    monkeypatch.setattr(rtl.build, "_target", lambda *args: tmp_path / "tiny-0123" / "libnpu.so")
    builds, logs = [], []

    def slow_build(*args):  # noqa: ANN002
        builds.append(args)
        time.sleep(0.5)  # long enough for the other caller to find the lock taken
        target = args[4]
        target.parent.mkdir()
        target.write_text("built")

    monkeypatch.setattr(rtl.build, "_build", slow_build)
    tiny = load_arch("tiny")
    results = []
    callers = [threading.Thread(target=lambda: results.append(library(tiny, log=logs.append))) for _ in range(2)]
    for t in callers:  # flock locks per open file, so two threads contend as two processes do
        t.start()
    for t in callers:
        t.join()
    assert len(builds) == 1 and results == [tmp_path / "tiny-0123" / "libnpu.so"] * 2
    assert logs == ["[rtl] waiting for another process building the tiny NPU ..."]
