"""Commands on programs and models as files: `gen`, `asm`, `disasm`, `model`."""

from __future__ import annotations

import argparse
import sys

from genesys.common import EXIT_CHECK_FAILED, EXIT_OK, UsageError, read_file
from genesys.outputs import check_output, write_output


def add_gen(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--check", action="store_true", help="fail (exit 1) if a generated file is stale")


def cmd_gen(args: argparse.Namespace) -> int:
    from genesys import readme
    from isa_spec.gen import generate

    stale = [*generate(check=args.check), *readme.generate(check=args.check)]
    for p in stale:
        print(f"{'stale' if args.check else 'wrote'}: {p}")
    if args.check and stale:
        print("generated files are stale: run `genesys gen`", file=sys.stderr)
        return EXIT_CHECK_FAILED
    return EXIT_OK


def add_asm(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("source")
    sp.add_argument("-o", "--output", required=True, help="the .bin file to write")


def cmd_asm(args: argparse.Namespace) -> int:
    import numpy as np

    from isa_spec import assemble

    output = check_output(args.output, "-o")
    try:
        text = read_file(args.source).decode()
    except UnicodeDecodeError:
        raise UsageError(f"{args.source}: not a text file") from None
    words = assemble(text, args.source)
    write_output(output, np.array(words, "<u4").tobytes())
    return EXIT_OK


def add_disasm(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("program", metavar="PROG.bin|IMAGE.gnx")


def cmd_disasm(args: argparse.Namespace) -> int:
    from genesys.disasm import disassemble, disassemble_image, is_image, words_of
    from isa_spec.image import Image

    blob = read_file(args.program)
    if is_image(blob) or args.program.endswith(".gnx"):
        lines = disassemble_image(Image.from_bytes(blob, args.program), args.program)
    else:
        lines = disassemble(words_of(blob, args.program), args.program)
    sys.stdout.write("".join(line + "\n" for line in lines))
    return EXIT_OK


CONV_OPTIONS = ("shape", "out_channels", "kernel", "stride", "pad", "no_relu")


def add_model(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("name", help="a built-in model (README: the list; an unknown name lists them too)")
    sp.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    conv = sp.add_argument_group("conv geometry (model `conv` only)")
    conv.add_argument("--shape", metavar="NxCxHxW", help="input shape (default 1x3x8x8)")
    conv.add_argument("--out-channels", type=int, metavar="OC", help="default 8")
    conv.add_argument("--kernel", type=int, metavar="K", help="K x K kernel (default 3)")
    conv.add_argument("--stride", type=int, help="default 1")
    conv.add_argument("--pad", type=int, help="padding on every side (default 1)")
    conv.add_argument("--no-relu", action="store_true", default=None, help="no Relu after the Conv")


def _shape(text: str) -> tuple[int, int, int, int]:
    try:
        dims = tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        dims = ()
    if len(dims) != 4 or min(dims) < 1:
        raise UsageError(f"--shape {text!r}: expected NxCxHxW with positive sizes, e.g. 1x5x9x9")
    return dims  # type: ignore[return-value]


def cmd_model(args: argparse.Namespace) -> int:
    from compiler.models import build_model, conv_model

    output = check_output(args.output, "-o")
    given = [o for o in CONV_OPTIONS if getattr(args, o) is not None]
    if given and args.name != "conv":
        raise UsageError(f"--{given[0].replace('_', '-')} applies to the `conv` model only")
    if given:
        n, c, h, w = _shape(args.shape or "1x3x8x8")
        pick = lambda value, default: default if value is None else value  # noqa: E731
        model = conv_model(n, c, h, w, oc=pick(args.out_channels, 8), k=pick(args.kernel, 3),
                           stride=pick(args.stride, 1), pad=pick(args.pad, 1), relu=not args.no_relu)  # fmt: skip
    else:
        model = build_model(args.name)
    write_output(output, model.SerializeToString())
    print(f"wrote {args.output}")
    return EXIT_OK
