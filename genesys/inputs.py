"""Input tensors of the command line (`--input NAME=FILE.npy`), checked against the image before
anything runs: known names, the model's shapes, floats for a float input and integers that fit
for an integer one (the NPU's int8 tensors with `--raw`), no NaN or infinity."""

from __future__ import annotations

import numpy as np

from isa_spec import GenesysError
from isa_spec.image import Image


class InputError(GenesysError):
    """An input file that does not fit the model."""


def parse_input_flags(items: list[str]) -> dict[str, str]:
    """`NAME=FILE.npy` flags as {name: path}."""
    out = {}
    for item in items:
        name, eq, path = item.partition("=")
        if not eq or not name or not path:
            raise InputError(f"--input expects NAME=FILE.npy, got {item!r}")
        if name in out:
            raise InputError(f"--input {name}: given twice")
        out[name] = path
    return out


def load_npy(path: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    except ValueError as e:
        raise InputError(f"{path}: not a .npy array ({e})") from None


def read_inputs(image: Image, items: list[str], raw: bool = False) -> dict[str, np.ndarray]:
    """The `--input` tensors for `image`, each checked (see the module docstring): the model's
    inputs (those of its host part, if it has one), or with `raw` the NPU's int8 inputs."""
    from runtime.host import model_inputs
    from runtime.session import input_names

    expected = ({n: (image.symbol(n).shape, np.dtype(image.symbol(n).dtype)) for n in input_names(image)} if raw
                else model_inputs(image))  # fmt: skip
    known = list(expected)
    given = parse_input_flags(items)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError(f"--input {unknown[0]}: the model has no input of that name (its inputs: {', '.join(known)})")
    missing = [n for n in known if n not in given]
    if missing:
        raise InputError(f"missing --input {missing[0]}=FILE.npy (the model's inputs: {', '.join(known)})")
    return {name: check_input(name, path, load_npy(path), *expected[name], raw) for name, path in given.items()}


def check_input(name: str, path: str, x: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, raw: bool) -> np.ndarray:
    """`x` as input `name` of `shape` and `dtype`, or a one-line `InputError` saying what does
    not fit."""
    where = f"--input {name}={path}"
    if tuple(x.shape) != tuple(shape):
        raise InputError(f"{where}: shape {tuple(x.shape)}, the model's input {name!r} is {tuple(shape)}")
    if dtype.kind in "iu":
        if x.dtype.kind not in "iu":
            what = f"--raw takes the {dtype} tensor itself" if raw else f"the model's input is {dtype}"
            raise InputError(f"{where}: holds {x.dtype}; {what} (integers)")
        info = np.iinfo(dtype)
        if x.size and (x.min() < info.min or x.max() > info.max):
            raise InputError(f"{where}: values {x.min()}..{x.max()} do not fit {dtype}")
        return x.astype(dtype)
    if x.dtype.kind != "f":
        raise InputError(f"{where}: holds {x.dtype}; the model takes float input (pass --raw for the NPU's int8 tensors)")
    bad = ~np.isfinite(x)
    if bad.any():
        kind = "NaN" if np.isnan(x).any() else "infinity"
        raise InputError(f"{where}: holds {kind} ({int(bad.sum())} element(s), the first at "
                         f"{tuple(int(i) for i in np.argwhere(bad)[0])})")  # fmt: skip
    return x.astype(np.float32)


def seeded_inputs(image: Image, count: int, seed: int) -> list[dict[str, np.ndarray]]:
    """`count` sets of deterministic model inputs (`runtime.host.sample_model_inputs`), seeds
    `seed`, `seed + 1`, ..."""
    from runtime.host import sample_model_inputs

    return [sample_model_inputs(image, seed + k) for k in range(count)]
