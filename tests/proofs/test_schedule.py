"""`genesys prove` beyond bounds: compiled networks prove with every obligation kind, and a
planted bug of each kind is refuted with a counterexample a person can act on."""

import json
import re

import numpy as np
import pytest

from compiler import Options, compile_model
from compiler.models import conv_model, mobilenet_v2, resnet_model
from genesys import cli
from isa_spec import Instruction, decode, encode, load_arch
from isa_spec.image import Image
from networks import branchy_model, clipped_conv
from proofs import KINDS, prove_image

TINY, DEFAULT = load_arch("tiny"), load_arch("default")
R18 = resnet_model("resnet18", size=32, width=8, classes=10)


def issue_conv() -> Image:
    """The 1x5x9x9 conv of issue 12 (7 output channels, 3x3, stride 2, pad 1) for tiny."""
    return compile_model(conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1), TINY)


CORRECT = {
    "conv-s2-p1": issue_conv,
    "conv-8-tiles": lambda: compile_model(conv_model(c=8, h=20, w=20, oc=16), TINY),
    "conv-ic-split": lambda: compile_model(conv_model(c=8, h=7, w=7, oc=8), TINY, tiling={"conv0": {"IC": 2}}),
    "grouped": lambda: compile_model(clipped_conv(2), TINY),
    "depthwise": lambda: compile_model(clipped_conv(8), TINY),
    "branchy": lambda: compile_model(branchy_model(), TINY),
    "resnet18-mini": lambda: compile_model(R18, TINY),
    "resnet18-mini-unfused": lambda: compile_model(R18, TINY, options=Options(fuse=False)),
    "conv-default": lambda: compile_model(conv_model(c=20, h=13, w=11, oc=40, stride=2, pad=1), DEFAULT),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_compiled_programs_prove_with_every_obligation_kind(name):
    report = prove_image(CORRECT[name]())
    assert report.ok, report.format()
    kinds = {o.kind for o in report.obligations}
    assert kinds >= {"bounds", "cover", "maps"}, kinds
    if name not in ("branchy",):
        assert "reduction" in kinds


@pytest.mark.slow
@pytest.mark.parametrize("model", ["resnet50-mini", "mobilenetv2-mini"])
def test_the_compilers_default_networks_prove(model):
    m = {"resnet50-mini": resnet_model("resnet50", size=32, width=8, classes=10),
         "mobilenetv2-mini": mobilenet_v2(size=32, width=0.25, classes=10)}[model]  # fmt: skip
    report = prove_image(compile_model(m, DEFAULT))
    assert report.ok, report.format()


# ---- planted bugs -------------------------------------------------------------------------
def change(image: Image, pc: int, **fields: int) -> Image:
    """The image with instruction `pc`'s fields changed."""
    words = list(image.words)
    ins = decode(words[pc])
    values = dict(ins.fields()) | fields
    words[pc] = encode(Instruction(ins.row, tuple(values[f.name] for f in ins.row.fields)))
    return Image(image.arch, words, image.dram, image.symbols, image.layers, image.model)


def change32(image: Image, low_pc: int, delta: int) -> Image:
    """The image with the 32-bit value set by the LOW/HIGH pair at `low_pc` moved by `delta`."""
    low, high = decode(image.words[low_pc]), decode(image.words[low_pc + 1])
    value = (high["value"] << 16 | low["value"]) + delta
    return change(change(image, low_pc, value=value & 0xFFFF), low_pc + 1, value=value >> 16)


def find(image: Image, mnemonic: str, start: int = 0, **fields: object) -> int:
    """The first pc at or after `start` holding `mnemonic` with the given field values (names or numbers)."""
    for pc in range(start, len(image.words)):
        ins = decode(image.words[pc])
        if ins.mnemonic == mnemonic and all(
            (ins.name_of(k) if isinstance(v, str) else ins[k]) == v for k, v in fields.items()
        ):
            return pc
    raise LookupError(f"{mnemonic} {fields}")


def layer_pcs(image: Image, name: str) -> int:
    return next(m["pcs"][0] for m in image.layers if m["name"] == name)


def refuted(image: Image, kind: str, *patterns: str, checks=KINDS) -> str:
    """The first failure of `kind`; it must match every pattern."""
    report = prove_image(image, checks)
    assert not report.ok
    fails = [o.format() for o in report.failures if o.kind == kind]
    assert fails, f"no {kind} failure among:\n{report.format()}"
    msg = next((f for f in fails if all(re.search(p, f) for p in patterns)), None)
    assert msg is not None, f"no {kind} failure matching {patterns}:\n" + "\n".join(fails[:5])
    return msg


def test_the_issues_short_compute_loop_is_refuted():
    """The issue's example: one compute loop one iteration short, so the last output row is
    never computed. It proved (26/26) before; it must fail now."""
    image = issue_conv()
    pc = find(image, "SA_LOOP_CFG", loop_id=12)
    bad = change(image, pc, iters=decode(image.words[pc])["iters"] - 1)
    refuted(bad, "reduction", r"as many multiply-accumulates as pairs", r"runs 11520 .* need 14400")
