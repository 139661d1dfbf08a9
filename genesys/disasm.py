"""`genesys disasm`: a raw program (little-endian words) or the program of a `.gnx` image as
assembly text that `genesys asm` reads back to the same words. An image's listing names each
layer where its instructions begin and marks every instruction group (`#` comments)."""

from __future__ import annotations

from collections.abc import Sequence

from isa_spec import GenesysError, IllegalInstruction, decode, format_instruction
from isa_spec.image import MAGIC, Image

COLUMN = 64  # where the comment with the instruction's index starts


def is_image(blob: bytes) -> bool:
    return blob[: len(MAGIC)] == MAGIC


def words_of(blob: bytes, where: str) -> list[int]:
    """The words of a raw program file."""
    if len(blob) % 4:
        raise GenesysError(f"{where}: {len(blob)} bytes is not a whole number of 32-bit words")
    return [int.from_bytes(blob[i : i + 4], "little") for i in range(0, len(blob), 4)]


def disassemble(words: Sequence[int], where: str) -> list[str]:
    """One line per word; an illegal word is a one-line error naming its index and offset."""
    lines = []
    for i, word in enumerate(words):
        try:
            lines.append(format_instruction(decode(word)))
        except IllegalInstruction as e:
            raise GenesysError(f"{where}: word {i} (offset {4 * i}): {e}") from None
    return lines


def disassemble_image(image: Image, where: str) -> list[str]:
    """The image's program with its layers and instruction groups marked."""
    text = disassemble(image.words, where)
    starts = {m["pcs"][0]: m for m in image.layers}
    width = len(str(len(text)))
    out = [f"# {where}: {len(text):,} instructions, {len(image.layers)} layer(s), arch {image.arch.name} "
           f"({image.arch.rows}x{image.arch.cols})"]  # fmt: skip
    for pc, line in enumerate(text):
        if pc in starts:
            m = starts[pc]
            first, end = m["pcs"]
            est = f", ~{m['estimated_cycles']:,} cycles estimated" if "estimated_cycles" in m else ""
            out.append(f"\n# ==== layer {m['name']} ({m.get('op', '?')}): instructions {first}..{end - 1}{est}")
        ins = decode(image.words[pc])
        note = ""
        if ins.row.mnemonic == "SYNC_INST":
            note = (f"  group {ins['group']} begins: {ins.name_of('unit')} {ins.name_of('kind')}, {ins['count']} "
                    f"instructions" if ins.name_of("edge") == "START" else f"  group {ins['group']} ends")  # fmt: skip
        out.append(f"{line:<{COLUMN}} # {pc:>{width}}{note}")
    return out
