"""The `genesys` command line (DESIGN.md, "Command line"): exit 0 ok, 1 a check failed, 2 bad input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from isa_spec import GenesysError
from isa_spec.image import write_atomic

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(GenesysError):
    """Bad arguments or an unreadable input file."""


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror})") from None


def cmd_gen(args: argparse.Namespace) -> int:
    from isa_spec.gen import generate

    stale = generate(check=args.check)
    for p in stale:
        print(f"{'stale' if args.check else 'wrote'}: {p}")
    if args.check and stale:
        print("generated files are stale: run `genesys gen`", file=sys.stderr)
        return EXIT_CHECK_FAILED
    return EXIT_OK


def cmd_asm(args: argparse.Namespace) -> int:
    import numpy as np

    from isa_spec import assemble

    try:
        text = _read(args.source).decode()
    except UnicodeDecodeError:
        raise UsageError(f"{args.source}: not a text file") from None
    words = assemble(text, args.source)
    write_atomic(Path(args.output), np.array(words, "<u4").tobytes())
    return EXIT_OK


def cmd_disasm(args: argparse.Namespace) -> int:
    from isa_spec import IllegalInstruction, decode, format_instruction

    blob = _read(args.binary)
    if len(blob) % 4:
        raise UsageError(f"{args.binary}: {len(blob)} bytes is not a whole number of 32-bit words")
    lines = []
    for i in range(0, len(blob), 4):
        word = int.from_bytes(blob[i : i + 4], "little")
        try:
            lines.append(format_instruction(decode(word)))
        except IllegalInstruction as e:
            raise UsageError(f"{args.binary}: word {i // 4} (offset {i}): {e}") from None
    sys.stdout.write("".join(line + "\n" for line in lines))
    return EXIT_OK


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "gen": (cmd_gen, "regenerate derived artifacts (--check: fail if stale)"),
    "asm": (cmd_asm, "assemble a text program into little-endian words"),
    "disasm": (cmd_disasm, "disassemble little-endian words"),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genesys", description="GeneSys NPU testbed")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        if name == "gen":
            sp.add_argument("--check", action="store_true")
        elif name == "asm":
            sp.add_argument("source")
            sp.add_argument("-o", "--output", required=True)
        elif name == "disasm":
            sp.add_argument("binary")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `genesys` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_BAD_INPUT if e.code else EXIT_OK
    try:
        return COMMANDS[args.command][0](args)
    except GenesysError as e:
        print(f"genesys {args.command}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
