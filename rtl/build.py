"""Verilator build of the NPU into a shared library, cached by a hash of everything it depends on."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from isa_spec import ArchConfig, GenesysError
from isa_spec.gen import c_header, sv_params

RTL = Path(__file__).resolve().parent
ROOT = RTL.parent
# Packages first, then modules leaves-first; npu.sv is the top.
UNITS = ("npu_pkg.sv", "pe.sv", "systolic_array.sv", "tandem_lane.sv", "odometer.sv", "affine.sv", "buffers.sv",
         "sa_config.sv", "sa_engine.sv", "sa_dma.sv", "imem_loader.sv", "tandem_engine.sv", "tandem_perm.sv",
         "tandem_dma.sv", "sequencer.sv", "npu.sv")
SOURCES = [RTL / "generated" / "genesys_isa.sv", *(RTL / "src" / n for n in UNITS)]
HARNESS = RTL / "harness" / "npu_harness.cpp"
COVERAGE_HARNESS = RTL / "harness" / "coverage.cpp"  # the coverage variant's extra entry point
COVERAGE_FLAGS = ["--coverage-line", "--coverage-toggle"]
CACHE = Path(os.environ.get("GENESYS_RTL_CACHE", ROOT / "build" / "rtl"))
BUILD_LOCKS = CACHE.parent / "rtl-locks"  # one lock file per build key: one process builds, the others wait
RUNTIME_CACHE = CACHE.parent / "rtl-runtime"  # Verilator's runtime, compiled once per flags: see runtime_objects
# Byte loops over the widest words (large: 32x32) must unroll for delayed assignments to arrays.
UNROLL_FLAGS = ["--unroll-count", "4096", "--unroll-stmts", "1000000"]
VERILATOR_FLAGS = ["--cc", "-O3", "--top-module", "npu", "-Wno-fatal", "--x-assign", "0", "--x-initial", "0",
                   *UNROLL_FLAGS]
CXXFLAGS = ["-O2", "-fPIC", "-std=c++17"]
# Planted-bug builds run tiny programs, and the coverage build's toggle counting makes its C++
# several times larger (it runs only the programs that reached new coverage): build those fast.
# Verilator's makefile compiles the model's hot code with OPT_FAST (-Os) after the C++ flags,
# so -O0 reaches it only through the make variables (a mutant then builds in about a third).
QUICK_CXXFLAGS = ["-O0", "-fPIC", "-std=c++17"]
QUICK_MAKEFLAGS = "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"
SECONDS_FILE = "build-seconds"  # next to each built library: how long it took
BUILDING = ".building"  # in a work directory, locked by the process building there
# Wall time of a first build on the project's 2-core machine, measured with other jobs running
# (load average 8-21): what `expected_build_seconds` says before this machine has built one.
BUILD_SECONDS = {"tiny": 290, "tiny-vcd": 130, "default": 500, "default-vcd": 900, "large": 900}


class RtlBuildError(GenesysError):
    """Verilator or the C++ compiler failed."""


def verilator_root() -> Path:
    out = subprocess.run(["verilator", "--getenv", "VERILATOR_ROOT"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


Patch = tuple[str, str, str]  # (source file name, text, replacement): a planted bug


def patched_sources(patches: Sequence[Patch]) -> dict[Path, str]:
    """The text of every source with `patches` applied (each text must occur exactly once)."""
    texts = {p: p.read_text() for p in SOURCES}
    for name, old, new in patches:
        path = next((p for p in SOURCES if p.name == name), None)
        if path is None or texts[path].count(old) != 1:
            raise RtlBuildError(f"patch for {name}: {old!r} does not occur exactly once")
        texts[path] = texts[path].replace(old, new)
    return texts


@functools.cache
def verilator_version() -> str:
    return subprocess.run(["verilator", "--version"], capture_output=True, text=True).stdout


def build_key(arch: ArchConfig, patches: Sequence[Patch] = (), trace: bool = False, coverage: bool = False) -> str:
    h = hashlib.sha256()
    h.update(b"vcd" if trace else b"")
    h.update(b"coverage" + COVERAGE_HARNESS.read_bytes() if coverage else b"")
    for text in patched_sources(patches).values():
        h.update(text.encode())
    h.update(HARNESS.read_bytes())
    h.update(c_header().encode())
    h.update(sv_params(arch).encode())
    h.update(" ".join(VERILATOR_FLAGS + cxx_flags(patches, coverage) + make_flags(patches, coverage)).encode())
    h.update(verilator_version().encode())
    return h.hexdigest()[:16]


def quick(patches: Sequence[Patch], coverage: bool) -> bool:
    """Whether the build is one of those compiled fast (QUICK_CXXFLAGS, QUICK_MAKEFLAGS)."""
    return bool(patches) or coverage


def cxx_flags(patches: Sequence[Patch], coverage: bool) -> list[str]:
    return QUICK_CXXFLAGS if quick(patches, coverage) else CXXFLAGS


def make_flags(patches: Sequence[Patch], coverage: bool) -> list[str]:
    """Verilator's arguments that set the make variables of its C++ build."""
    return ["-MAKEFLAGS", QUICK_MAKEFLAGS] if quick(patches, coverage) else []


def _target(arch: ArchConfig, patches: Sequence[Patch], trace: bool, coverage: bool = False) -> Path:
    return CACHE / f"{variant_name(arch, trace, coverage)}-{build_key(arch, patches, trace, coverage)}" / "libnpu.so"


def variant_name(arch: ArchConfig, trace: bool = False, coverage: bool = False) -> str:
    return arch.name + ("-vcd" if trace else "") + ("-cov" if coverage else "")


def is_built(arch: ArchConfig, trace: bool = False) -> bool:
    """Whether `library(arch, trace=trace)` would return at once."""
    return _target(arch, (), trace).exists()


def expected_build_seconds(arch: ArchConfig, trace: bool = False, coverage: bool = False) -> float:
    """How long building this variant takes: the last build of it on this machine (the cache
    keeps each build's time), else the time measured on a 2-core machine (`BUILD_SECONDS`)."""
    variant = variant_name(arch, trace, coverage)
    mine = [p for p in CACHE.glob(f"{variant}-*/{SECONDS_FILE}") if "-" not in p.parent.name[len(variant) + 1:]]  # not tiny-cov-*
    times = sorted(mine, key=lambda p: p.stat().st_mtime)
    for path in reversed(times):
        try:
            return float(path.read_text())
        except (OSError, ValueError):
            continue
    return BUILD_SECONDS.get(variant, max(BUILD_SECONDS.values()))


def library(arch: ArchConfig, log=lambda msg: print(msg, file=sys.stderr), patches: Sequence[Patch] = (),  # noqa: ANN001
            trace: bool = False, coverage: bool = False) -> Path:  # fmt: skip
    """The path of the built shared library for `arch` (with `patches`, a mutant of the RTL
    for tests; with `trace`, a build that can dump VCD, slower; with `coverage`, a build
    counting line and toggle coverage, see `npu_coverage_write`), building it if it is not
    cached."""
    if shutil.which("verilator") is None or shutil.which("g++") is None:
        raise RtlBuildError("the rtl backend needs Verilator and g++ (run `make install`)")
    target = _target(arch, patches, trace, coverage)
    if target.exists():
        return target
    BUILD_LOCKS.mkdir(parents=True, exist_ok=True)
    with (BUILD_LOCKS / target.parent.name).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # the same build is under way in another process: wait for it and use it
            log(f"[rtl] waiting for another process building the {variant_name(arch, trace, coverage)} NPU ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _build(arch, patches, trace, coverage, target, log)
    return target


def _build(arch: ArchConfig, patches: Sequence[Patch], trace: bool, coverage: bool, target: Path, log) -> None:  # noqa: ANN001
    variant = variant_name(arch, trace, coverage)
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{variant}-", dir=CACHE))
    building = (work / BUILDING).open("w")
    fcntl.flock(building, fcntl.LOCK_EX)  # held until the work directory is gone: see in_progress
    minutes = expected_build_seconds(arch, trace, coverage) / 60
    log(f"[rtl] building the {variant} NPU with Verilator once (cached afterwards), about {minutes:.0f} minutes ...")
    start = time.monotonic()
    try:
        (work / "params.svh").write_text(sv_params(arch))
        (work / "genesys_isa.h").write_text(c_header())
        sources = SOURCES
        if patches:
            sources = []
            for path, text in patched_sources(patches).items():
                (work / path.name).write_text(text)
                sources.append(work / path.name)
        obj = work / "obj"
        cxxflags = cxx_flags(patches, coverage) + (["-DGENESYS_VCD"] if trace else [])
        cxxflags += ["-DVM_COVERAGE=1"] if coverage else []
        run(["verilator", *VERILATOR_FLAGS, *(["--trace"] if trace else []), *(COVERAGE_FLAGS if coverage else []),
             f"-I{work}", *map(str, sources),
             "--Mdir", str(obj), "-CFLAGS", " ".join(cxxflags), *make_flags(patches, coverage), "--build", "-j", "2"],
            work)  # fmt: skip
        inc = verilator_root() / "include"
        harness = [str(HARNESS), *([str(COVERAGE_HARNESS)] if coverage else [])]
        runtime = map(str, runtime_objects(cxxflags, trace, coverage))
        run(["g++", "-shared", *cxxflags, f"-I{work}", f"-I{obj}", f"-I{inc}", f"-I{inc / 'vltstd'}", *harness, *runtime,
             str(obj / "Vnpu__ALL.a"), "-pthread", "-latomic", "-o", str(work / "libnpu.so")], work)  # fmt: skip
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(work / "libnpu.so", target.parent / "libnpu.so.tmp")
        os.replace(target.parent / "libnpu.so.tmp", target)
        if not patches:
            (target.parent / SECONDS_FILE).write_text(f"{time.monotonic() - start:.0f}\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        building.close()


def runtime_objects(cxxflags: Sequence[str], trace: bool, coverage: bool) -> list[Path]:
    """Verilator's runtime library (and the VCD writer or coverage database a variant adds),
    compiled once per set of flags and Verilator version and kept next to the cache: every
    build links these objects instead of compiling the same files again (several seconds each)."""
    inc = verilator_root() / "include"
    names = ["verilated.cpp", "verilated_threads.cpp", *(["verilated_vcd_c.cpp"] if trace else []),
             *(["verilated_cov.cpp"] if coverage else [])]  # fmt: skip
    folder = RUNTIME_CACHE / hashlib.sha256((verilator_version() + " ".join(cxxflags)).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    objects = []
    for name in names:
        obj = folder / name.replace(".cpp", ".o")
        if not obj.exists():  # builds racing here compile the same object and each replaces it whole
            part = folder / f".{obj.name}.{os.getpid()}"
            run(["g++", "-c", *cxxflags, f"-I{inc}", f"-I{inc / 'vltstd'}", str(inc / name), "-o", str(part)], folder)
            os.replace(part, obj)
        objects.append(obj)
    return objects


def in_progress(work: Path) -> bool:
    """Whether a live process is building in `work` (a work directory of the cache): a
    directory left by a build that died is not, and may be removed."""
    try:
        with (work / BUILDING).open() as f:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # no lock file: a build that died before taking it, or no build at all
        return False
    return False


def run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-20:]
        raise RtlBuildError(f"{cmd[0]} failed:\n" + "\n".join(tail))
