"""Decode 1,000,000 random 32-bit words; every one must decode or raise IllegalInstruction."""

import random
import time

from isa_spec import IllegalInstruction, decode

N = 1_000_000


def main() -> None:
    rng = random.Random(2026)
    words = [rng.getrandbits(32) for _ in range(N)]
    legal = 0
    t = time.perf_counter()
    for w in words:
        try:
            decode(w)
            legal += 1
        except IllegalInstruction:
            pass
    dt = time.perf_counter() - t
    print(f"decode: {N} random words in {dt:.2f} s = {N / dt:,.0f} words/s; "
          f"{legal} legal ({100 * legal / N:.1f}%), {N - legal} rejected, no other exception")


if __name__ == "__main__":
    main()
