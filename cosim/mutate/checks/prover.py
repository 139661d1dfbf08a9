"""prover: the schedule-mutant set (cosim/schedule_mutants.py). Every correct image of a set
that uses every layer kind and Tandem instruction family the compiler emits must prove,
and every silent wrong schedule drawn from it (a single-field change that gives other
outputs on golden without a fault) must be refuted, as must tensors placed over live ones.
Every obligation of a report must be well formed: one of the five kinds, at an instruction
of the program, of a layer of the image, saying what it is about in words, and proved
(a correct image) or refuted with a counterexample or an unknown and its reason.

`prepare` compiles the images and classifies their mutants on golden (not under check here).
"""

from __future__ import annotations

from typing import Any

SILENT_PER_IMAGE = 8


def images() -> dict[str, Any]:
    from compiler import compile_model
    from compiler.models import conv_model
    from isa_spec import load_arch
    from networks import branchy_model, clipped_conv

    tiny, default = load_arch("tiny"), load_arch("default")
    return {
        "conv 5x9x9->7 s2 p1": compile_model(conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1), tiny),
        "grouped conv, 2 OC tiles": compile_model(clipped_conv(2), tiny, tiling={"conv": {"OC": 2}}),
        "depthwise conv": compile_model(clipped_conv(8), tiny),
        "conv, IC split": compile_model(conv_model(c=8, h=7, w=7, oc=8), tiny, tiling={"conv0": {"IC": 2}}),
        "pad, mul, leaky relu, avgpool, concat, GAP, matmul": compile_model(branchy_model(), tiny),
        "conv 20x13x11->40 s2 (default)": compile_model(conv_model(c=20, h=13, w=11, oc=40, stride=2, pad=1), default),
    }


def prepare(silent_per_image: int = SILENT_PER_IMAGE, only: tuple[str, ...] = ()) -> dict[str, list]:
    """Per image (`only` these, if named): the image, and (description, mutant image) of its
    silent wrong schedules."""
    from compiler.models import resnet_model
    from cosim import schedule_mutants as sm
    from isa_spec import load_arch

    out: dict[str, list] = {}
    for name, image in images().items():
        if only and name not in only:
            continue
        silent = []
        for m in sm.sample(image, 4 * silent_per_image, seed=7):
            if len(silent) < silent_per_image and sm.classify(image, m.image) == "silent":
                silent.append((f"{m.kind}: {m.description}", m.image))
        out[name] = [image, silent]
    if only:
        return out
    model = resnet_model("resnet18", size=32, width=4, classes=10)
    placed = [(f"placement: {m.description}", m.image) for m in sm.placement_mutants(model, load_arch("tiny"), 2, seed=3)]
    from compiler import compile_model

    out["resnet18-mini (maxpool, residual add)"] = [compile_model(model, load_arch("tiny")), placed]
    return out


def check(fixture: dict[str, list]) -> str | None:
    from proofs import prove_image

    for name, (image, _) in fixture.items():
        report = prove_image(image)
        if not report.ok:
            return f"a correct image does not prove ({name}): {report.format().splitlines()[0]}"
        problem = ill_formed(image, report)
        if problem:
            return f"{name}: {problem}"
    for name, (_, silent) in fixture.items():
        for desc, mutant in silent:
            report = prove_image(mutant)
            if report.ok:
                return f"a silent wrong schedule proves ({name}, {desc})"
            problem = ill_formed(mutant, report)
            if problem:
                return f"{name}, {desc}: {problem}"
    return None


def ill_formed(image: Any, report: Any) -> str | None:
    """The first obligation of `report` (on `image`) that is not well formed, described."""
    from proofs.obligation import KINDS

    layers = {m["name"] for m in image.layers}
    for o in report.obligations:
        if (o.kind not in KINDS or not 0 <= o.pc < len(image.words) or not (o.layer is None or o.layer in layers)
                or not isinstance(o.where, str) or not o.where.strip()
                or o.status not in ("proved", "counterexample", "unknown")
                or not isinstance(o.detail, str) or (o.status != "proved") != bool(o.detail.strip())):  # fmt: skip
            return f"an ill-formed obligation: {o!r}"[:300]
    return None
