"""Layer-parallel lockstep from checkpoints (`cosim.layers`, `genesys cosim --from-checkpoints`):
every layer of a small network agrees and together they cover the whole run; a golden bug
that only one layer exercises is a DIVERGE naming that layer (and no other: the layers
after it start from golden's checkpoints); bad checkpoints and options are exit 2."""

from pathlib import Path

import pytest

import golden.alu
from cosim.layers import run_layers
from genesys import cli
from runtime import open_device, write_tensor
from runtime.session import quantized_inputs, sample_inputs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SMALL = "pool,conv2,conv3,gap,fc"  # the MaxPool layer, its neighbours and the last layers


@pytest.fixture(scope="module")
def gnx(tmp_path_factory):
    from compiler import compile_model
    from compiler.models import build_model
    from isa_spec import load_arch

    path = tmp_path_factory.mktemp("net") / "r18.gnx"
    compile_model(build_model("resnet18-mini"), load_arch("tiny")).save(path)
    return path


def _inputs(path: Path, seed: int = 0):  # noqa: ANN202
    from isa_spec.image import Image

    image = Image.load(path)
    return image, quantized_inputs(image, sample_inputs(image, seed))


def test_every_layer_agrees_and_the_layers_cover_the_whole_run(gnx, tmp_path):
    image, inputs = _inputs(gnx)
    seen = []
    run = run_layers(gnx, ["spec", "golden"], "all", inputs, tmp_path, workers=2,
                     on_layer=lambda v, done, total: seen.append((done, total)))  # fmt: skip
    assert run.ok, run.format()
    assert [v.layer for v in run.verdicts] == [m["name"] for m in image.layers]
    assert sorted(seen) == [(i, len(image.layers)) for i in range(1, len(image.layers) + 1)]
    dev = open_device("golden", image.arch)
    dev.load(image)
    for name, value in inputs.items():
        write_tensor(dev, image, name, value)
    whole = sum(len(v) for v in dev.run().log.values())
    assert sum(v.records["spec"] for v in run.verdicts) == whole  # each record in exactly one layer
    assert run.format().splitlines()[-1].startswith(f"cosim AGREE on {len(image.layers)}/{len(image.layers)} layers")


def test_a_golden_bug_in_one_layer_is_a_divergence_naming_it(gnx, tmp_path, monkeypatch):
    _, inputs = _inputs(gnx)
    monkeypatch.setitem(golden.alu.LANE_OPS, "MAX", golden.alu.LANE_OPS["MIN"])  # MaxPool's reduction
    run = run_layers(gnx, ["spec", "golden"], SMALL, inputs, tmp_path, workers=2)
    assert [v.layer for v in run.verdicts if not v.ok] == ["pool"], run.format()
    text = run.format()
    assert "layer pool: DIVERGE" in text and "MAX dst=" in text
    assert text.splitlines()[-1].startswith("cosim DIVERGE on 1 of 5 layers (pool)")


def test_a_restore_that_loses_a_buffer_is_a_state_mismatch(gnx, tmp_path, monkeypatch):
    """The state every backend ends a layer in is compared: golden restoring a zeroed OBUF
    (the records of these layers do not read the stale words) differs at the layer's end."""
    from runtime.backends.golden import GoldenDevice

    _, inputs = _inputs(gnx)
    restore = GoldenDevice.restore_state

    def forgetful(self, state):  # noqa: ANN001, ANN202
        restore(self, state)
        self.machine.obuf[...] = 0

    monkeypatch.setattr(GoldenDevice, "restore_state", forgetful)
    run = run_layers(gnx, ["spec", "golden"], "conv3,fc", inputs, tmp_path)
    assert not run.ok
    assert all("STATE MISMATCH at the end: spec vs golden in OBUF word" in v.report for v in run.verdicts if not v.ok)


def test_cli_verdicts_and_exit_codes(gnx, tmp_path, capsys, monkeypatch):
    kept = tmp_path / "kept"
    args = ["cosim", str(gnx), "--from-checkpoints", "--layers", "conv3,fc", "--checkpoints", str(kept)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "layer conv3: AGREE" in out and "layer fc: AGREE" in out
    assert sorted(p.name for p in kept.iterdir()) == ["003-conv3.gck", "022-fc.gck"]
    assert cli.main(args) == 0 and "checkpoints reused" in capsys.readouterr().out
    bad = {
        "made from other inputs": args + ["--seed", "4"],
        "the rtl backend cannot save or restore a checkpoint: the RTL driver": args + ["--backends", "golden,rtl"],
        "--layers needs --from-checkpoints": ["cosim", str(gnx), "--layers", "fc"],
        "--workers needs --from-checkpoints": ["cosim", str(gnx), "--workers", "2"],
        "no layer named 'conv99'": ["cosim", str(gnx), "--from-checkpoints", "--layers", "conv99"],
        "--ray and --workers exclude each other": args + ["--workers", "2", "--ray", "auto"],
    }
    for why, argv in bad.items():
        assert cli.main(argv) == 2, why
        err = capsys.readouterr().err
        assert why in err and len(err.strip().splitlines()) == 1, err
    blob = bytearray((kept / "003-conv3.gck").read_bytes())
    blob[len(blob) // 3] ^= 1
    (kept / "003-conv3.gck").write_bytes(blob)
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "003-conv3.gck: checksum mismatch" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setitem(golden.alu.LANE_OPS, "MAX", golden.alu.LANE_OPS["MIN"])
    assert cli.main(["cosim", str(gnx), "--from-checkpoints", "--layers", "pool,conv2"]) == 1
    assert "cosim DIVERGE on 1 of 2 layers (pool)" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::ResourceWarning")
def test_ray_and_local_processes_give_the_same_verdicts(gnx, tmp_path, monkeypatch):
    """The same run on a local 2-CPU Ray instance, with the same golden bug planted in its
    workers, gives the same verdicts, divergence reports included."""
    import ray

    def plant_max_is_min() -> None:  # nested: Ray ships it to its workers by value
        import golden.alu

        golden.alu.LANE_OPS["MAX"] = golden.alu.LANE_OPS["MIN"]

    _, inputs = _inputs(gnx)
    monkeypatch.setitem(golden.alu.LANE_OPS, "MAX", golden.alu.LANE_OPS["MIN"])  # here and in forked workers
    local = run_layers(gnx, ["spec", "golden"], SMALL, inputs, tmp_path / "local", workers=2)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"worker_process_setup_hook": plant_max_is_min})  # fmt: skip
    try:
        assert int(ray.cluster_resources()["CPU"]) == 2
        on_ray = run_layers(gnx, ["spec", "golden"], SMALL, inputs, tmp_path / "ray", use_ray=True)
    finally:
        ray.shutdown()
    assert on_ray.workers == 2
    assert not local.ok and [v.verdict() for v in on_ray.verdicts] == [v.verdict() for v in local.verdicts]


def test_layers_after_a_fault_are_not_reached_and_say_why(gnx, tmp_path):
    """A program that faults at the start of `gap`: gap agrees (both backends fault the same
    way, as in a whole run); fc, which no run reaches, gets no verdict but the reason."""
    from isa_spec import Instruction, encode
    from isa_spec.image import Image

    image, inputs = _inputs(gnx)
    words = list(image.words)
    sync_end = Instruction.make("SYNC_INST", unit="SA", edge="END", kind="EXEC", group=0, count=0)
    words[image.layers[-2]["pcs"][0]] = encode(sync_end)
    bad = tmp_path / "bad.gnx"
    Image(image.arch, words, image.dram, image.symbols, image.layers, image.model).save(bad)
    run = run_layers(bad, ["spec", "golden"], "gap,fc", inputs, tmp_path / "ck")
    assert run.ok and [v.layer for v in run.verdicts] == ["gap"] and list(run.unreached) == ["fc"]
    assert "layer fc: not reached: the program stops before it (fault malformed-group" in run.format()
    assert "cosim AGREE on 1/1 layers (1 not reached: fc)" in run.format()
