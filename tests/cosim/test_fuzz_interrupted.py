"""A campaign killed mid-run (SIGINT, then SIGKILL) resumes where its last batch ended:
no failure lost, the corpus intact, the seed position kept. The campaign runs in a child
process with a planted golden bug (MAX computes MIN), so that it has failures to lose."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
CHILD = """import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as on a terminal, even if inherited ignored
import golden.alu
golden.alu.LANE_OPS["MAX"] = golden.alu.LANE_OPS["MIN"]
from genesys.cli import main
sys.exit(main(sys.argv[1:]))
"""
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start():
    """Starts campaigns in sessions of their own; whatever still runs when the test ends
    (passed or not) is killed with its workers, so a failed test leaves no campaign behind."""
    started: list[subprocess.Popen] = []

    def start(folder: Path, *extra: str) -> subprocess.Popen:
        args = ["fuzz", "--backends", "spec,golden", "--corpus", str(folder), "--workers", "2", *extra]
        proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(ProcessLookupError):  # the group is gone: nothing left behind
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def state(folder: Path) -> dict:
    return json.loads((folder / "state.json").read_text())


def wait_for(condition, timeout: float = 300.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the campaign made no progress"
        time.sleep(0.2)


def failures(folder: Path) -> set[str]:
    return {p.name for p in (folder / "failures").iterdir() if not p.name.startswith(".")}


def check_intact(folder: Path) -> None:
    s = state(folder)
    for index, _ in s["corpus"]:
        assert (folder / "corpus" / f"{index:09d}.bin").stat().st_size > 0
    for sig in failures(folder):
        files = {p.name for p in (folder / "failures" / sig).iterdir()}
        assert {"program.gnx", "program.s", "report.txt", "replay.txt", "meta.json"} <= files, (sig, files)


def test_sigint_then_sigkill_then_resume_loses_nothing(tmp_path, start):
    folder = tmp_path / "campaign"
    proc = start(folder, "--seed", "11")
    wait_for(lambda: (folder / "state.json").exists() and state(folder)["failures"] and state(folder)["next_index"] >= 192)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=600)  # a loaded machine: the workers are stopped first
    assert proc.returncode == 1, err  # failures were found
    assert "interrupted: resume with" in out and "Traceback" not in err
    before = failures(folder)
    position = state(folder)["next_index"]
    check_intact(folder)

    proc = start(folder, "--resume")
    wait_for(lambda: state(folder)["next_index"] >= position + 96)
    os.killpg(proc.pid, signal.SIGKILL)  # the campaign and its workers, without warning
    proc.communicate(timeout=600)
    check_intact(folder)
    assert before <= failures(folder)
    killed_at = state(folder)["next_index"]
    corpus = [i for i, _ in state(folder)["corpus"]]

    proc = start(folder, "--resume", "--programs", "48")
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert f"from program {killed_at}" in out
    after = state(folder)
    assert after["next_index"] == killed_at + 48
    assert [i for i, _ in after["corpus"]][: len(corpus)] == corpus
    assert before <= failures(folder) and set(after["failures"]) >= before
    check_intact(folder)
