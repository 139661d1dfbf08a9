"""The Verilator-built NPU agrees with the spec record for record, faults included."""

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest

from compiler import Options, compile_model, quantized_layers
from compiler.models import conv_model, mobilenet_v2, resnet_model
from compiler.reference import quantized_graph
from corpus import corpus
from cosim import lockstep
from isa_spec import DmaRecord, Unit, decode, encode, load_arch
from isa_spec.encoding import Instruction
from isa_spec.gen import sv_params
from isa_spec.image import Image
from isa_spec.table import DMA_WIDTH_BYTES
from networks import per_channel_qdq
from programs import tandem_requant
from rtl.build import SOURCES, UNROLL_FLAGS
from runtime import open_device, read_tensor, write_tensor
from runtime.session import quantized_inputs, sample_inputs

pytestmark = pytest.mark.rtl


@pytest.mark.parametrize("arch", ["tiny", "default", "large"])
def test_lint_clean_with_all_warnings(arch, tmp_path):
    (tmp_path / "params.svh").write_text(sv_params(load_arch(arch)))
    proc = subprocess.run([shutil.which("verilator"), "--lint-only", "-Wall", *UNROLL_FLAGS, f"-I{tmp_path}", *map(str, SOURCES),
                           "--top-module", "npu"], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr


def agree(image, inputs=None, backends=("spec", "rtl")):
    result = lockstep(image, list(backends), inputs)
    assert result.ok, result.format()
    return result


@pytest.mark.parametrize("name", corpus())
def test_rtl_equals_spec_on_the_corpus(name):
    case = corpus()[name]
    result = agree(case.image, case.inputs)
    assert (result.fault is not None) == name.startswith("fault-")
    assert result.counters["rtl"]["cycles"] > 0


def test_compiled_conv_on_default_against_golden():
    image = compile_model(conv_model(c=16, h=10, w=10, oc=32), load_arch("default"))
    agree(image, quantized_inputs(image, sample_inputs(image)), ("golden", "rtl"))


def test_input_channel_split_on_tiny_against_spec():
    """Partial sums leave OBUF for DRAM after one input-channel tile and come back for the next."""
    image = compile_model(conv_model(c=32, h=6, w=6, oc=8), load_arch("tiny"), tiling={"conv0": {"IC": 4, "OC": 2}})
    assert image.layers[0]["tiles"] == 8
    agree(image, quantized_inputs(image, sample_inputs(image)), ("spec", "golden", "rtl"))


@pytest.mark.parametrize("args", [(8, 6, 6, 8, True), (4, 2, 2, 520, False)], ids=["residual", "table-in-chunks"])
def test_per_channel_requantisation_on_tiny_against_spec(args):
    """Per-channel weight scales: the multipliers' table is loaded into the top of the other
    VMEM (a chunk's worth at a time for 520 channels) and read by the MUL per channel word."""
    image = compile_model(per_channel_qdq(*args[:4], residual=args[4]), load_arch("tiny"))
    agree(image, quantized_inputs(image, sample_inputs(image)), ("spec", "golden", "rtl"))


def test_the_dram_channel_width_sets_the_transfer_cycles():
    """`dram.beat_bytes` is the channel width. A word of B bytes moves in ceil(B / beat)
    cycles; an SA load moves min(beat, 16) // B words narrower than that per cycle (16: tiny's
    widest buffer word, the width of the buffer write port); stores and Tandem words move one
    per beat. The same program on a 4-byte channel against tiny's 16 bytes changes nothing
    but the cycles, by exactly the extra beats of every request (SA words: IBUF 4, WBUF 16,
    BBUF/OBUF 16 bytes; Tandem words: lanes x element bytes)."""
    wide = load_arch("tiny")
    narrow = dataclasses.replace(wide, name="tiny-narrow", beat_bytes=4)
    image = compile_model(conv_model(c=8, h=6, w=6, oc=8), wide)
    inputs = quantized_inputs(image, sample_inputs(image))
    runs = {arch.beat_bytes: agree(dataclasses.replace(image, arch=arch), inputs, ("spec", "rtl")) for arch in (wide, narrow)}
    spec = open_device("spec", wide)
    spec.load(image)
    for name, value in inputs.items():
        write_tensor(spec, image, name, value)

    def request_cycles(rec: DmaRecord, word: int, beat: int) -> int:
        words = len(rec.data) // word
        per_beat = max(1, min(beat, 16) // word) if rec.unit == Unit.SA and rec.direction == "LD" else 1
        return -(-words // per_beat) * -(-word // beat)

    extra = 0
    for rec in [r for records in spec.run().log.values() for r in records]:
        if not isinstance(rec, DmaRecord) or rec.space == "IMEM":
            continue
        word = (wide.word_bytes(rec.space) if rec.unit == Unit.SA
                else wide.lanes * DMA_WIDTH_BYTES[decode(image.words[rec.pc]).name_of("width")])  # fmt: skip
        extra += request_cycles(rec, word, 4) - request_cycles(rec, word, 16)
    assert extra > 0
    assert runs[4].counters["rtl"]["cycles"] - runs[16].counters["rtl"]["cycles"] == extra


def test_illegal_word_faults_identically():
    image = tandem_requant()
    image.words[5] = 0x1A000000  # CALCULUS fn 10 (LOG2): named but undefined
    assert agree(image).fault.startswith("illegal-instruction at instruction 5")


def test_rtl_equals_spec_on_a_compiled_resnet18_on_tiny():
    """Every layer kind of a ResNet: strided 7x7 stem, 3x3 and 1x1 convs, residual Add+Relu,
    MaxPool, GlobalAveragePool and the fully connected layer."""
    image = compile_model(resnet_model("resnet18", size=32, width=8, classes=10), load_arch("tiny"))
    result = agree(image, quantized_inputs(image, sample_inputs(image)), ("spec", "golden", "rtl"))
    assert result.records["rtl"] > 1000


def test_rtl_equals_golden_on_a_compiled_resnet50_on_default():
    image = compile_model(resnet_model("resnet50", size=32, width=8, classes=10), load_arch("default"))
    result = agree(image, quantized_inputs(image, sample_inputs(image)), ("golden", "rtl"))
    assert result.records["rtl"] > 1000


def resnet50_layer_kinds(image, layers):
    """One layer of each kind (op, kernel, stride, Tandem buffer) of a compiled ResNet-50:
    name -> meta, the first of each kind."""
    chosen = {}
    for meta in image.layers:
        layer = layers[meta["name"]]
        key = (meta["op"], getattr(layer, "weight", np.zeros((1, 1, 0, 0))).shape[2], getattr(layer, "stride", 1),
               meta["buffers"]["Tandem"])  # fmt: skip
        chosen.setdefault(key, meta)
    return {m["name"]: m for m in chosen.values()}


def test_rtl_equals_spec_on_resnet50_layers_of_every_kind_on_tiny():
    """ResNet-50's bottleneck network (small input and width) compiled for tiny, each layer
    kind run on its own from the reference's int8 inputs: its program exceeds tiny's IMEM
    as a whole, so the compile uses a larger IMEM, which changes no instruction."""
    tiny = load_arch("tiny")
    model = resnet_model("resnet50", size=32, width=8, classes=10)
    whole = compile_model(model, dataclasses.replace(tiny, imem_depth=1 << 14), options=Options(reuse_dram=False))
    assert len(whole.words) > tiny.imem_depth
    qlayers = quantized_layers(model)
    env = quantized_graph(qlayers, quantized_inputs(whole, sample_inputs(whole)))
    kinds = resnet50_layer_kinds(whole, {q.layer.name: q.layer for q in qlayers})
    ops = {(m["op"], m.get("tiling", {}).get("IC", "")) for m in kinds.values()}
    assert {"Conv+Relu", "Conv+Add+Relu", "Conv", "MaxPool", "GlobalAveragePool"} <= {op for op, _ in ops}
    by_name = {q.layer.name: q.layer for q in qlayers}
    for name, meta in kinds.items():
        first, stop = meta["pcs"]
        single = Image(tiny, whole.words[first:stop] + [encode(Instruction.make("BLOCK_END", last=1))], whole.dram,
                       whole.symbols)  # fmt: skip
        single.validate()
        layer = by_name[name]
        feeds = {t: env[t] for t in layer.inputs}
        assert agree(single, feeds, ("spec", "golden", "rtl")).records["rtl"] > 0, name
        golden = open_device("golden", tiny)
        golden.load(single)
        for t, value in feeds.items():
            write_tensor(golden, single, t, value)
        golden.run()
        out = read_tensor(golden, single, layer.y)
        np.testing.assert_array_equal(out, env[layer.y].reshape(out.shape), err_msg=name)


def test_rtl_equals_golden_on_a_compiled_mobilenetv2_on_default():
    """Depthwise convs (block-diagonal weight words), ReLU6 as Clip, Conv+Add without Relu."""
    image = compile_model(mobilenet_v2(size=32, width=0.25, classes=10), load_arch("default"))
    result = agree(image, quantized_inputs(image, sample_inputs(image)), ("golden", "rtl"))
    assert result.records["rtl"] > 1000


def test_rtl_equals_spec_on_every_conformance_program():
    """All 206 generated programs (at least one per instruction), faults included."""
    from conformance import all_cases

    cases = [c for v in all_cases().values() for c in v]
    diverged = [f"{c.mnemonic} {c.label}: {r.format().splitlines()[0]}" for c in cases
                if not (r := lockstep(c.image, ["spec", "rtl"])).ok]  # fmt: skip
    assert not diverged, "\n".join(diverged)
    assert len(cases) >= 200
