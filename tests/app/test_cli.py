"""Bad input gets a one-line error, exit code 2, and no partial output."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from compiler.models import IR_VERSION, OPSET
from genesys import cli
from isa_spec import Instruction, encode
from programs import tandem_requant


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *needles):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "prog.gnx"
    tandem_requant().save(path)
    return path


def test_truncated_image(tmp_path, capsys, image_file):
    bad = tmp_path / "bad.gnx"
    bad.write_bytes(image_file.read_bytes()[:-40])
    for cmd in (["run", str(bad)], ["cosim", str(bad), "--backends", "spec,spec"], ["prove", str(bad)]):
        code, _, err = run_cli(capsys, *cmd)
        assert_one_line_error(code, err, "bad.gnx", "checksum mismatch")


def test_corrupt_and_foreign_images(tmp_path, capsys, image_file):
    junk = tmp_path / "junk.gnx"
    junk.write_bytes(b"\x7fELF" + bytes(100))
    code, _, err = run_cli(capsys, "run", str(junk))
    assert_one_line_error(code, err, "not a .gnx image")
    code, _, err = run_cli(capsys, "run", str(tmp_path / "missing.gnx"))
    assert_one_line_error(code, err, "missing.gnx", "cannot read")


def test_illegal_word_in_disasm(tmp_path, capsys):
    good = encode(Instruction.make("BLOCK_END", last=1))
    path = tmp_path / "p.bin"
    path.write_bytes(np.array([good, 0x14000000], "<u4").tobytes())
    code, out, err = run_cli(capsys, "disasm", str(path))
    assert_one_line_error(code, err, "word 1", "SIGMOID has no exact definition")
    assert out == ""
    path.write_bytes(b"\x00\x00\x00")
    code, _, err = run_cli(capsys, "disasm", str(path))
    assert_one_line_error(code, err, "not a whole number of 32-bit words")


def test_bad_assembly_leaves_no_output(tmp_path, capsys):
    src = tmp_path / "p.s"
    src.write_text("BLOCK_END last=1\nSA_LOOP_CFG loop_id=99\n")
    out = tmp_path / "p.bin"
    code, _, err = run_cli(capsys, "asm", str(src), "-o", str(out))
    assert_one_line_error(code, err, "p.s:2", "loop_id = 99 does not fit 6 bits")
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


@pytest.mark.parametrize("line, needle", [
    ("ADD dst=VMEM1[32], src1=VMEM1[0], src2=VMEM2[0]", "ADD.dst_idx = 32 does not fit 5 bits"),
    ("SET_ITER level=8, iters=1", "SET_ITER.level = 8 does not fit 3 bits"),
    ("SA_LOOP_CFG loop_id=1, iters=-3", "SA_LOOP_CFG.iters = -3 does not fit 16 bits"),
    ("LD_START ns=VMEM1, width=B64, size=1", "LD_START.width: unknown value 'B64'"),
    ("ADD dst=IMM[0], src1=VMEM1[0], src2=VMEM2[0]", "ADD.dst_ns: unknown value 'IMM'"),
])  # fmt: skip
def test_asm_field_errors_are_one_line(tmp_path, capsys, line, needle):
    src = tmp_path / "p.s"
    src.write_text(f"BLOCK_END last=0\n{line}\n")
    code, _, err = run_cli(capsys, "asm", str(src), "-o", str(tmp_path / "p.bin"))
    assert_one_line_error(code, err, "p.s:2", needle)
    assert not (tmp_path / "p.bin").exists()


def test_asm_disasm_roundtrip_through_files(tmp_path, capsys):
    src = tmp_path / "p.s"
    src.write_text("# a comment\nSET_ITER level=2, iters=7\nBLOCK_END last=1\n")
    code, _, _ = run_cli(capsys, "asm", str(src), "-o", str(tmp_path / "p.bin"))
    assert code == 0
    code, out, _ = run_cli(capsys, "disasm", str(tmp_path / "p.bin"))
    assert code == 0 and out == "SET_ITER level=2, iters=7\nBLOCK_END last=1\n"


def test_usage_errors_exit_2(capsys):
    assert cli.main(["no-such-command"]) == 2
    assert cli.main(["cosim"]) == 2
    capsys.readouterr()


def test_unknown_arch(tmp_path, capsys):
    code, _, err = run_cli(capsys, "compile", "x.onnx", "--arch", "huge", "-o", str(tmp_path / "o.gnx"))
    assert_one_line_error(code, err, "unknown arch 'huge'")
    assert not (tmp_path / "o.gnx").exists()


def test_model_compile_run_cli(tmp_path, capsys):
    onnx_path, gnx = tmp_path / "conv.onnx", tmp_path / "conv.gnx"
    assert run_cli(capsys, "model", "conv", "-o", str(onnx_path))[0] == 0
    code, out, _ = run_cli(capsys, "compile", str(onnx_path), "--arch", "tiny", "-o", str(gnx), "--explain")
    assert code == 0 and "layer conv0: Conv+Relu" in out and "tiling" in out
    code, out, _ = run_cli(capsys, "run", str(gnx), "--backend", "spec", "--outdir", str(tmp_path / "out"))
    assert code == 0
    y = np.load(tmp_path / "out" / "y.npy")
    assert y.shape == (1, 8, 8, 8) and y.dtype == np.float32 and (y >= 0).all() and y.max() > 0


def test_compile_bad_inputs(tmp_path, capsys):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00garbage")
    out = tmp_path / "o.gnx"
    code, _, err = run_cli(capsys, "compile", str(junk), "-o", str(out))
    assert_one_line_error(code, err, "junk.onnx: not an ONNX model")
    code, _, err = run_cli(capsys, "model", "nonesuch", "-o", str(tmp_path / "m.onnx"))
    assert_one_line_error(code, err, "unknown model 'nonesuch'")
    tiling = tmp_path / "t.json"
    tiling.write_text('{"conv0": {"OH": 1, "OW": 1}')
    run_cli(capsys, "model", "conv", "-o", str(tmp_path / "c.onnx"))
    code, _, err = run_cli(capsys, "compile", str(tmp_path / "c.onnx"), "--tiling", str(tiling), "-o", str(out))
    assert_one_line_error(code, err, "t.json: not valid JSON")
    assert not out.exists() and not any(p.name.startswith(".o.gnx") for p in tmp_path.iterdir())


def test_conv_model_geometry_options(tmp_path, capsys):
    out = tmp_path / "m.onnx"
    code, _, err = run_cli(capsys, "model", "conv", "--shape", "1x5x9", "-o", str(out))
    assert_one_line_error(code, err, "--shape '1x5x9': expected NxCxHxW")
    code, _, err = run_cli(capsys, "model", "conv", "--kernel", "13", "-o", str(out))
    assert_one_line_error(code, err, "a 13x13 kernel does not fit a 8x8 input padded by 1")
    code, _, err = run_cli(capsys, "model", "conv", "--out-channels", "0", "-o", str(out))
    assert_one_line_error(code, err, "oc=0")
    code, _, err = run_cli(capsys, "model", "conv-strided", "--stride", "2", "-o", str(out))
    assert_one_line_error(code, err, "--stride applies to the `conv` model only")
    assert not out.exists()
    assert run_cli(capsys, "model", "conv", "--shape", "2x4x6x5", "--out-channels", "3", "--no-relu", "-o", str(out))[0] == 0
    model = onnx.load(out)
    assert [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim] == [2, 3, 6, 5]
    assert [n.op_type for n in model.graph.node] == ["Conv"]


def test_unsupported_operator_through_the_cli(tmp_path, capsys):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    graph = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="act")], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    src, out = tmp_path / "sig.onnx", tmp_path / "sig.gnx"
    onnx.save(model, src)
    code, _, err = run_cli(capsys, "compile", str(src), "-o", str(out))
    assert_one_line_error(code, err, "unsupported operator Sigmoid (node 'act')")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sig.onnx"]


def test_network_compile_errors_through_the_cli(tmp_path, capsys):
    src, out = tmp_path / "r18.onnx", tmp_path / "r18.gnx"
    assert run_cli(capsys, "model", "resnet18-mini", "-o", str(src))[0] == 0
    tiling = tmp_path / "t.json"
    tiling.write_text('{"conv1": {"OH": 1, "OW": 1, "OC": 1}}')
    code, _, err = run_cli(capsys, "compile", str(src), "--arch", "tiny", "--tiling", str(tiling), "-o", str(out))
    assert_one_line_error(code, err, "layer 'conv1'", "does not fit: IBUF needs", "has 512 (over by")
    code, _, err = run_cli(capsys, "compile", str(src), "--arch", "tiny", "--loop-order", "conv1", "-o", str(out))
    assert_one_line_error(code, err, "--loop-order expects LAYER=VALUE")
    code, _, err = run_cli(capsys, "compile", str(src), "--arch", "tiny", "--buffer", "gap=WBUF", "-o", str(out))
    assert_one_line_error(code, err, "--buffer gap=WBUF: the Tandem buffer is VMEM1, VMEM2 or OBUF")
    dyn = onnx.load(src)
    dyn.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    onnx.save(dyn, tmp_path / "dyn.onnx")
    code, _, err = run_cli(capsys, "compile", str(tmp_path / "dyn.onnx"), "--arch", "tiny", "-o", str(out))
    assert_one_line_error(code, err, "dynamic or unknown shape")
    assert not out.exists()
    code, text, _ = run_cli(capsys, "compile", str(src), "--arch", "tiny", "--no-fuse", "--explain", "-o", str(out))
    assert code == 0 and "layer add4: Add " in text and "layer conv1.relu: Relu " in text and "total: 48 layers" in text
