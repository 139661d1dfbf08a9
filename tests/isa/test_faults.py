"""Program faults: typed, at the right instruction, committed as a record, machine stopped."""

from isa_spec import FaultKind, FaultRecord, Unit, decode, load_arch
from isa_spec.builder import ProgramBuilder
from isa_spec.semantics import Machine
from programs import sa_matmul, tandem_requant

ARCH = load_arch("tiny")


def run(words):
    return Machine(ARCH, words).run()


def assert_fault(result, kind, pc, unit, needle=""):
    assert result.fault is not None and result.fault.kind == kind and result.fault.pc == pc, result.fault
    assert result.log[unit][-1] == FaultRecord(unit, pc, kind.value)
    assert needle in str(result.fault)


def test_illegal_word_faults_where_it_is_fetched():
    words = tandem_requant().words
    words[5] = 0x14000000  # SIGMOID: named but undefined
    assert_fault(run(words), FaultKind.ILLEGAL_INSTRUCTION, 5, Unit.TANDEM, "SIGMOID")


def test_group_count_mismatch_is_malformed():
    words = tandem_requant().words
    del words[4]  # the SYNC END no longer sits where START's count says
    assert_fault(run(words), FaultKind.MALFORMED_GROUP, 0, Unit.SA, "no matching SYNC_INST END")


def test_instruction_outside_a_group_is_malformed():
    p = ProgramBuilder()
    p.add("ADD", dst_ns="VMEM1", src1_ns="VMEM1", src2_ns="VMEM1")
    p.end()
    assert_fault(run(p.words), FaultKind.MALFORMED_GROUP, 0, Unit.TANDEM, "outside a group")


def test_running_off_the_end():
    assert_fault(run([]), FaultKind.PC_OUT_OF_RANGE, 0, Unit.SA)


def test_vmem_overrun_in_a_loop_commits_the_legal_writes_then_faults():
    depth_words = ARCH.vmem_depth
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("BASE_ZEROFILL", ns="VMEM2", idx=0, value=depth_words - 2)
        p.add("STRIDE_ZEROFILL", ns="VMEM2", idx=0, value=1)
        p.add("SET_ITER", level=0, iters=3)
        p.add("SET_INDEX", dst_ns="VMEM2", src1_ns="VMEM2", src2_ns="IMM")
        p.add("SET_INST", level=0, body=1)
        p.add("ADD", dst_ns="VMEM2", src1_ns="VMEM2", src2_ns="IMM")
    p.end()
    result = run(p.words)
    assert_fault(result, FaultKind.ADDRESS_OUT_OF_RANGE, 6, Unit.TANDEM, "VMEM2 word 256 beyond depth 256")
    partial = result.log[Unit.TANDEM][0]
    assert partial.pc == 6 and partial.addrs == (depth_words - 2, depth_words - 1)


def test_dram_overrun_in_a_transfer_faults():
    image = sa_matmul()
    m = Machine(ARCH, image.words)
    m.state.dram[:] = image.initial_dram()
    # move the OBUF store to the last 16 bytes of DRAM: the 48-byte store runs off the end
    p = ProgramBuilder()
    p.add32("SET_BASE_ADDR", ARCH.dram_bytes - 16, buffer="OBUF")
    low, high = p.words
    insns = [decode(w) for w in image.words]
    sync_end = next(i for i, ins in enumerate(insns) if ins.mnemonic == "SYNC_INST" and i > 0)
    words = list(image.words)
    base_idx = [i for i, ins in enumerate(insns) if ins.mnemonic == "SET_BASE_ADDR" and ins.name_of("buffer") == "OBUF"]
    words[base_idx[0]], words[base_idx[1]] = low, high
    result = Machine(ARCH, words).run()
    assert_fault(result, FaultKind.ADDRESS_OUT_OF_RANGE, sync_end, Unit.SA, "ST OBUF: DRAM")
    assert [type(r).__name__ for r in result.log[Unit.SA]][:4] == ["DmaRecord"] * 3 + ["TileRecord"]


def test_latch_low_then_high_commits_both_halves():
    p = ProgramBuilder()
    with p.group("SIMD", 0):
        p.add("SET_IMM_LOW", idx=3, value=0x5678)
        p.add("SET_IMM_HIGH", idx=3, value=0x1234)
        p.add("IMM_SIGN_EXT", idx=4, value=0x9999)
    p.end()
    m = Machine(ARCH, p.words)
    assert m.run().ok
    assert int(m.state.imm[3]) == 0x12345678 and int(m.state.imm[4]) == 0x9999 - 0x10000
