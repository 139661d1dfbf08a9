"""The `genesys` command line (docs/design.md, "Command line"): exit 0 ok, 1 a check failed, 2 bad
input or usage (one line, no partial output). Each command lives in a module of its own, with
an `add_*` function for its arguments and a `cmd_*` function that runs it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import NoReturn, TextIO

from genesys import cmd_check, cmd_compile, cmd_cosim, cmd_program, cmd_prove, cmd_report, cmd_run, demo, fuzz, mutate
from genesys.common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK
from isa_spec import GenesysError
from isa_spec.errors import BackendFailure

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int], str]
COMMANDS: dict[str, Command] = {
    "demo": (demo.add_demo, demo.cmd_demo,
             "the main job on built-in defaults: a conv through every backend and the prover, ResNet-50 on golden"),
    "gen": (cmd_program.add_gen, cmd_program.cmd_gen, "regenerate derived artifacts (--check: fail if stale)"),
    "asm": (cmd_program.add_asm, cmd_program.cmd_asm, "assemble a text program into little-endian words"),
    "disasm": (cmd_program.add_disasm, cmd_program.cmd_disasm,
               "disassemble a raw program, or an image's with its layers and instruction groups"),
    "model": (cmd_program.add_model, cmd_program.cmd_model, "write a built-in ONNX model"),
    "compile": (cmd_compile.add_compile, cmd_compile.cmd_compile, "compile an ONNX model into a program image (.gnx)"),
    "run": (cmd_run.add_run, cmd_run.cmd_run, "run an image (float tensors in and out) or a raw program on one backend"),
    "cosim": (cmd_cosim.add_cosim, cmd_cosim.cmd_cosim,
              "run backends in lockstep on their commit logs, whole or layer by layer from checkpoints"),
    "prove": (cmd_prove.add_prove, cmd_prove.cmd_prove,
              "prove with Z3 that a compiled program computes its layers, or the spec, or RTL units"),
    "check": (cmd_check.add_check, cmd_check.cmd_check,
              "compare a model's image with onnxruntime: layer by layer against the quantised twin (exit 1 beyond "
              "the int8 bound), end to end against the float model"),
    "fuzz": (fuzz.add_arguments, fuzz.cmd_fuzz,
             "fuzzing campaigns: random programs in lockstep, or the input readers (docs/campaigns.md)"),
    "report": (cmd_report.add_report, cmd_report.cmd_report,
               "per-layer cycles, traffic and roofline from the golden cycle model (HTML)"),
    "mutate": (mutate.add_arguments, mutate.cmd_mutate,
               "the kill rate of a checker on generated mutants of its code (docs/campaigns.md)"),
}  # fmt: skip


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (`genesys: error: ...`, exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def version() -> str:
    """The package version and the ISA table's fingerprint (what images are checked against)."""
    from importlib.metadata import PackageNotFoundError, version as package_version

    from isa_spec.image import VERSION, isa_fingerprint

    try:
        number = package_version("genesys-testbed")
    except PackageNotFoundError:
        number = "unknown (not installed: run `make install`)"
    return f"genesys {number} (ISA {isa_fingerprint()}, .gnx version {VERSION})"


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="genesys", description="GeneSys NPU testbed")
    p.add_argument("--version", action="version", version=version())
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for name, (add, _, help_text) in COMMANDS.items():
        add(sub.add_parser(name, help=help_text, description=help_text))
    return p


class QuietPipe:
    """stdout that goes quiet when its reader leaves (`genesys run ... | head -1`): the command
    finishes its work (every output file) and exits as it would have."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.closed_by_reader = stream, False

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_left()

    def _reader_left(self) -> None:
        self.closed_by_reader = True
        try:  # what is still buffered, and the interpreter's flush at exit, go nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str):  # noqa: ANN204  (isatty, fileno, encoding, ...)
        return getattr(self.stream, name)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `genesys` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_BAD_INPUT if e.code else EXIT_OK
    stdout = sys.stdout
    sys.stdout = quiet = QuietPipe(stdout)  # type: ignore[assignment]
    try:
        code = COMMANDS[args.command][1](args)
        quiet.flush()  # now, while a reader that left can still be told apart from an error
        return code
    except BackendFailure as e:
        print(f"genesys {args.command}: {e}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except GenesysError as e:
        print(f"genesys {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:  # a path the command reads or writes that no check above foresaw
        where = f"{e.filename}: " if e.filename else ""
        print(f"genesys {args.command}: error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    finally:
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
