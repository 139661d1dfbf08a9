"""`genesys prove`: Z3 proofs of a compiled image's schedule (`--check` kinds, per layer), of
the specification (`--spec`) or of RTL units against it (`--rtl`)."""

from __future__ import annotations

import argparse
import json

from genesys.common import EXIT_CHECK_FAILED, EXIT_OK, UsageError, load_image, write_json
from genesys.outputs import check_output

KINDS = "bounds,cover,reduction,maps,order"


def add_prove(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("image", nargs="?")
    sp.add_argument("--spec", action="store_true", help="prove the table and the walkers instead of an image")
    sp.add_argument("--rtl", action="store_true", help="prove RTL units equal to the spec (Yosys + Z3)")
    sp.add_argument("--unit", help="with --rtl: some of decoder,lane,pe,walkers (default: all of them)")
    sp.add_argument("--check", default=KINDS, metavar="KINDS",
                    help=f"obligation kinds to check (default: all): {KINDS.replace(',', ', ')}")
    sp.add_argument("--layer", help="check only this layer's obligations")
    sp.add_argument("--solver-only", action="store_true",
                    help="decide every obligation with Z3, none by intervals or affine forms (slower; a cross-check)")
    sp.add_argument("--json", metavar="FILE", help="write the verdict and every failure as JSON")
    sp.add_argument("--junit", metavar="FILE", help="write JUnit XML: one test case per proof")


def cmd_prove(args: argparse.Namespace) -> int:
    from genesys.junit import Case, write_junit

    if sum(map(bool, (args.spec, args.image, args.rtl))) != 1 or (args.unit and not args.rtl):
        raise UsageError("prove takes an IMAGE, or --spec (the specification), or --rtl [--unit U,...] (RTL units)")
    json_path = check_output(args.json, "--json") if args.json else None
    junit_path = check_output(args.junit, "--junit") if args.junit else None
    if args.rtl:
        from proofs import rtl

        results = rtl.prove_and_report(args.unit, str(json_path) if json_path else None)
        cases = [Case(r.name, f"prove.rtl.{r.unit}", None if r.ok else r.format(), r.seconds) for r in results]
        ok = all(r.ok for r in results)
    elif args.spec:
        ok, cases = _spec(json_path)
    else:
        ok, cases = _image(args, json_path)
    if junit_path is not None:
        write_junit(junit_path, "genesys prove", cases, sum(c.seconds for c in cases))
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def _spec(json_path) -> tuple[bool, list]:  # noqa: ANN001
    from genesys.junit import Case
    from proofs import prove_spec

    results = prove_spec()
    for r in results:
        print(f"{'proved' if r.ok else 'FAILED'}: {r.name}: {r.detail}")
    ok = all(r.ok for r in results)
    print(f"spec proofs {'HOLD' if ok else 'FAIL'}: {sum(r.ok for r in results)}/{len(results)}")
    write_json(json_path, {"command": "prove", "verdict": "HOLDS" if ok else "FAILS", "ok": ok,
                           "proofs": [vars(r) for r in results]})  # fmt: skip
    return ok, [Case(r.name, "prove.spec", None if r.ok else r.detail) for r in results]


def _image(args: argparse.Namespace, json_path) -> tuple[bool, list]:  # noqa: ANN001
    from genesys.junit import Case
    from genesys.progress import Progress
    from proofs import prove_image
    from proofs.schedule import parse_checks

    checks = parse_checks(args.check)
    image = load_image(args.image)
    layers = 1 if args.layer else len(image.layers)
    with Progress("prove: recording the program on the spec, then each layer", layers, "layers") as progress:
        report = prove_image(image, checks, args.layer, progress=progress.update, solver_only=args.solver_only)
    print(report.format())
    write_json(json_path, {"command": "prove", **json.loads(report.to_json())})
    cases = []
    for layer in dict.fromkeys(o.layer for o in report.obligations):
        for kind in report.checks:
            mine = [o for o in report.obligations if o.layer == layer and o.kind == kind]
            if mine:
                failed = [o for o in mine if not o.ok]
                message = (f"{len(failed)} of {len(mine)} obligations fail; the first at instruction {failed[0].pc}, "
                           f"{failed[0].where}: {failed[0].detail}") if failed else None  # fmt: skip
                cases.append(Case(f"{layer or 'program'}: {kind}", f"prove.{kind}", message, sum(o.seconds for o in mine)))
    return report.ok, cases
