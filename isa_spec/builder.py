"""A small program builder: groups with their counts filled in, 32-bit values as LOW/HIGH pairs.

>>> p = ProgramBuilder()
>>> with p.group("SIMD", 0):
...     p.add("IMM_SIGN_EXT", idx=1, value=5)
>>> p.end()
>>> len(p.words)
4
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .encoding import Instruction, encode
from .errors import EncodeError


class ProgramBuilder:
    def __init__(self) -> None:
        self.instructions: list[Instruction | int] = []  # an int: a raw word (fuzzing)

    def add(self, mnemonic: str, **fields: int | str) -> None:
        """Append one instruction (fields as for `Instruction.make`)."""
        ins = Instruction.make(mnemonic, **fields)
        encode(ins)  # fail here, not later, if a field does not fit
        self.instructions.append(ins)

    def add_word(self, word: int) -> None:
        """Append a raw 32-bit word, legal or not (random programs draw illegal ones)."""
        self.instructions.append(word & 0xFFFFFFFF)

    def add32(self, mnemonic: str, value: int, **fields: int | str) -> None:
        """Append the LOW then HIGH halves of a 32-bit `value` (HIGH commits)."""
        if not 0 <= value < 1 << 32:
            raise EncodeError(mnemonic, f"{mnemonic}: {value} does not fit 32 bits", "value", value)
        self.add(mnemonic, half="LOW", value=value & 0xFFFF, **fields)
        self.add(mnemonic, half="HIGH", value=value >> 16, **fields)

    @contextlib.contextmanager
    def group(self, unit: str, group: int, kinds: tuple[str, str] = ("EXEC", "EXEC")) -> Iterator[None]:
        """Wrap what is added inside in SYNC_INST START/END with the body count filled in
        (`kinds` of START and END: anything but EXEC is for tests of malformed groups)."""
        start = len(self.instructions)
        self.add("SYNC_INST", unit=unit, edge="START", group=group)
        yield
        count = len(self.instructions) - start - 1
        self.instructions[start] = Instruction.make("SYNC_INST", unit=unit, edge="START", kind=kinds[0], group=group,
                                                    count=count)  # fmt: skip
        self.add("SYNC_INST", unit=unit, edge="END", kind=kinds[1], group=group, count=count)

    def end(self) -> None:
        self.add("BLOCK_END", last=1)

    @property
    def words(self) -> list[int]:
        return [i if isinstance(i, int) else encode(i) for i in self.instructions]
