"""Run a checker against one mutant in a forked child process.

The child forgets every module of the project it inherited, serves the mutated file's
text to the import system in place of the file (under the file's own path, so data files
next to it are found as usual), imports the checker afresh and runs it. The working tree
is never written, and nothing of the mutant outlives the child. A child that does not
answer within its timeout is killed.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import io
import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
ROOMS = ("isa_spec", "golden", "rtl", "compiler", "proofs", "runtime", "cosim", "genesys")
TEST_PATHS = (TESTS, TESTS / "isa")  # where the test suite's helpers (conformance, corpus, ...) live
_FORK = multiprocessing.get_context("fork")
NO_BUILD = "no-build: "  # a checker's verdict starting so: the mutant did not build (RTL), not a kill


def module_name(relpath: str) -> str:
    """`golden/alu.py` -> `golden.alu`; `cosim/__init__.py` -> `cosim`."""
    parts = Path(relpath).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class _MutatedModule(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves `source` as the module `name` found at `path`."""

    def __init__(self, name: str, path: Path, source: str):
        self.name, self.path, self.source = name, path, source

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        package = [str(self.path.parent)] if self.path.name == "__init__.py" else None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self,
                                                      submodule_search_locations=package)  # fmt: skip

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self.source, str(self.path), "exec"), module.__dict__)


def _ours(module: ModuleType, name: str) -> bool:
    if name.split(".")[0] in ROOMS:
        return True
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).is_relative_to(TESTS)


def use_tests() -> None:
    """Make the test suite's helper modules importable (after the project's packages, so that
    `cosim` stays the package and not the tests' folder of that name)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for p in TEST_PATHS:
        if str(p) not in sys.path:
            sys.path.append(str(p))


def install(sources: Mapping[str, str]) -> None:
    """Forget the project's modules and import `sources` (relative path -> text) in place
    of those files from now on."""
    for name in [n for n, m in sys.modules.items() if _ours(m, n)]:
        del sys.modules[name]
    importlib.invalidate_caches()
    for rel, text in sources.items():
        sys.meta_path.insert(0, _MutatedModule(module_name(rel), ROOT / rel, text))
    use_tests()


def call(ref: str, *args: Any) -> Any:
    """Call the function `module:name` (imported now)."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)(*args)


@dataclass
class Outcome:
    """What a checker said about one mutant: `killed_by` is None when it survived."""

    status: str  # killed | survived | timeout | no-build
    killed_by: str | None
    seconds: float


def _child(conn: Connection, sources: Mapping[str, str], ref: str, fixture: bytes, args: tuple) -> None:
    os.setpgrp()  # a group of its own: stopping it stops the processes the checker starts too
    signal.signal(signal.SIGTERM, _terminate)  # stopped: `finally` blocks run (an RTL build removes its work dir)
    # but not in the processes the checker forks (a prover's worker pool): Pool.terminate stops
    # its workers with SIGTERM, and a worker that turns it into SystemExit inside a task may
    # swallow it and wait on the task queue forever, with the pool joining it
    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
    start = time.perf_counter()
    sys.stdout = sys.stderr = io.StringIO()  # a mutant may print; the campaign's terminal is not its
    warnings.simplefilter("ignore")
    try:
        install(sources)
        verdict = call(ref, pickle.loads(fixture) if fixture else None, *args)
        message = ("killed", verdict) if verdict else ("survived", None)
        if verdict and verdict.startswith(NO_BUILD):
            message = ("no-build", verdict[len(NO_BUILD) :])
    except Exception as e:  # noqa: BLE001  (the mutant broke the code under check: a kill, named)
        frame = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        message = ("killed", f"crash: {type(e).__name__} at {where}: {str(e)[:200]}")
    except BaseException as e:  # noqa: BLE001  (SystemExit, RecursionError's cousins: still the mutant's doing)
        message = ("killed", f"crash: {type(e).__name__}")
    conn.send((*message, time.perf_counter() - start))
    conn.close()
    os._exit(0)


@dataclass
class Running:
    """A child at work on one job."""

    key: Any
    process: Any
    conn: Connection
    started: float
    timeout: float

    @property
    def overdue(self) -> bool:
        return time.monotonic() - self.started > self.timeout

    def result(self) -> Outcome:
        """The child's outcome once its connection is ready (or it died, or is overdue)."""
        seconds = time.monotonic() - self.started
        if self.overdue and not self.conn.poll():
            self.stop()
            return Outcome("timeout", None, seconds)
        try:
            status, killed_by, _ = self.conn.recv()
        except (EOFError, OSError):
            _kill_group(self.process)
            return Outcome("killed", f"crash: the process died (exit code {self.process.exitcode})", seconds)
        _kill_group(self.process)  # and whatever it left running
        return Outcome(status, killed_by, seconds)

    def stop(self) -> None:
        _kill_group(self.process, signal.SIGTERM)
        self.conn.close()


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(f"stopped (signal {signum})")


def _kill_group(process: Any, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the child's process group, and SIGKILL if the child is not gone 5 s later."""
    for s in (sig, signal.SIGKILL) if sig != signal.SIGKILL else (sig,):
        try:
            os.killpg(process.pid, s)
        except ProcessLookupError:
            pass
        process.join(5)
        if not process.is_alive():
            return


def start(key: Any, sources: Mapping[str, str], ref: str, fixture: bytes, timeout: float, args: tuple = ()) -> Running:
    """Fork a child running checker `ref` (on the fixture and `args`) with `sources` in place of their files."""
    receive, send = _FORK.Pipe(duplex=False)
    proc = _FORK.Process(target=_child, args=(send, dict(sources), ref, fixture, args))
    proc.start()
    send.close()
    return Running(key, proc, receive, time.monotonic(), timeout)


def _fixture_child(conn: Connection, ref: str) -> None:
    os.setpgrp()
    sys.stdout = sys.stderr = io.StringIO()
    try:
        install({})
        conn.send(("ok", pickle.dumps(call(ref))))
    except Exception:  # noqa: BLE001  (reported to the parent, which stops)
        conn.send(("error", traceback.format_exc(limit=-3)))
    conn.close()
    os._exit(0)


def fixture(ref: str, timeout: float) -> bytes:
    """`ref()` computed in a child on the unmutated sources, pickled (the child keeps the
    parent free of the state that computing it leaves, such as threads)."""
    receive, send = _FORK.Pipe(duplex=False)
    proc = _FORK.Process(target=_fixture_child, args=(send, ref))
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise RuntimeError(f"{ref} did not finish in {timeout:.0f} s")
        status, data = receive.recv()
    except EOFError:
        raise RuntimeError(f"{ref}: the process died") from None
    finally:
        _kill_group(proc)
    if status != "ok":
        raise RuntimeError(f"{ref} failed:\n{data}")
    return data


def run(sources: Mapping[str, str], ref: str, fixture: bytes, timeout: float, args: tuple = ()) -> Outcome:
    """`start` and wait for the outcome (what a Ray task does)."""
    job = start(None, sources, ref, fixture, timeout, args)
    job.conn.poll(timeout)
    return job.result()
