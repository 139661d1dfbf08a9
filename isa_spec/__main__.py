"""`python -m isa_spec gen [--check]`: the same generator as `genesys gen`."""

import sys

from .gen import generate

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] != ["gen"]:
        sys.exit("usage: python -m isa_spec gen [--check]")
    stale = generate(check="--check" in args)
    for p in stale:
        print(("stale: " if "--check" in args else "wrote: ") + str(p))
    sys.exit(1 if stale and "--check" in args else 0)
