"""The bounds obligations prove correct programs and catch planted bugs with named counterexamples."""

import pytest

from compiler import compile_model
from compiler.models import conv_model, resnet_model
from genesys import cli
from isa_spec import Instruction, decode, encode, load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.image import Image, Symbol
from programs import sa_matmul, tandem_requant
from proofs import obligation, prove_image

TINY = load_arch("tiny")


def acceptance_image() -> Image:
    return compile_model(conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1), TINY)


def mutate(image: Image, match, change) -> Image:
    """A copy of `image` with every instruction for which `match(ins)` holds re-encoded by `change`."""
    words = []
    for w in image.words:
        ins = decode(w)
        if match(ins):
            fields = dict(ins.fields())
            change(fields)
            ins = Instruction(ins.row, tuple(fields[f.name] for f in ins.row.fields))
        words.append(encode(ins))
    return Image(image.arch, words, image.dram, image.symbols, image.layers, image.model)


def bounds(image):
    return prove_image(image, checks=("bounds",))


def failures(report):
    assert not report.ok
    return [o.format() for o in report.failures]


@pytest.mark.parametrize("make", [sa_matmul, tandem_requant, acceptance_image])
def test_correct_programs_prove(make):
    report = prove_image(make())
    assert report.ok, report.format()
    assert len(report.obligations) >= 10


def test_compiled_conv_with_several_tiles_proves():
    report = prove_image(compile_model(conv_model(c=8, h=20, w=20, oc=16), TINY))
    assert report.ok and len(report.obligations) > 100


def test_ibuf_row_stride_off_by_one_gives_a_counterexample():
    image = mutate(acceptance_image(),
                   lambda i: i.mnemonic == "SET_LOOP_STRIDE" and i["loop_id"] == 22 and i.name_of("half") == "LOW",
                   lambda f: f.update(value=f["value"] + 1))  # fmt: skip
    (msg,) = failures(bounds(image))
    # the last input row of the (only) tile runs off the end of the input tensor
    assert "LD IBUF request: COUNTEREXAMPLE" in msg and "transfer loop 22 = 10" in msg
    assert "outside tensor 'x'" in msg


def test_loop_bound_off_by_one_gives_a_counterexample():
    image = mutate(acceptance_image(), lambda i: i.mnemonic == "SA_LOOP_CFG" and i["loop_id"] == 13,
                   lambda f: f.update(iters=f["iters"] + 1))  # fmt: skip
    msgs = failures(bounds(image))
    assert any("array step RD IBUF" in m and "compute loop 13 = 5" in m for m in msgs), msgs


def test_base_one_word_too_high_lands_outside_the_tensor():
    image = sa_matmul()
    out = image.symbol("y")
    image = mutate(image, lambda i: i.mnemonic == "SET_BASE_ADDR" and i.name_of("buffer") == "OBUF"
                   and i.name_of("half") == "LOW", lambda f: f.update(value=f["value"] + 16))  # fmt: skip
    (msg,) = failures(bounds(image))
    assert "ST OBUF request" in msg and f"outside tensor 'y' [{out.addr:#x}" in msg


def test_vmem_loop_one_word_past_the_depth():
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("BASE_ZEROFILL", ns="VMEM2", idx=3, value=TINY.vmem_depth - 10)
        p.add("STRIDE_ZEROFILL", ns="VMEM2", idx=3, value=1)
        p.add("SET_ITER", level=0, iters=11)
        p.add("SET_INDEX", dst_ns="VMEM2", dst_idx=3, src1_ns="VMEM2", src1_idx=3, src2_ns="IMM")
        p.add("SET_INST", level=0, body=1)
        p.add("ADD", dst_ns="VMEM2", dst_idx=3, src1_ns="VMEM2", src1_idx=3, src2_ns="IMM")
    p.end()
    msgs = failures(prove_image(Image(TINY, p.words)))
    assert len(msgs) == 2  # dst and src1
    assert all("loop level 0 = 10: [256, +1) is outside VMEM2 depth 256" in m for m in msgs), msgs


def test_dram_access_in_the_neighbouring_tensor():
    image = tandem_requant(words=4)
    x = image.symbol("x")
    image.symbols["x"] = Symbol("x", x.addr, x.dtype, (x.shape[0] - 4,), (x.shape[0] - 4,), "input")
    (msg,) = failures(bounds(image))
    assert "LD_START request" in msg and "outside tensor 'x'" in msg


def test_a_layer_writing_into_a_tensor_it_does_not_own_is_caught():
    """The pool layer's stores moved into the network input: inside some tensor, but not
    one the layer touches (with DRAM reuse, tensors share addresses, so only the layer's
    own tensors bound its accesses)."""
    image = compile_model(resnet_model("resnet18", size=32, width=8, classes=10), TINY)
    assert prove_image(image).ok
    pool = next(m for m in image.layers if m["name"] == "pool")
    shift = image.symbol("pool").addr - image.symbol("x").addr
    words = list(image.words)
    for pc in range(*pool["pcs"]):
        low, high = decode(words[pc]), decode(words[pc + 1])
        if low.mnemonic == "ST_CONFIG_BASE_ADDR" and low.name_of("half") == "LOW":  # HIGH follows
            value = (high["value"] << 16 | low["value"]) - shift
            for k, (ins, half) in enumerate(((low, value & 0xFFFF), (high, value >> 16))):
                fields = dict(ins.fields()) | {"value": half}
                words[pc + k] = encode(Instruction(ins.row, tuple(fields[f.name] for f in ins.row.fields)))
    moved = Image(image.arch, words, image.dram, image.symbols, image.layers, image.model)
    msgs = failures(bounds(moved))
    assert msgs and all("ST_START request" in m and "lies in no tensor layer 'pool' reads or writes" in m for m in msgs), msgs


def test_cli_prove_exit_codes(tmp_path, capsys):
    good, bad = tmp_path / "good.gnx", tmp_path / "bad.gnx"
    acceptance_image().save(good)
    mutate(acceptance_image(), lambda i: i.mnemonic == "SA_LOOP_CFG" and i["loop_id"] == 13,
           lambda f: f.update(iters=f["iters"] + 1)).save(bad)  # fmt: skip
    assert cli.main(["prove", str(good)]) == 0
    assert "proof HOLDS" in capsys.readouterr().out
    assert cli.main(["prove", str(bad)]) == 1
    assert "COUNTEREXAMPLE" in capsys.readouterr().out


def test_timeout_default_is_finite():
    assert 0 < obligation.DEFAULT_TIMEOUT_MS <= 60_000


def test_the_tensor_at_an_address_is_one_its_layer_touches():
    """DRAM reuse puts several tensors at one address; an access is the layer's own tensor:
    a store its output, a load one of its inputs, also where two of its tensors overlap."""
    import dataclasses

    from proofs.bounds import symbol_at
    from proofs.program import record

    image = compile_model(resnet_model("resnet18", size=32, width=4, classes=10), TINY)
    program = record(image)
    shared = 0
    for meta in image.layers:
        rec, pc = meta["computes"], meta["pcs"][0]
        for name, direction in [(rec["output"], "ST")] + [(t, "LD") for t in rec["inputs"]]:
            addr = image.symbols[name].addr
            shared += sum(lo <= addr < hi for lo, hi, _ in program.extents) > 1
            assert symbol_at(program, pc, addr, direction).name == name, (meta["name"], name)
    assert shared > 0  # the test is about reuse: some address holds several tensors
    meta = next(m for m in image.layers if m["computes"]["op"] == "Conv")
    rec = meta["computes"]
    x = image.symbols[rec["inputs"][0]]
    symbols = dict(image.symbols) | {rec["output"]: dataclasses.replace(image.symbols[rec["output"]], addr=x.addr)}
    program = record(dataclasses.replace(image, symbols=symbols))
    assert symbol_at(program, meta["pcs"][0], x.addr, "ST").name == rec["output"]
    assert symbol_at(program, meta["pcs"][0], x.addr, "LD").name == x.name
    other = image.layers[-1]["computes"]["output"]  # a tensor the conv does not touch, first in the table
    w = image.symbols[rec["weight"]]
    symbols = {other: dataclasses.replace(image.symbols[other], addr=w.addr)} | dict(image.symbols)
    symbols[other] = dataclasses.replace(image.symbols[other], addr=w.addr)
    program = record(dataclasses.replace(image, symbols=symbols))
    assert symbol_at(program, meta["pcs"][0], w.addr, "LD").name == w.name
