"""The control/status registers: the host starts the RTL through them, and its performance
counters and fault status agree with the golden model's counters and the spec's commit log."""

import pytest

from compiler import compile_model
from compiler.models import resnet_model
from corpus import corpus
from cosim import lockstep
from isa_spec import DmaRecord, FaultKind, Unit, VectorRecord, load_arch
from isa_spec.csr import STATUS_FAULTED, STATUS_HALTED
from runtime import open_device, write_tensor
from runtime.backends.rtl import RtlDevice
from runtime.session import quantized_inputs, sample_inputs

pytestmark = pytest.mark.rtl
TINY = load_arch("tiny")


def spec_log(image, inputs):
    spec = open_device("spec", image.arch)
    spec.load(image)
    for name, value in inputs.items():
        write_tensor(spec, image, name, value)
    return spec.run()


def test_counters_agree_with_the_golden_model_and_the_commit_log():
    image = compile_model(resnet_model("resnet18", size=32, width=8, classes=10), TINY)
    inputs = quantized_inputs(image, sample_inputs(image))
    result = lockstep(image, ["golden", "rtl"], inputs)
    assert result.ok, result.format()
    rtl, golden = result.counters["rtl"], result.counters["golden"]
    assert rtl["tiles"] == golden["tiles"] > 10
    assert rtl["sa_steps"] == golden["sa_steps"] > 1000
    log = spec_log(image, inputs).log
    assert rtl["tandem_writes"] == sum(len(r.addrs) for r in log[Unit.TANDEM] if isinstance(r, VectorRecord))
    word_bytes = {"IBUF": TINY.rows, "WBUF": TINY.rows * TINY.cols, "BBUF": 4 * TINY.cols, "OBUF": 4 * TINY.cols}
    sa_words = sum(len(r.data) // word_bytes[r.space] for r in log[Unit.SA] if isinstance(r, DmaRecord))
    assert rtl["sa_dma_words"] == sa_words > 0
    assert rtl["tandem_dma_words"] > 0 and rtl["cycles"] > rtl["sa_steps"]


@pytest.mark.parametrize("name", [n for n in corpus() if n.startswith("fault-")])
def test_status_and_fault_pc_report_the_specs_fault(name):
    case = corpus()[name]
    dev = RtlDevice(TINY)
    dev.load(case.image)
    for tensor, value in (case.inputs or {}).items():
        write_tensor(dev, case.image, tensor, value)
    result = dev.run()
    want = spec_log(case.image, case.inputs or {}).fault
    status = dev.model.csr("STATUS")
    assert status & STATUS_HALTED and status & STATUS_FAULTED
    assert list(FaultKind)[status >> 4 & 0xF] == want.kind == result.fault.kind
    assert dev.model.csr("FAULT_PC") == want.pc
