"""`genesys fuzz` campaigns on spec vs golden (fast): a planted golden bug is found, shrunk
and saved whole; a clean campaign reports its coverage; the same seed gives the same
campaign on one process, two processes or resumed in two halves."""

import json
import xml.etree.ElementTree as ET

import pytest

import golden.alu
from cosim.fuzz import Campaign, Config
from cosim.fuzz.replay import replay
from genesys.cli import main
from isa_spec.coverage import instruction_points, spec_points

SPEC_GOLDEN = Config("tiny", ("spec", "golden"), rtl_coverage=False)
FAILURE_FILES = {"program.gnx", "program.s", "report.txt", "replay.txt", "choices.bin", "meta.json"}


def plant_max_is_min(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setitem(golden.alu.LANE_OPS, "MAX", golden.alu.LANE_OPS["MIN"])


def test_a_planted_golden_bug_is_found_shrunk_saved_and_replayed(monkeypatch, tmp_path, capsys):
    plant_max_is_min(monkeypatch)
    summary = Campaign(tmp_path, SPEC_GOLDEN, seed=3).run(programs=480)
    sigs = [f["signature"] for f in summary.failures]
    assert "golden-tandem-MAX-data" in sigs, sigs
    folder = tmp_path / "failures" / "golden-tandem-MAX-data"
    assert {p.name for p in folder.iterdir()} == FAILURE_FILES
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["shrunk"] and meta["instructions"] <= 8, (folder / "program.s").read_text()
    assert "MAX" in (folder / "program.s").read_text()
    assert "DIVERGENCE: golden differs from spec in unit tandem" in (folder / "report.txt").read_text()
    assert (folder / "replay.txt").read_text().strip() == f"genesys fuzz --replay {folder}"
    capsys.readouterr()
    assert replay(folder) == 1 and "FAILS with golden-tandem-MAX-data" in capsys.readouterr().out
    junit = tmp_path / "fuzz.xml"  # CI reads the failures found so far from JUnit XML
    assert main(["fuzz", "--resume", "--programs", "1", "--corpus", str(tmp_path), "--junit", str(junit)]) == 1
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == set(sigs) and all(c.find("failure") is not None for c in cases.values())
    assert cases["golden-tandem-MAX-data"].find("failure").get("message") == f"genesys fuzz --replay {folder}"
    monkeypatch.undo()
    assert replay(folder) == 0


def test_a_clean_campaign_exits_0_with_its_coverage_in_json(tmp_path, capsys):
    out = tmp_path / "c.json"
    code = main(["fuzz", "--backends", "spec,golden", "--programs", "96", "--corpus", str(tmp_path / "c"),
                 "--json", str(out), "--junit", str(tmp_path / "c.xml")])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0, text
    data = json.loads(out.read_text())
    assert data["programs"] == 96 and data["failures"] == 0 and data["seconds"] > 0
    (case,) = ET.parse(tmp_path / "c.xml").getroot().iter("testcase")
    assert case.get("name") == "96 programs" and case.find("failure") is None
    cov = data["coverage"]
    assert cov["spec_points_total"] == len(spec_points()) and 0 < cov["spec_points_hit"] < cov["spec_points_total"]
    assert cov["spec_instructions_total"] == len(instruction_points())
    assert (cov["rtl_lines_total"], cov["rtl_toggles_total"]) == (0, 0)  # no rtl backend in this campaign
    assert len(data["spec_holes"]) == cov["spec_points_total"] - cov["spec_points_hit"]
    assert "fuzz clean: 96 programs agreed" in text and "\r" not in text
    state = json.loads((tmp_path / "c" / "state.json").read_text())
    assert state["corpus"] and all((tmp_path / "c" / "corpus" / f"{i:09d}.bin").exists() for i, _ in state["corpus"])


def _campaign_facts(folder):  # noqa: ANN001, ANN202
    state = json.loads((folder / "state.json").read_text())
    corpus = {i: (folder / "corpus" / f"{i:09d}.bin").read_bytes() for i, _ in state["corpus"]}
    failures = {p.name: (p / "program.s").read_text() for p in (folder / "failures").iterdir()}
    return state["spec_hit"], state["corpus"], corpus, state["failures"], failures, state["next_index"]


def test_the_same_seed_gives_the_same_campaign_on_1_or_2_workers_or_resumed(monkeypatch, tmp_path):
    plant_max_is_min(monkeypatch)  # forked workers inherit the planted bug
    Campaign(tmp_path / "one", SPEC_GOLDEN, seed=5).run(programs=192)
    Campaign(tmp_path / "two", SPEC_GOLDEN, seed=5).run(programs=192, workers=2)
    Campaign(tmp_path / "halves", SPEC_GOLDEN, seed=5).run(programs=96)
    Campaign(tmp_path / "halves", resume=True).run(programs=96)
    one = _campaign_facts(tmp_path / "one")
    assert one[3], "the planted bug was not found: the comparison would be weak"
    assert _campaign_facts(tmp_path / "two") == one
    assert _campaign_facts(tmp_path / "halves") == one


@pytest.mark.parametrize("argv, message", [
    (["--time", "10x"], "--time '10x': expected a positive duration"),
    (["--programs", "0"], "--programs 0: expected a positive count"),
    (["--time", "1m", "--programs", "5"], "--time and --programs exclude each other"),
    (["--backends", "spec"], "expected at least two different backends"),
    (["--backends", "spec,nope"], "unknown backend 'nope'"),
    (["--workers", "2", "--ray", "auto"], "--ray and --workers exclude each other"),
    (["--arch", "huge"], "huge"),
    (["--resume"], "no campaign to resume"),
])  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    code = main(["fuzz", "--corpus", str(tmp_path / "c"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "c" / "state.json").exists() or argv == ["--resume"]


def test_a_campaign_folder_is_not_overwritten(tmp_path, capsys):
    assert main(["fuzz", "--backends", "spec,golden", "--programs", "4", "--corpus", str(tmp_path)]) == 0
    assert main(["fuzz", "--backends", "spec,golden", "--programs", "4", "--corpus", str(tmp_path)]) == 2
    assert "holds a campaign already" in capsys.readouterr().err
    assert main(["fuzz", "--seed", "9", "--resume", "--programs", "4", "--corpus", str(tmp_path)]) == 2
    assert main(["fuzz", "--resume", "--programs", "4", "--corpus", str(tmp_path)]) == 0
