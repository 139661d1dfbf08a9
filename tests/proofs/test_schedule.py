"""`genesys prove` beyond bounds: compiled networks prove with every obligation kind, and a
planted bug of each kind is refuted with a counterexample a person can act on."""

import json
import re

import numpy as np
import pytest

from compiler import Options, compile_model
from compiler.models import cnn_model, conv_model, mobilenet_v2, resnet_model
from genesys import cli
from isa_spec import Instruction, decode, encode, load_arch
from isa_spec.image import Image
from networks import activation_model, branchy_model, clipped_conv
from proofs import KINDS, prove_image

TINY, DEFAULT = load_arch("tiny"), load_arch("default")
R18 = resnet_model("resnet18", size=32, width=8, classes=10)


def issue_conv() -> Image:
    """The 1x5x9x9 conv of issue 12 (7 output channels, 3x3, stride 2, pad 1) for tiny."""
    return compile_model(conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1), TINY)


CORRECT = {
    "conv-s2-p1": issue_conv,
    "conv-8-tiles": lambda: compile_model(conv_model(c=8, h=20, w=20, oc=16), TINY,  # the tiling the tests were
                                          tiling={"conv0": {"OC": 1, "OH": 1, "OW": 7}}),  # written for  # fmt: skip
    "conv-ic-split": lambda: compile_model(conv_model(c=8, h=7, w=7, oc=8), TINY, tiling={"conv0": {"IC": 2}}),
    "grouped": lambda: compile_model(clipped_conv(2), TINY),
    "depthwise": lambda: compile_model(clipped_conv(8), TINY),
    "branchy": lambda: compile_model(branchy_model(), TINY),
    "resnet18-mini": lambda: compile_model(R18, TINY),
    "resnet18-mini-unfused": lambda: compile_model(R18, TINY, options=Options(fuse=False)),
    "conv-default": lambda: compile_model(conv_model(c=20, h=13, w=11, oc=40, stride=2, pad=1), DEFAULT),
    "cnn-mini": lambda: compile_model(cnn_model(), TINY),
    **{f"{op.lower()}-alone": lambda op=op: compile_model(activation_model(op), TINY)
       for op in ("Clip", "LeakyRelu", "Mul", "Mul-per-channel")},
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_compiled_programs_prove_with_every_obligation_kind(name):
    report = prove_image(CORRECT[name]())
    assert report.ok, report.format()
    kinds = {o.kind for o in report.obligations}
    assert kinds >= {"bounds", "cover", "maps", "order"}, kinds
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
    refuted(bad, "reduction", r"as many multiply-accumulates as pairs", r"runs 11520 .* need 14400",
            r"no multiply-accumulate reaches accumulators \(OBUF\)\[n=0, oc=0, oh=4, ow=0\] \(its oh never reaches 4\)")


# cover ----------------------------------------------------------------------------------------
def test_a_store_into_the_border_is_refuted():
    """ResNet-18-mini's stem output is read by a padded MaxPool, so it has a zero border: a
    store one pixel to the left writes into it."""
    image = compile_model(R18, TINY)
    conv1 = next(m for m in image.layers if m["name"] == "conv1")
    pc = find(image, "ST_CONFIG_BASE_ADDR", conv1["pcs"][0], half="LOW")
    bad = change32(image, pc, -image.symbol("conv1.relu").storage_shape[3])
    refuted(bad, "cover", r"outside the region", r"conv1\.relu\[n=0, c=\d+, h=\d+, w=-1\]")


def test_a_store_aimed_at_the_previous_chunk_is_refuted():
    image = CORRECT["conv-8-tiles"]()
    first = find(image, "ST_CONFIG_BASE_ADDR", half="LOW")
    second = find(image, "ST_CONFIG_BASE_ADDR", first + 2, half="LOW")
    value = decode(image.words[first])["value"] - decode(image.words[second])["value"]
    msg = refuted(change32(image, second, value), "cover", r"is written twice")
    a, b = find(image, "ST_START", first), find(image, "ST_START", second)
    assert re.search(rf"by instruction {a} at .* and by instruction {b} at", msg), msg


def test_a_dropped_store_names_an_element_never_written():
    image = CORRECT["conv-8-tiles"]()
    pc = find(image, "ST_START")
    words = list(image.words)
    words[pc] = encode(Instruction.make("NOP"))
    bad = Image(image.arch, words, image.dram, image.symbols, image.layers, image.model)
    refuted(bad, "cover", r"write \d+ elements, the region holds 6400", r"y\[n=0, c=0, h=0, w=0\] is never written")


# reduction ------------------------------------------------------------------------------------
def test_a_mispaired_input_is_refuted_with_the_pair():
    image = issue_conv()
    pc = find(image, "SET_LOOP_STRIDE", access="RD", buffer="IBUF", loop_id=13, half="LOW")
    msg = refuted(change32(image, pc, -1), "reduction", r"pairs the right input, weight and output")
    assert re.search(r"accumulators \(OBUF\)\[n=0, oc=\d+, oh=\d+, ow=\d+\] \+= x\[.*\] x conv0\.weight\[oc=\d+, "
                     r"ic=\d+, kh=\d+, kw=\d+\]", msg), msg


def test_a_doubled_multiply_accumulate_is_refuted():
    """The OH tile loop's input stride zero: the second row of tiles reads the first's inputs."""
    image = CORRECT["conv-8-tiles"]()
    loop = next(lp for lp in decode_all(image) if lp.mnemonic == "SA_LOOP_CFG" and lp["loop_id"] < 8 and lp["iters"] > 1)
    pc = find(image, "SET_LOOP_STRIDE", access="LD", buffer="IBUF", loop_id=loop["loop_id"], half="LOW")
    low = decode(image.words[pc])["value"]
    refuted(change32(image, pc, -low), "reduction", r"pairs the right input")


def decode_all(image: Image) -> list[Instruction]:
    return [decode(w) for w in image.words]


def test_a_bias_from_the_wrong_channel_is_refuted():
    image = issue_conv()
    pc = find(image, "SET_LOOP_STRIDE", access="RD", buffer="BBUF", half="LOW")
    refuted(change32(image, pc, 1), "reduction", r"start from the bias of their channel",
            r"starts from conv0\.bias\[oc=\d+\]")


def test_a_step_reading_another_accumulator_word_is_refuted():
    image = issue_conv()
    pc = find(image, "SET_LOOP_STRIDE", access="RD", buffer="OBUF", loop_id=12, half="LOW")
    refuted(change32(image, pc, 1), "reduction", r"an accumulating step reads the word it writes",
            r"reads OBUF word \d+ and writes word \d+")


def test_partial_sums_loaded_from_elsewhere_are_refuted():
    image = CORRECT["conv-ic-split"]()
    row_loop = max(i["loop_id"] for i in decode_all(image) if i.mnemonic == "SET_LOOP_STRIDE" and i.name_of("access") == "LD"
                   and i.name_of("buffer") == "OBUF")  # a transfer loop of the partial sums' load
    pc = find(image, "SET_LOOP_STRIDE", access="LD", buffer="OBUF", loop_id=row_loop, half="LOW")
    refuted(change32(image, pc, 4), "reduction", r"continue from the partial sums they store")


def test_weights_that_are_not_the_models_are_refuted():
    image = issue_conv()
    w = image.symbol("conv0.weight")
    dram = [(a, bytes(d)) for a, d in image.dram]
    k = next(i for i, (a, d) in enumerate(dram) if a <= w.addr < a + len(d))
    a, d = dram[k]
    raw = bytearray(d)
    raw[w.addr - a] ^= 1
    dram[k] = (a, bytes(raw))
    bad = Image(image.arch, image.words, dram, image.symbols, image.layers, image.model)
    refuted(bad, "reduction", r"weight 'conv0\.weight'", r"not the quantised model's \(hash differs\)")


def test_an_obuf_handoff_after_two_tiles_is_refuted():
    image = issue_conv()
    pc = find(image, "SA_LOOP_CFG", loop_id=2)
    refuted(change(image, pc, iters=2), "reduction", r"only the last tile's accumulators stay in OBUF")


# maps -----------------------------------------------------------------------------------------
def test_a_requantisation_reading_the_neighbouring_accumulator_is_refuted():
    image = issue_conv()
    pc = find(image, "BASE_SIGN_EXT", ns="OBUF")
    msg = refuted(change(image, pc, value=1), "maps", r"from the same element of its operands")
    assert re.search(r"y\[n=0, c=\d+, h=\d+, w=\d+\] is computed from accumulators \(OBUF\)\[n=0, oc=\d+", msg), msg


def test_a_loop_one_short_leaves_an_element_computed_otherwise():
    image = CORRECT["conv-8-tiles"]()
    pc = find(image, "SET_ITER", find(image, "ST_START"))
    msg = refuted(change(image, pc, iters=decode(image.words[pc])["iters"] - 1), "maps", r"every element computed alike")
    assert "is computed as LD accumulators B32; the other elements as FXP32_TO_FXP8(" in msg, msg


def test_a_pool_window_tap_one_off_is_refuted():
    image = CORRECT["branchy"]()
    avg = next(m for m in image.layers if m["computes"]["op"] == "AveragePool")
    pc = find(image, "BASE_SIGN_EXT", avg["pcs"][0], ns="VMEM1", idx=9)
    pc = find(image, "BASE_SIGN_EXT", pc + 1, ns="VMEM1", idx=9)  # the second tap
    refuted(change(image, pc, value=decode(image.words[pc])["value"] + 1), "maps", r"exactly its window|computed alike")


def test_a_global_pool_missing_a_row_is_refuted():
    image = CORRECT["branchy"]()
    gap = next(m for m in image.layers if m["computes"]["op"] == "GlobalAveragePool")
    pc = find(image, "SET_ITER", find(image, "LD_START", gap["pcs"][0]))  # the nest summing the loaded rows
    refuted(change(image, pc, iters=decode(image.words[pc])["iters"] - 1), "maps",
            r"sums \d+ elements; the plane has \d+")


def test_a_dropped_load_reads_a_word_the_layer_never_wrote():
    image = issue_conv()
    two = compile_model(conv_model(c=8, h=6, w=6, oc=8), TINY, options=Options(buffer={"conv0": "VMEM1"}))
    pc = find(two, "LD_START")
    words = list(two.words)
    words[pc] = encode(Instruction.make("NOP"))
    bad = Image(two.arch, words, two.dram, two.symbols, two.layers, two.model)
    refuted(bad, "maps", r"VMEM1 word never written by the layer")
    assert image  # the OBUF hand-off has no load to drop; a DRAM-path conv does


# order ----------------------------------------------------------------------------------------
def test_two_groups_exchanged_read_before_the_write():
    image = compile_model(R18, TINY)
    meta = next(m for m in image.layers if m["name"] == "pool")
    start = meta["pcs"][0]
    nxt = next(m for m in image.layers if m["pcs"][0] == meta["pcs"][1])
    a0, a1, b0, b1 = start, meta["pcs"][1] - 0, nxt["pcs"][0], None
    sa_end = find(image, "SYNC_INST", b0, edge="END")
    b1 = sa_end + 1
    words = image.words[:a0] + image.words[b0:b1] + image.words[a0:a1] + image.words[b1:]
    bad = Image(image.arch, words, image.dram, image.symbols, image.layers, image.model)
    assert not prove_image(bad, ("order",)).ok


def test_a_tensor_placed_over_a_live_one_is_refuted():
    from cosim.schedule_mutants import placement_mutants

    (m,) = placement_mutants(R18, TINY, 1)
    refuted(m.image, "order", r"writes bytes of '.*' that its producer never writes|overwrites '.*' after its producer",
            checks=("order",))


# the report, the command line ---------------------------------------------------------------
def test_unknown_is_a_failure(monkeypatch):
    import z3

    from proofs import structure

    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    monkeypatch.setattr(structure, "macs", lambda *a: None)  # the pairing goes to the solver
    report = prove_image(issue_conv(), workers=1)
    assert not report.ok and any(o.status == "unknown" for o in report.obligations)
    assert not any(o.status == "proved" and o.seconds for o in report.obligations)  # nothing the solver was asked
    assert re.search(r"UNKNOWN Z3 returned unknown .* not proved", report.format())


def test_the_summary_names_every_kind_and_the_slowest(tmp_path, capsys):
    path = tmp_path / "c.gnx"
    issue_conv().save(path)
    out = tmp_path / "r.json"
    assert cli.main(["prove", str(path), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    for kind in ("bounds", "cover", "reduction", "maps", "order"):
        assert re.search(rf"^  {kind} +\d+/\d+ +proved .* slowest", text, re.M), text
    data = json.loads(out.read_text())
    assert data["verdict"] == "HOLDS" and data["kinds"]["reduction"]["proved"] == data["kinds"]["reduction"]["total"] > 0


def test_check_and_layer_select_what_is_proved(tmp_path, capsys):
    path = tmp_path / "n.gnx"
    compile_model(branchy_model(), TINY).save(path)
    assert cli.main(["prove", str(path), "--check", "cover,order", "--layer", "conv1"]) == 0
    text = capsys.readouterr().out
    assert "checked: cover, order" in text and "reduction" not in text.split("checked:")[1]
    assert cli.main(["prove", str(path), "--check", "bounds,speed"]) == 2
    assert "obligation kinds are bounds, cover, reduction, maps, order" in capsys.readouterr().err
    assert cli.main(["prove", str(path), "--layer", "nope"]) == 2
    assert "--layer 'nope'" in capsys.readouterr().err


def test_a_failing_proof_exits_1_with_the_counterexample(tmp_path, capsys):
    image = issue_conv()
    pc = find(image, "SA_LOOP_CFG", loop_id=12)
    path = tmp_path / "bad.gnx"
    change(image, pc, iters=4).save(path)
    assert cli.main(["prove", str(path)]) == 1
    assert "COUNTEREXAMPLE" in capsys.readouterr().out


def test_workers_do_not_change_the_verdicts():
    image = CORRECT["branchy"]()
    one, two = prove_image(image, workers=1), prove_image(image, workers=2)
    key = lambda r: sorted((o.layer or "", o.pc, o.kind, o.where, o.status) for o in r.obligations)  # noqa: E731
    assert key(one) == key(two) and np.all([o.ok for o in one.obligations])


def test_solver_only_decides_every_shortcut_obligation_with_z3_and_agrees():
    image = issue_conv()
    fast, slow = prove_image(image), prove_image(image, solver_only=True)
    assert fast.ok and slow.ok
    decided = lambda r: sum(o.seconds == 0 for o in r.obligations)  # noqa: E731  # no solver call
    assert decided(slow) < decided(fast) / 4, (decided(slow), decided(fast))
    bad = change32(image, find(image, "ST_CONFIG_BASE_ADDR", half="LOW"), image.symbol("x").addr - image.symbol("y").addr)
    assert "cover" in {o.kind for o in prove_image(bad, solver_only=True).failures}


def test_a_layer_writing_its_own_input_is_refuted_by_cover():
    image = issue_conv()
    pc = find(image, "ST_CONFIG_BASE_ADDR", half="LOW")
    shift = image.symbol("x").addr - image.symbol("y").addr
    refuted(change32(image, pc, shift), "cover", r"it writes tensor 'x', which the layer does not produce")


def test_a_nest_beyond_what_the_trace_follows_is_unsupported_not_proved():
    """A requantisation whose loop level writes one word twice (stride 0 on a level that is
    not a reduction the trace knows) is reported as unsupported: a failure to prove."""
    image = CORRECT["conv-8-tiles"]()
    pc = find(image, "STRIDE_SIGN_EXT", ns="VMEM1", idx=1)
    report = prove_image(change(image, pc, value=0), ("maps",))
    assert not report.ok
    assert any("unsupported:" in o.detail or "computed" in o.detail for o in report.failures), report.format()
