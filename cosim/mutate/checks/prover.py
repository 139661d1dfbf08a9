"""prover: the schedule-mutant set (cosim/schedule_mutants.py). Every correct image of a set
that uses every layer kind and Tandem instruction family the compiler emits must prove, and
every silent wrong schedule drawn from it (a single-field change that gives other outputs on
golden without a fault; `aimed` at single obligations) must be refuted, as must tensors
placed over live ones or over a zero border. The small images and their first CROSS_CHECKED
wrong schedules are proved again with every obligation decided by Z3 (`--solver-only`), and each obligation
must get the same answer both ways (`disagreement`): a shortcut that proves what Z3 refutes,
or a solver form that refutes what the shortcut proves, is a prover bug, on any obligation
and not only on the verdict. Every obligation of a report must
be well formed: one of the five kinds, at an instruction of the program, of a layer of the
image, saying what it is about in words, and proved (a correct image) or refuted with a
counterexample or an unknown and its reason; the report's text and JSON must say what its
obligations say (`misreported`).
The Z3 operations the spec's lane functions are read through (`proofs/z3ops.py`) must give
what the same functions give on Python integers (`lifting`), and the prover's own tests must
pass: planted bugs refuted with the counterexamples they name, the compiler's networks
proved, the affine forms, the tensor at an address and the cover's alignment test against
hand-worked values (`TESTS`).

`prepare` compiles the images and classifies their mutants on golden (not under check here).
"""

from __future__ import annotations

from typing import Any

SILENT_PER_IMAGE = 8
CROSS_CHECKED = 4  # wrong schedules per small image also proved with Z3 alone (the rarest aims: Z3 is slower)
NETWORK = "resnet18-mini (maxpool, residual add)"
TESTS = ["tests/proofs/test_linear.py", "tests/proofs/test_cover.py",
         "tests/proofs/test_bounds.py::test_the_tensor_at_an_address_is_one_its_layer_touches",
         "tests/proofs/test_schedule.py"]  # fmt: skip


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
    silent wrong schedules (`aimed`), and for ResNet-18-mini tensors placed over live ones or
    over a zero border."""
    from compiler import compile_model
    from compiler.models import resnet_model
    from cosim import schedule_mutants as sm
    from isa_spec import load_arch

    out: dict[str, list] = {}
    for name, image in images().items():
        if only and name not in only:
            continue
        out[name] = [image, aimed(image, silent_per_image)]
    if only:
        return out
    model = resnet_model("resnet18", size=32, width=4, classes=10)
    image = compile_model(model, load_arch("tiny"))
    placed = [(f"placement: {m.description}", m.image) for border in (False, True)
              for m in sm.placement_mutants(model, load_arch("tiny"), 2, seed=3, border=border)
              if sm.classify(image, m.image) == "silent"]  # fmt: skip
    out[NETWORK] = [image, placed]
    return out


def aimed(image: Any, count: int, seed: int = 7) -> list[tuple[str, Any]]:
    """`count` silent wrong schedules of `image` (description, image), aimed at single
    obligations: of a sample three times larger, taking the obligations the prover refutes
    (by kind and what they are about, names and numbers aside) rarest first, for each the
    schedule it refutes with the fewest failing obligations; then the rest, fewest failures
    first, in that order. A weakened obligation then lets through a schedule that little else
    refutes."""
    import re
    from collections import Counter

    from cosim import schedule_mutants as sm
    from proofs import prove_image

    found: list[tuple] = []
    memo: dict = {}
    for m in sm.sample(image, 3 * count, seed=seed):
        if sm.classify(image, m.image, memo=memo) == "silent":
            failures = prove_image(m.image, timeout_ms=2000).failures
            about = {(o.kind, re.sub(r"'[^']*'|\d+", "_", o.where)) for o in failures}
            found.append((len(failures), about, f"{m.kind}: {m.description}", m.image))
    found.sort(key=lambda f: f[0])
    seen = Counter(a for f in found for a in f[1])
    best = [next(i for i, f in enumerate(found) if a in f[1]) for a in sorted(seen, key=lambda a: (seen[a], a))]
    order = list(dict.fromkeys(best + list(range(len(found)))))[:count]
    return [found[i][2:] for i in order]


def check(fixture: dict[str, list]) -> str | None:
    from . import lifting
    from .common import first, run_tests

    return first([("schedules", lambda: schedules(fixture)), ("Z3 reading of the lane functions", lifting.differs),
                  ("the prover's tests", lambda: run_tests(TESTS)),
                  ("shortcuts against the solver", lambda: disagreement(fixture))])  # fmt: skip


def disagreement(fixture: dict[str, list]) -> str | None:
    """The first obligation that the prover decides one way with its shortcuts and the other
    with Z3 alone (`--solver-only`), on a small image of the fixture (not the network) or one
    of its first CROSS_CHECKED wrong schedules, described (None: none). Each way's report must also be well
    formed and say what its obligations say."""
    from proofs import prove_image

    for name, (image, silent) in fixture.items():
        if name == NETWORK:
            continue
        for desc, candidate in [("the correct image", image), *silent[:CROSS_CHECKED]]:
            fast, solver = prove_image(candidate), prove_image(candidate, solver_only=True)
            problem = ill_formed(candidate, solver) or misreported(solver)
            if problem:
                return f"{name}, {desc}, solver only: {problem}"
            answers = {(o.pc, o.kind, o.where): o.ok for o in solver.obligations}
            for o in fast.obligations:
                if answers.get((o.pc, o.kind, o.where), not o.ok) != o.ok:
                    return (f"{name}, {desc}: instruction {o.pc}, {o.kind}: {o.where}: "
                            f"{'proved' if o.ok else 'refuted'} by the shortcuts, not by Z3 alone")  # fmt: skip
            if len(answers) != len(fast.obligations):
                return f"{name}, {desc}: {len(fast.obligations)} obligations with the shortcuts, {len(answers)} without"
    return None


def schedules(fixture: dict[str, list]) -> str | None:
    """The first correct image that does not prove, or silent wrong schedule that does, or
    report that is ill formed or misreported, described (None: none)."""
    from proofs import prove_image

    for name, (image, _) in fixture.items():
        report = prove_image(image)
        if not report.ok:
            return f"a correct image does not prove ({name}): {report.format().splitlines()[0]}"
        problem = ill_formed(image, report) or misreported(report)
        if problem:
            return f"{name}: {problem}"
    for name, (_, silent) in fixture.items():
        for desc, mutant in silent:
            report = prove_image(mutant)
            if report.ok:
                return f"a silent wrong schedule proves ({name}, {desc})"
            problem = ill_formed(mutant, report) or misreported(report)
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


def misreported(report: Any) -> str | None:
    """Where the report's text or JSON disagrees with its obligations, described: the first
    failure of each (layer, kind) shown, the count of the rest, the verdict line, each kind's
    proved/total and slowest obligation, the JSON's verdict, counts and failures."""
    import json

    failures = [o for o in report.obligations if o.status != "proved"]
    first, seen = [], set()
    for o in failures:
        if (o.layer, o.kind) not in seen:
            seen.add((o.layer, o.kind))
            first.append(o)
    lines = report.format().splitlines()
    if [(o.pc, o.where) for o in report.first_failures()] != [(o.pc, o.where) for o in first]:
        return "the first failure of each layer and kind is not the one listed"
    for o, line in zip(first, lines):
        if f"instruction {o.pc}, {o.kind}: {o.where}: {o.status.upper()}" not in line:
            return f"failure line {line!r} does not show {o.kind} at {o.pc}"
    n, bad = len(report.obligations), len(failures)
    verdict = f"proof {'FAILS' if bad else 'HOLDS'}: {n - bad}/{n} obligations proved ({bad} failed)"
    if not any(line.startswith(verdict) for line in lines) or (bad > len(first)) != any(
            line.startswith(f"({bad - len(first)} more failing") for line in lines):  # fmt: skip
        return f"the report's text does not say {verdict!r} (or the count of failures not shown)"
    by_kind = {k: [o for o in report.obligations if o.kind == k] for k in report.checks}
    counts = {k: (sum(o.ok for o in obs), len(obs)) for k, obs in by_kind.items()}
    for kind, obs in by_kind.items():
        slowest = max((o.seconds for o in obs), default=0.0)
        proved = f"{counts[kind][0]}/{counts[kind][1]}"
        if obs and not any(line.split()[:2] == [kind, proved] and f"slowest {slowest:.2f} s" in line for line in lines):
            return f"the summary of {kind} does not say {proved} and its slowest"
    data = json.loads(report.to_json())
    kinds = {k: (v["proved"], v["total"]) for k, v in data["kinds"].items()}
    if data["verdict"] != ("FAILS" if bad else "HOLDS") or kinds != counts or len(data["failures"]) != bad:
        return "the JSON report disagrees with the obligations"
    return None
