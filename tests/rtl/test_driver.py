"""The C ABI driver: model lifetimes, the hang watchdog, the build cache."""

import subprocess
import sys
import textwrap
import time

import pytest

from isa_spec import load_arch
from programs import sa_matmul
from rtl.build import BUILDING, CACHE, in_progress, library
from rtl.driver import RtlHang, RtlModel

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


def test_watchdog_reports_a_run_that_stops_committing():
    image = sa_matmul(pixels=16, ic_blocks=4)
    model = RtlModel(image.arch)
    model.load_program(image.words)
    records = []
    with pytest.raises(RtlHang, match=r"no commit record for \d+ cycles after instruction \d+"):
        model.run(records.append, idle_limit=256)  # the tile computes ~700 cycles after its loads
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
