"""The Verilator-built NPU agrees with the spec record for record, faults included."""

import shutil
import subprocess

import pytest

from compiler import compile_model
from compiler.models import conv_model
from cosim import lockstep
from isa_spec import load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.gen import sv_params
from isa_spec.image import Image
from programs import sa_matmul, tandem_requant
from rtl.build import SOURCES, UNROLL_FLAGS
from runtime.session import quantized_inputs, sample_inputs

pytestmark = pytest.mark.rtl
TINY = load_arch("tiny")


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


@pytest.mark.parametrize("make", [sa_matmul, tandem_requant], ids=["sa-matmul", "tandem-requant"])
def test_hand_written_programs(make):
    agree(make())


@pytest.mark.parametrize("kw", [dict(c=5, h=9, w=9, oc=7, stride=2, pad=1), dict(c=8, h=20, w=20, oc=16),
                                dict(c=3, h=7, w=7, oc=5, k=1, pad=0, relu=False)], ids=["acceptance", "tiles", "1x1"])  # fmt: skip
def test_compiled_conv_layers(kw):
    image = compile_model(conv_model(**kw), TINY)
    result = agree(image, quantized_inputs(image, sample_inputs(image)))
    assert result.counters["rtl"]["cycles"] > 0


def test_compiled_conv_on_default_against_golden():
    image = compile_model(conv_model(c=16, h=10, w=10, oc=32), load_arch("default"))
    agree(image, quantized_inputs(image, sample_inputs(image)), ("golden", "rtl"))


def faulting(build) -> Image:
    p = ProgramBuilder()
    build(p)
    p.end()
    return Image(TINY, p.words)


def fault_programs():
    def illegal(p):
        with p.group("SIMD", 0):
            p.add("IMM_SIGN_EXT", idx=0, value=1)
        p.instructions.insert(2, p.instructions[1])  # count no longer matches: malformed group

    def vmem_overrun(p):
        with p.group("SIMD", 0):
            p.add("BASE_ZEROFILL", ns="VMEM1", idx=1, value=TINY.vmem_depth - 2)
            p.add("STRIDE_ZEROFILL", ns="VMEM1", idx=1, value=1)
            p.add("SET_ITER", level=0, iters=4)
            p.add("SET_INDEX", dst_ns="VMEM1", dst_idx=1, src1_ns="VMEM1", src1_idx=1, src2_ns="IMM")
            p.add("SET_INST", level=0, body=2)
            p.add("ADD", dst_ns="VMEM1", dst_idx=1, src1_ns="VMEM1", src1_idx=1, src2_ns="IMM")
            p.add("RELU", dst_ns="VMEM1", dst_idx=1, src1_ns="VMEM1", src1_idx=1)

    def dram_overrun(p):
        with p.group("SIMD", 0):
            p.add32("ST_CONFIG_BASE_ADDR", TINY.dram_bytes - 8, ns="VMEM2")
            p.add("ST_START", ns="VMEM2", width="B32", size=1)

    def sa_bad_step(p):
        with p.group("SA", 0):
            p.add("SA_LOOP_CFG", loop_id=8, iters=TINY.obuf_depth + 1)
            p.add32("SET_LOOP_STRIDE", 1, access="WR", buffer="OBUF", loop_id=8)

    def unimplemented(p):
        with p.group("SIMD", 0):
            p.add("DIV", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="VMEM1")

    def outside_group(p):
        p.add("SET_ITER", level=0, iters=1)

    return {"malformed": illegal, "vmem-overrun": vmem_overrun, "dram-overrun": dram_overrun,
            "sa-step": sa_bad_step, "unimplemented": unimplemented, "outside-group": outside_group}  # fmt: skip


@pytest.mark.parametrize("name", fault_programs())
def test_faults_match_the_spec(name):
    image = faulting(fault_programs()[name])
    result = agree(image)
    assert result.fault is not None


def test_illegal_word_faults_identically():
    image = tandem_requant()
    image.words[5] = 0x1A000000  # CALCULUS fn 10 (LOG2): named but undefined
    assert agree(image).fault.startswith("illegal-instruction at instruction 5")
