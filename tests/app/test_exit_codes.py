"""The exit-code contract, walked through every subcommand: a path that cannot be read or
written, an input that does not fit the model, a VCD window that does not fit the run, and a
reader that leaves the pipe. Bad input is one line and exit 2 with no partial output; a
failed check is exit 1; a reader leaving ends the command quietly.

Every case listed under "Why" in issue 19 is here, marked `# issue 19:`."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from compiler import compile_model
from compiler.models import build_model
from genesys import cli
from isa_spec import load_arch

ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    model = build_model("conv")
    (d / "conv.onnx").write_bytes(model.SerializeToString())
    compile_model(model, load_arch("tiny")).save(d / "conv.gnx")
    (d / "p.s").write_text("# the smallest program: it ends\nBLOCK_END last=1\n")
    assert cli.main(["asm", str(d / "p.s"), "-o", str(d / "p.bin")]) == 0
    np.save(d / "x.npy", np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32))
    return d


# command -> its argument list, given the fixture's files and the output paths by flag
COMMANDS = {
    "asm": lambda f, o: ["asm", f / "p.s", "-o", o["-o"]],
    "disasm": lambda f, o: ["disasm", f / "conv.gnx"],
    "model": lambda f, o: ["model", "conv", "-o", o["-o"]],
    "compile": lambda f, o: ["compile", f / "conv.onnx", "-o", o["-o"], "--json", o["--json"]],
    "run": lambda f, o: ["run", f / "conv.gnx", "--outdir", o["--outdir"], "--json", o["--json"]],
    "cosim": lambda f, o: ["cosim", f / "conv.gnx", "--backends", "spec,golden", "--json", o["--json"],
                           "--junit", o["--junit"]],
    "prove": lambda f, o: ["prove", f / "conv.gnx", "--json", o["--json"], "--junit", o["--junit"]],
    "check": lambda f, o: ["check", f / "conv.onnx", f / "conv.gnx", "--json", o["--json"], "--junit", o["--junit"]],
    "report": lambda f, o: ["report", f / "conv.gnx", "-o", o["-o"], "--json", o["--json"]],
    "fuzz": lambda f, o: ["fuzz", "--backends", "spec,golden", "--programs", "4", "--corpus", o["--outdir"],
                          "--json", o["--json"], "--junit", o["--junit"]],
    "mutate": lambda f, o: ["mutate", "--target", "cosim", "--mutants", "1", "--min-kill", "0", "--state", o["--outdir"],
                            "--json", o["--json"], "--html", o["--html"]],
}  # fmt: skip
OUTPUT_FLAGS = {"asm": ["-o"], "model": ["-o"], "compile": ["-o", "--json"], "run": ["--json"],
                "cosim": ["--json", "--junit"], "prove": ["--json", "--junit"], "check": ["--json", "--junit"],
                "report": ["-o", "--json"], "fuzz": ["--json", "--junit"], "mutate": ["--json", "--html"]}  # fmt: skip
INPUTS = {"asm": "p.s", "disasm": "conv.gnx", "compile": "conv.onnx", "run": "conv.gnx", "cosim": "conv.gnx",
          "prove": "conv.gnx", "check": "conv.gnx", "report": "conv.gnx"}  # fmt: skip


def argv(command, files, outputs):
    return [str(a) for a in COMMANDS[command](files, outputs)]


def good_outputs(tmp: Path) -> dict[str, Path]:
    return {"-o": tmp / "out.bin", "--json": tmp / "r.json", "--junit": tmp / "r.xml", "--html": tmp / "r.html",
            "--outdir": tmp / "outdir"}


def one_line_error(capsys, code, *needles):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (code, err)
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_works_and_writes_what_it_says(command, files, tmp_path, capsys):
    outputs = good_outputs(tmp_path)
    assert cli.main(argv(command, files, outputs)) == 0
    capsys.readouterr()
    for flag in OUTPUT_FLAGS.get(command, []):
        assert outputs[flag].is_file(), flag
        if flag == "--json":
            assert json.loads(outputs[flag].read_text())["command"] == command
        if flag == "--junit":
            suite = ET.parse(outputs[flag]).getroot().find("testsuite")
            assert int(suite.get("tests")) >= 1 and suite.get("failures") == "0"


BAD_OUTPUTS = {  # issue 19: -o into a missing directory, onto a directory, `-o dir/`, a place that cannot be written
    "missing directory": (lambda tmp: tmp / "missing" / "sub" / "out", "does not exist"),
    "a directory": (lambda tmp: tmp, "is a directory"),
    "dir/": (lambda tmp: str(tmp / "new") + "/", "is a directory"),
    "read-only place": (lambda tmp: Path("/proc/genesys-out") if ROOT else tmp / "ro" / "out", ""),
}


@pytest.mark.parametrize("bad", BAD_OUTPUTS)
@pytest.mark.parametrize(("command", "flag"), [(c, f) for c, flags in OUTPUT_FLAGS.items() for f in flags])
def test_an_output_path_that_cannot_be_written(command, flag, bad, files, tmp_path, capsys):
    make, needle = BAD_OUTPUTS[bad]
    if not ROOT:
        (tmp_path / "ro").mkdir(mode=0o555)
    outputs = good_outputs(tmp_path / "work")
    (tmp_path / "work").mkdir()
    outputs[flag] = make(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code = cli.main(argv(command, files, outputs))
    one_line_error(capsys, code, flag if bad != "read-only place" else str(outputs[flag]), needle)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before] == [], "partial output or created directories"


@pytest.mark.parametrize("command", INPUTS)
@pytest.mark.parametrize("bad", ["missing", "a directory"])
def test_an_input_path_that_cannot_be_read(command, bad, files, tmp_path, capsys):
    broken = tmp_path / "missing.gnx" if bad == "missing" else tmp_path
    args = [str(broken) if a == str(files / INPUTS[command]) else a for a in argv(command, files, good_outputs(tmp_path))]
    assert str(broken) in args
    code = cli.main(args)
    one_line_error(capsys, code, str(broken))


def write_npy(tmp_path, value):
    np.save(tmp_path / "in.npy", value)
    return f"x={tmp_path / 'in.npy'}"


BAD_INPUTS = {
    # issue 19: --raw with a float32 input was cast to int8 (all zeros)
    "float with --raw": (lambda: np.zeros((1, 3, 8, 8), np.float32), ["--raw"], "--raw takes the int8 tensor"),
    # issue 19: an all-NaN input gave all zeros
    "NaN": (lambda: np.full((1, 3, 8, 8), np.nan, np.float32), [], "holds NaN"),
    "infinity": (lambda: np.full((1, 3, 8, 8), np.inf, np.float32), [], "holds infinity"),
    # issue 19: int inputs without --raw were taken as floats
    "int without --raw": (lambda: np.ones((1, 3, 8, 8), np.int8), [], "the model takes float input"),
    "int8 out of range with --raw": (lambda: np.full((1, 3, 8, 8), 300, np.int32), ["--raw"], "do not fit int8"),
    "wrong shape": (lambda: np.zeros((1, 3, 8, 9), np.float32), [], "shape (1, 3, 8, 9)"),
}


@pytest.mark.parametrize("command", ["run", "check"])
@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_an_input_that_does_not_fit_the_model(command, bad, files, tmp_path, capsys):
    value, flags, needle = BAD_INPUTS[bad]
    if command == "check" and flags:
        return  # check compares float results: it has no --raw
    given = ["--input", write_npy(tmp_path, value()), *flags]
    args = (["run", str(files / "conv.gnx"), "--outdir", str(tmp_path / "out")] if command == "run"
            else ["check", str(files / "conv.onnx"), str(files / "conv.gnx")])  # fmt: skip
    code = cli.main(args + given)
    one_line_error(capsys, code, "--input x=", needle)
    assert not (tmp_path / "out").exists()


def test_input_names(files, tmp_path, capsys):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 3, 8, 8), np.float32))
    one_line_error(capsys, cli.main(["run", str(files / "conv.gnx"), "--input", f"y={x}"]), "has no input of that name")
    one_line_error(capsys, cli.main(["run", str(files / "conv.gnx"), "--input", f"x={x}", "--input", f"x={x}"]), "twice")
    one_line_error(capsys, cli.main(["run", str(files / "conv.gnx"), "--input", "x"]), "expects NAME=FILE.npy")
    np.save(x, np.zeros((1, 3, 8, 8), np.int8))
    assert cli.main(["run", str(files / "conv.gnx"), "--input", f"x={x}", "--raw", "--outdir", str(tmp_path)]) == 0
    assert np.load(tmp_path / "y.npy").dtype == np.int8


def test_run_outdir(files, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    for outdir, needle in [(tmp_path / "file", "is a file"), (tmp_path / "no" / "dir", "does not exist")]:
        one_line_error(capsys, cli.main(["run", str(files / "conv.gnx"), "--outdir", str(outdir)]), "--outdir", needle)
    if ROOT:  # issue 19: run --outdir to a place that cannot be written
        one_line_error(capsys, cli.main(["run", str(files / "conv.gnx"), "--outdir", "/proc/genesys-out"]), "--outdir")
    assert cli.main(["run", str(files / "conv.gnx"), "--outdir", str(tmp_path / "new")]) == 0  # a new directory
    assert (tmp_path / "new" / "y.npy").exists()


def test_fuzz_folders(tmp_path, capsys):
    fuzz = ["fuzz", "--backends", "spec,golden", "--programs", "4"]
    (tmp_path / "file").write_text("")
    for corpus, needle in [(tmp_path / "file", "is a file"), (tmp_path / "no" / "dir", "does not exist")]:
        one_line_error(capsys, cli.main([*fuzz, "--corpus", str(corpus)]), "--corpus", needle)
    for target in ("isa", "onnx"):  # the reader campaigns take the same folder
        one_line_error(capsys, cli.main([*fuzz, "--target", target, "--corpus", str(tmp_path / "no" / "dir")]), "--corpus")
    one_line_error(capsys, cli.main([*fuzz, "--resume", "--corpus", str(tmp_path / "none")]), "no campaign to resume")
    one_line_error(capsys, cli.main(["fuzz", "--replay", str(tmp_path / "none")]), str(tmp_path / "none"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_mutate_usage_and_state_folder(tmp_path, capsys):
    mutate = ["mutate", "--target", "cosim", "--mutants", "1", "--json", str(tmp_path / "r.json")]
    one_line_error(capsys, cli.main(["mutate", "--mutants", "1"]), "--target")
    one_line_error(capsys, cli.main([*mutate, "--budget", "10x"]), "--budget '10x'")
    one_line_error(capsys, cli.main([*mutate, "--workers", "2", "--ray", "auto"]), "exclude each other")
    (tmp_path / "file").write_text("")
    for state, needle in [(tmp_path / "file", "is a file"), (tmp_path / "no" / "dir", "does not exist")]:
        one_line_error(capsys, cli.main([*mutate, "--state", str(state)]), "--state", needle)
    # report --mutation alone needs no image; without either, or with what an image gives, it is a usage error
    one_line_error(capsys, cli.main(["report", "-o", str(tmp_path / "r.html")]), "report takes an IMAGE")
    one_line_error(capsys, cli.main(["report", "--mutation", str(tmp_path / "file"), "--campaign", str(tmp_path),
                                     "-o", str(tmp_path / "r.html")]), "report takes an IMAGE")  # fmt: skip
    one_line_error(capsys, cli.main(["report", "--mutation", str(tmp_path / "file"), "-o", str(tmp_path / "r.html")]),
                   "not a mutation run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_vcd_flags_are_checked_before_anything_runs(files, tmp_path, capsys):
    gnx = str(files / "conv.gnx")
    # issue 19: --vcd-window without --vcd was ignored
    one_line_error(capsys, cli.main(["run", gnx, "--vcd-window", "0:10"]), "--vcd-window needs --vcd")
    one_line_error(capsys, cli.main(["run", gnx, "--vcd", str(tmp_path / "w.vcd")]), "--vcd needs --backend rtl")
    for window in ["10:5", "a:b", "7"]:
        code = cli.main(["run", gnx, "--backend", "rtl", "--vcd", str(tmp_path / "w.vcd"), "--vcd-window", window])
        one_line_error(capsys, code, "--vcd-window expects FIRST:LAST")
    # issue 19: --vcd to an unwritable path failed after the whole simulation ran
    code = cli.main(["run", gnx, "--backend", "rtl", "--vcd", str(tmp_path / "missing" / "w.vcd")])
    one_line_error(capsys, code, "--vcd", "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.rtl
def test_a_vcd_window_past_the_end_of_the_run(files, tmp_path, capsys):
    # issue 19: a --vcd-window past the end of the run wrote a header-only file
    from rtl.build import library

    library(load_arch("tiny"), trace=True)  # built beforehand: a first build's progress lines are not the error
    capsys.readouterr()  # and what that build printed is not the command's
    gnx = str(files / "conv.gnx")
    code = cli.main(["run", gnx, "--backend", "rtl", "--vcd", str(tmp_path / "w.vcd"), "--vcd-window", "900000:900010",
                     "--outdir", str(tmp_path)])  # fmt: skip
    one_line_error(capsys, code, "--vcd-window 900000:900010: the run took", "holds none of it")
    assert not any(p.suffix in (".vcd", ".partial") or ".partial" in p.name for p in tmp_path.iterdir())


def test_raw_programs_and_images_in_disasm_and_run(files, capsys):
    # issue 19: disasm of a .gnx read the header as code; a hand-written .bin could not be run
    assert cli.main(["disasm", str(files / "conv.gnx")]) == 0
    out = capsys.readouterr().out
    assert "# ==== layer conv0 (Conv+Relu)" in out and "group 0 begins: SA EXEC" in out
    one_line_error(capsys, cli.main(["run", str(files / "p.bin")]), "raw program", "--arch")
    assert cli.main(["run", str(files / "p.bin"), "--arch", "tiny", "--backend", "spec"]) == 0
    assert "counters: instructions=1" in capsys.readouterr().out
    one_line_error(capsys, cli.main(["run", str(files / "p.bin"), "--arch", "tiny", "--raw"]), "no named tensors")
    one_line_error(capsys, cli.main(["run", str(files / "conv.gnx"), "--arch", "default"]), "compiled for tiny")


def test_version(capsys):
    # issue 19: no --version
    assert cli.main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("genesys 0.1.0 (ISA ") and ".gnx version 1" in out


@pytest.mark.parametrize("command", ["disasm", "run"])
def test_a_reader_that_leaves_the_pipe(command, files, tmp_path):
    # issue 19: `genesys run ... | head -1` gave BrokenPipeError
    args = {"disasm": ["disasm", str(files / "conv.gnx")],
            "run": ["run", str(files / "conv.gnx"), "--outdir", str(tmp_path)]}[command]  # fmt: skip
    line = " ".join([sys.executable, "-m", "genesys", *args])
    for reader in ("head -1", "true"):  # true leaves before anything is written
        proc = subprocess.run(["bash", "-c", f"set -o pipefail; {line} | {reader}"], capture_output=True, text=True,
                              timeout=300, cwd=Path(__file__).parents[2])  # fmt: skip
        assert proc.returncode == 0 and proc.stderr == "", (reader, proc.stderr)
    if command == "run":
        assert (tmp_path / "y.npy").exists()  # the command finished its work
