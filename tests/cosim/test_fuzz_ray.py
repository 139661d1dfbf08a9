"""The same campaign sharded over a local Ray instance (2 CPUs) gives the same programs,
corpus, coverage and failures as local worker processes (a golden bug is planted in both,
so that there are failures to compare)."""

import json

import pytest

from cosim.fuzz import Campaign, Config

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning")]  # fmt: skip
SPEC_GOLDEN = Config("tiny", ("spec", "golden"), rtl_coverage=False)


def facts(folder):  # noqa: ANN001, ANN201
    state = json.loads((folder / "state.json").read_text())
    failures = {p.name: (p / "program.s").read_text() for p in (folder / "failures").iterdir()}
    corpus = [(i, (folder / "corpus" / f"{i:09d}.bin").read_bytes()) for i, _ in state["corpus"]]
    return state["spec_hit"], corpus, state["failures"], failures


def test_ray_and_local_processes_give_the_same_campaign(tmp_path, monkeypatch):
    import ray

    def plant_max_is_min() -> None:  # nested: Ray ships it to its workers by value
        import golden.alu

        golden.alu.LANE_OPS["MAX"] = golden.alu.LANE_OPS["MIN"]

    import golden.alu

    monkeypatch.setitem(golden.alu.LANE_OPS, "MAX", golden.alu.LANE_OPS["MIN"])  # here, as the hook does in Ray's workers
    Campaign(tmp_path / "local", SPEC_GOLDEN, seed=5).run(programs=192, workers=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"worker_process_setup_hook": plant_max_is_min})  # fmt: skip
    try:
        assert int(ray.cluster_resources()["CPU"]) == 2
        Campaign(tmp_path / "ray", SPEC_GOLDEN, seed=5).run(programs=192, use_ray=True)
    finally:
        ray.shutdown()
    local = facts(tmp_path / "local")
    assert local[2], "the planted bug was not found: the comparison would be weak"
    assert facts(tmp_path / "ray") == local
