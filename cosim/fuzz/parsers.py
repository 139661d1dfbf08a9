"""Fuzzing the input readers with atheris (coverage-guided, libFuzzer): the `.gnx` image
reader, the assembler and the ONNX frontend. Every input must give a result or a clean
error (a `GenesysError` of one line); any other exception is a failure, saved in
`DIR/failures/<reader>-<signature>/` with the input, the traceback and the command that
replays it, and fuzzing goes on.

libFuzzer owns the process it runs in (it exits when done), so `fuzz_reader` runs it in a
child process (`CHILD READER DIR RUNS SECONDS SEED`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from isa_spec import GenesysError

from .signature import exception_signature

READERS = ("image", "asm", "onnx")
SUFFIX = {"image": ".gnx", "asm": ".s", "onnx": ".onnx"}
REPLAY = {"image": "genesys disasm {path}", "asm": "genesys asm {path} -o /dev/null",
          "onnx": "genesys compile {path} -o /dev/null"}  # fmt: skip
INTERRUPTED = (72, 130)  # after Ctrl-C: libFuzzer's code (figures printed first), or Python's
MAX_LEN = {"image": 1 << 16, "asm": 1 << 12, "onnx": 1 << 16}
SLOW_SECONDS = 10  # libFuzzer reports an input that takes longer (a slow unit: kept, not a failure)


def read_image(data: bytes) -> None:
    """The image reader, with the checksum appended so inputs get past it (the check of the
    checksum itself is one comparison)."""
    from isa_spec.image import Image

    Image.from_bytes(data + hashlib.sha256(data).digest(), "<input>")


def read_asm(data: bytes) -> None:
    """The assembler, on the text as `genesys asm` reads it."""
    from isa_spec import assemble

    try:
        text = data.decode()
    except UnicodeDecodeError:
        return  # `genesys asm`: "not a text file"
    assemble(text, "<input>")


def read_onnx(data: bytes) -> None:
    """The ONNX frontend: load and check, strip pre-quantisation, build the f-DFG."""
    from compiler import frontend, prequantized

    path = _scratch() / "input.onnx"
    path.write_bytes(data)
    model = frontend.load(path)
    if prequantized.is_prequantized(model):
        model = frontend.load(prequantized.strip(model)[0])
    frontend.to_graph(model)


READ = {"image": read_image, "asm": read_asm, "onnx": read_onnx}
# The child process: only the project's reader code is instrumented for coverage (all of
# numpy and onnx would take minutes and guide the fuzzer into their internals).
CHILD = """import sys, atheris
with atheris.instrument_imports(include=["isa_spec", "compiler"]):
    import isa_spec, isa_spec.image, isa_spec.asm, compiler.frontend, compiler.prequantized
from cosim.fuzz.parsers import main
main(sys.argv[1:])
"""


def _scratch() -> Path:
    folder = Path(tempfile.gettempdir()) / f"genesys-fuzz-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    return folder


def check_input(reader: str, data: bytes, failures: Path | None = None) -> str | None:
    """Read `data` with `reader`: None if it gave a result or a clean one-line error, else
    the failure's signature (saved under `failures` when given)."""
    try:
        READ[reader](data)
        return None
    except GenesysError as e:
        if "\n" not in str(e) and str(e).strip():
            return None
        signature, report = f"{reader}-multi-line-error-{type(e).__name__}", f"not a one-line error:\n{e}\n"
    except RecursionError as e:
        signature, report = f"{reader}-{exception_signature(e)}", "RecursionError (traceback omitted)\n"
    except Exception as e:  # noqa: BLE001 - anything else is the finding
        signature, report = f"{reader}-{exception_signature(e)}", "".join(traceback.format_exception(e))
    if failures is not None:
        save_failure(failures, reader, signature, data, report)
    return signature


def save_failure(failures: Path, reader: str, signature: str, data: bytes, report: str) -> None:
    """Write the failure folder whole, then rename it into place (the first one found stays)."""
    final = failures / signature
    if final.exists():
        return
    failures.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{signature}.", dir=failures))
    data = data + hashlib.sha256(data).digest() if reader == "image" else data
    (tmp / f"input{SUFFIX[reader]}").write_bytes(data)
    (tmp / "report.txt").write_text(report)
    (tmp / "replay.txt").write_text(REPLAY[reader].format(path=final / f"input{SUFFIX[reader]}") + "\n")
    try:
        os.rename(tmp, final)
    except OSError:
        pass


@dataclass
class ReaderResult:
    reader: str
    inputs: int
    seconds: float
    failures: list[str] = field(default_factory=list)
    folder: str = ""
    slow: list[str] = field(default_factory=list)  # libFuzzer's slow units: inputs that took over SLOW_SECONDS

    def format(self) -> str:
        lines = [f"fuzz {self.reader}: {self.inputs} inputs in {self.seconds:.0f} s"]
        lines += [f"  FAILURE {s}: {Path(self.folder) / s}" for s in self.failures]
        lines += [f"  slow (over {SLOW_SECONDS} s, not a failure): {Path(self.folder) / s}" for s in self.slow]
        verdict = (f"FOUND {len(self.failures)} failure(s)" if self.failures
                   else "clean: every input gave a result or a one-line error")  # fmt: skip
        return "\n".join(lines + [f"fuzz {self.reader} {verdict}"])

    def to_json(self) -> dict:
        return {"target": self.reader, "programs": self.inputs, "seconds": round(self.seconds, 1),
                "failures": len(self.failures), "failure_list": self.failures, "slow_inputs": self.slow}  # fmt: skip


def fuzz_reader(reader: str, folder: Path, runs: int | None, seconds: float | None, seed: int) -> ReaderResult:
    """Fuzz `reader` with atheris in a child process; corpus in DIR/corpus-READER."""
    failures = folder / "failures"
    before = _signatures(failures, reader)
    cmd = [sys.executable, "-c", CHILD, reader, str(folder), str(runs or -1), str(seconds or 0), str(seed)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    except KeyboardInterrupt:  # the child got it too and stops with its figures
        proc = None
    log = proc.stderr if proc is not None else ""
    done = re.search(r"Done (\d+) runs in (\d+) second", log)
    units = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)  # also printed when interrupted
    seconds_run = re.search(r"stat::average_exec_per_sec:\s*(\d+)", log)
    if proc is not None and proc.returncode not in (0, *INTERRUPTED) and not (done or units):
        raise GenesysError(f"fuzz {reader}: the fuzzer stopped ({proc.returncode}): {log.strip().splitlines()[-1:]}")
    found, slow = split_slow(reader, set(_signatures(failures, reader)) | set(before))
    inputs = int(done.group(1)) if done else int(units.group(1)) if units else 0
    took = float(done.group(2)) if done else inputs / max(1, int(seconds_run.group(1))) if seconds_run else 0.0
    return ReaderResult(reader, inputs, took, found, str(failures), slow)


def split_slow(reader: str, names: set[str]) -> tuple[list[str], list[str]]:
    """The failures among `names` (of the failures folder), and libFuzzer's slow units."""
    slow = {s for s in names if s.startswith(f"{reader}-libfuzzer-slow-unit-")}
    return sorted(names - slow), sorted(slow)


def _signatures(failures: Path, reader: str) -> list[str]:
    """What the folder holds of `reader`: failures saved by `save_failure` (folders) and
    libFuzzer's artifacts (files: a timeout, out of memory, a native crash, a slow unit)."""
    if not failures.exists():
        return []
    return sorted(p.name for p in failures.iterdir() if p.name.startswith(f"{reader}-"))


def seeds(reader: str) -> list[bytes]:
    """Valid inputs the corpus starts from."""
    from isa_spec import load_arch
    from isa_spec.builder import ProgramBuilder
    from isa_spec.image import Image

    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("IMM_SIGN_EXT", idx=1, value=5)
        p.add("ADD", dst_ns="VMEM1", src1_ns="IMM", src1_idx=1, src2_ns="VMEM2")
    p.end()
    if reader == "asm":
        from isa_spec import disassemble

        return [disassemble(p.words).encode(), b"SA_LOOP_CFG loop_id=3, iters=10  # a comment\n"]
    if reader == "image":
        return [Image(load_arch("tiny"), p.words, [(0, bytes(range(64)))], {}).to_bytes()[:-32]]
    from compiler.models import conv_model

    return [conv_model(1, 2, 5, 5, oc=3).SerializeToString()]


def main(argv: list[str]) -> None:
    import atheris

    reader, folder, runs, seconds, seed = argv[0], Path(argv[1]), int(argv[2]), float(argv[3]), int(argv[4])
    corpus, failures = folder / f"corpus-{reader}", folder / "failures"
    corpus.mkdir(parents=True, exist_ok=True)
    start = seeds(reader)
    if not any(corpus.iterdir()):
        for i, data in enumerate(start):
            (corpus / f"seed-{i}").write_bytes(data)
    args = [sys.argv[0], str(corpus), f"-seed={seed + 1}", f"-max_len={MAX_LEN[reader]}", "-timeout=20",
            f"-report_slow_units={SLOW_SECONDS}", "-rss_limit_mb=4096", f"-artifact_prefix={failures}/{reader}-libfuzzer-",
            "-print_final_stats=1"]  # fmt: skip
    args += [f"-runs={runs}"] if runs > 0 else []
    args += [f"-max_total_time={int(seconds)}"] if seconds > 0 else []
    failures.mkdir(parents=True, exist_ok=True)
    atheris.Setup(args, lambda data: check_input(reader, data, failures))
    atheris.Fuzz()


