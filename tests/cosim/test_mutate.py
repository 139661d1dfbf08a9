"""`genesys mutate`: the mutant generator (expected edits written by hand), the seeded order,
a bounded campaign on the lockstep engine through the CLI (JSON, resume, report, exit
codes), a reviewed-equivalent survivor, Ray against local processes, and usage errors.

The long campaigns (10 minutes per target) are benchmarks/mutation_kill_rates.py."""

import ast
import json
from pathlib import Path

import pytest

from cosim.mutate import STATUSES, TARGETS, Result, Summary, mutants
from cosim.mutate.campaign import draw
from genesys.cli import main

SOURCE = '''"""doc"""
import math


def f(a, b):
    """doc"""
    if a < b and not a:
        a = a + 1
        g(a, b)
    return min(a, b) * 2
'''

# every mutant of SOURCE, (line, operator, before, after), found by reading it
EXPECTED = {
    (7, "compare", "<", "<="), (7, "boolop", "and", "or"),
    (7, "unary", "not a", "(a)"),  # parenthesised: safe wherever the operand is
    (7, "negate", "a < b and not a", "not (a < b and not a)"),
    (8, "binop", "+", "-"), (8, "constant", "1", "0"), (8, "constant", "1", "2"),
    (9, "delete", "g(a, b)", "pass"), (9, "swap-args", "a, b", "b, a"),
    (10, "binop", "*", "+"), (10, "call", "min", "max"), (10, "constant", "2", "1"), (10, "constant", "2", "3"),
}  # fmt: skip


def test_the_generator_makes_the_edits_of_its_operator_set_and_nothing_else():
    found = mutants("x.py", SOURCE)
    got = {(m.line, m.operator, m.before, m.after) for m in found}
    assert got == EXPECTED, (got - EXPECTED, EXPECTED - got)
    for m in found:
        mutated = m.apply(SOURCE)
        ast.parse(mutated)
        changed = [i for i, (a, b) in enumerate(zip(SOURCE.splitlines(), mutated.splitlines())) if a != b]
        assert changed == [m.line - 1] and len(mutated.splitlines()) == len(SOURCE.splitlines()), m
    assert len({m.id for m in found}) == len(found)
    moved = mutants("x.py", "# a comment moves every line down\n" + SOURCE)
    assert {m.id for m in moved} == {m.id for m in found}  # ids follow the line's text, not its number


def test_the_order_is_the_seed_s_and_mixes_operators():
    target = TARGETS["cosim"]
    one, again, other = ([m.id for m, _ in draw(target, s)] for s in (4, 4, 5))
    assert one == again and one != other and sorted(one) == sorted(other)
    first = [m.operator for m, _ in draw(target, 4)[:8]]
    assert len(set(first)) >= 6, first


@pytest.fixture(scope="module")
def cosim_run(tmp_path_factory):
    """Eight mutants of the lockstep engine, through the CLI."""
    d = tmp_path_factory.mktemp("mutate")
    argv = ["mutate", "--target", "cosim", "--mutants", "8", "--seed", "2", "--state", str(d / "state"),
            "--json", str(d / "run.json"), "--html", str(d / "run.html"), "--min-kill", "0"]  # fmt: skip
    code = main(argv)
    return d, argv, code, json.loads((d / "run.json").read_text())


def test_a_bounded_campaign_writes_every_mutant_s_outcome(cosim_run):
    d, _, code, run = cosim_run
    assert code == 0 and run["target"] == "cosim" and len(run["mutants"]) == 8
    for m in run["mutants"]:
        assert {"id", "file", "line", "diff", "status", "killed_by", "seconds"} <= set(m)
        assert m["status"] in STATUSES and m["file"] == "cosim/lockstep.py"
        assert m["diff"].startswith("--- a/cosim/lockstep.py") and (m["killed_by"] is None) == (m["status"] != "killed")
    counts = {s: sum(m["status"] == s for m in run["mutants"]) for s in STATUSES}
    judged = counts["killed"] + counts["survived"] + counts["timeout"]
    assert run["kill_rate"] == (counts["killed"] + counts["timeout"]) / judged
    assert counts["killed"] >= 6, run["mutants"]  # the planted divergences kill the engine's mutants
    assert "Mutation run: cosim" in (d / "run.html").read_text()


def test_a_rerun_resumes_from_the_journal(cosim_run, capsys):
    d, argv, _, run = cosim_run
    assert main(argv[:-4] + ["--json", str(d / "again.json"), "--min-kill", "0"]) == 0
    again = json.loads((d / "again.json").read_text())
    assert again["resumed"] == 8
    assert sorted((m["id"], m["status"]) for m in again["mutants"]) == sorted((m["id"], m["status"]) for m in run["mutants"])


def test_report_shows_a_mutation_run(cosim_run, tmp_path, capsys):
    d, _, _, run = cosim_run
    assert main(["report", "--mutation", str(d / "run.json"), "-o", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "cosim/lockstep.py" in page and f"{100 * run['kill_rate']:.1f}%" in page


def test_a_reviewed_equivalent_survivor_is_marked_so():
    """The lockstep engine's `and` -> `or` in first_difference survives the checker (so
    it is run, not assumed) and is marked equivalent with the reviewed reason."""
    from cosim.mutate import isolation
    from cosim.mutate.campaign import _result, prepare

    target = TARGETS["cosim"]
    m, source = next((m, s) for m, s in draw(target, 0)
                     if m.scope == "first_difference" and m.operator == "boolop" and "DmaRecord" in m.diff(s))  # fmt: skip
    fixture, base = prepare(target, 300)
    out = isolation.run({m.file: m.apply(source)}, f"{target.checker}:check", fixture, 5 * base + 30)
    assert out.status == "survived", out.killed_by
    res = _result(m, source, out.status, out.killed_by, out.seconds)
    assert res.status == "equivalent" and "same type" in res.reason


def _summary(statuses):  # noqa: ANN001, ANN202
    s = Summary("cosim", 0, len(statuses))
    s.results = [Result(str(i), "cosim/lockstep.py", 1, "binop", "", st, "x" if st == "killed" else None, 0.1)
                 for i, st in enumerate(statuses)]  # fmt: skip
    return s


@pytest.mark.parametrize("statuses, min_kill, code", [
    (["killed"] * 19 + ["survived"], "0.95", 0),
    (["killed"] * 18 + ["survived"] * 2, "0.95", 1),
    (["killed"] * 18 + ["timeout", "equivalent", "no-build"], "1", 0),
    ([], "0.5", 1),
])  # fmt: skip
def test_exit_status_is_the_kill_rate_against_min_kill(statuses, min_kill, code, monkeypatch, tmp_path, capsys):
    import cosim.mutate

    monkeypatch.setattr(cosim.mutate, "campaign", lambda *a, **k: _summary(statuses))
    assert main(["mutate", "--target", "cosim", "--state", str(tmp_path), "--min-kill", min_kill]) == code


@pytest.mark.parametrize("argv, message", [
    (["--target", "nope"], "invalid choice: 'nope'"),
    (["--target", "cosim", "--budget", "10x"], "--budget '10x': expected a positive duration"),
    (["--target", "cosim", "--budget", "0"], "--budget '0': expected a positive duration"),
    (["--target", "cosim", "--workers", "0"], "--workers and --mutants take a positive count"),
    (["--target", "cosim", "--min-kill", "2"], "--min-kill a rate between 0 and 1"),
    (["--target", "cosim", "--workers", "2", "--ray", "auto"], "--ray and --workers exclude each other"),
])  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    code = main(["mutate", "--state", str(tmp_path / "s"), "--json", str(tmp_path / "o.json"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "s").exists()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::ResourceWarning")
def test_ray_tasks_give_the_outcomes_of_local_processes(tmp_path):
    import ray

    from cosim.mutate import campaign

    local = campaign("cosim", 300, seed=1, workers=2, state=tmp_path / "local", limit=4)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = campaign("cosim", 300, seed=1, ray="auto", state=tmp_path / "ray", limit=4)
    finally:
        ray.shutdown()
    assert sorted((r.id, r.status) for r in remote.results) == sorted((r.id, r.status) for r in local.results)
    assert Path(tmp_path / "ray" / "cosim.jsonl").exists()


def test_every_reviewed_equivalent_names_a_generated_mutant():
    from cosim.mutate import equivalent, verilog_mutants
    from cosim.mutate.isolation import ROOT

    mutated = {path for t in TARGETS.values() for path in t.paths()}
    found = {}  # file -> (source, its mutants)
    for entry in equivalent.entries():
        file = entry["file"]
        assert file in mutated, entry
        if file not in found:
            source = (ROOT / file).read_text()
            found[file] = source, (verilog_mutants.mutants if file.endswith(".sv") else mutants)(file, source)
        source, generated = found[file]
        assert any(equivalent.matches(entry, m, source.splitlines()[m.line - 1].strip()) for m in generated), entry
