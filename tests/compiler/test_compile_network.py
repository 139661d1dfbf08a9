"""Whole networks: every layer of a compiled ResNet is bit-exact with the numpy reference,
the spec agrees with golden record for record, and the user's schedule overrides change the
program but not the result. Tests that read every activation after a run compile with
`reuse_dram=False`, since by default a dead activation's space is reused."""

import dataclasses

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from compiler import CompileError, Options, compile_model, quantized_layers
from compiler.models import IR_VERSION, OPSET, cnn_model, mobilenet_v2, resnet_model
from compiler.qdq import layerwise_qdq
from compiler.reference import quantized_graph
from cosim.lockstep import lockstep
from isa_spec import load_arch
from isa_spec.image import Image
from networks import branchy_model, clipped_conv
from runtime import open_device, read_tensor, write_tensor
from runtime.session import quantize

TINY, DEFAULT = load_arch("tiny"), load_arch("default")
R18 = resnet_model("resnet18", size=32, width=8, classes=10)


def run_golden(image: Image, xq: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer output of the image run on golden, int8 NCHW, by tensor name."""
    dev = open_device("golden", image.arch)
    dev.load(image)
    write_tensor(dev, image, "x", xq)
    result = dev.run()
    assert result.fault is None, result.fault
    return {name: read_tensor(dev, image, name) for name, s in image.symbols.items() if s.role in ("activation", "output")}


def sample(image: Image, seed: int = 3) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(image.symbol("x").shape).astype(np.float32)
    return quantize(image.symbol("x"), x)


@pytest.mark.parametrize(("model", "arch", "fuse"), [(R18, TINY, True), (R18, TINY, False),
                         (resnet_model("resnet50", size=32, width=8, classes=10), DEFAULT, True),
                         (mobilenet_v2(size=32, width=0.25, classes=10), DEFAULT, True)],
                         ids=["resnet18-tiny", "resnet18-tiny-unfused", "resnet50-default", "mobilenetv2-default"])  # fmt: skip
def test_every_layer_is_bit_exact_with_the_reference(model, arch, fuse):
    image = compile_model(model, arch, options=Options(fuse=fuse, reuse_dram=False))
    layers = quantized_layers(model, fuse=fuse)
    xq = sample(image)
    got = run_golden(image, xq)
    want = quantized_graph(layers, {"x": xq})
    kinds = set()
    for q in layers:
        kinds.add(q.layer.op)
        np.testing.assert_array_equal(got[q.layer.y], want[q.layer.y].reshape(got[q.layer.y].shape), err_msg=q.layer.name)
    if model.graph.name == "mobilenetv2":
        assert {"Conv", "Conv+Add", "Conv+Clip", "DWConv+Clip", "GlobalAveragePool"} <= kinds
    else:
        assert {"Conv", "MaxPool", "GlobalAveragePool"} | ({"Conv+Relu", "Conv+Add+Relu"} if fuse else {"Add", "Relu"}) <= kinds


def test_spec_and_golden_agree_record_for_record_on_a_whole_network():
    image = compile_model(R18, TINY)
    result = lockstep(image, ["spec", "golden"], {"x": sample(image)})
    assert result.ok, result.format()
    assert result.records["spec"] > 1000


@pytest.mark.parametrize(("model", "merged"), [(cnn_model(), 3), (R18, 1 + 3 * 8)], ids=["conv+relu", "resnet18"])
def test_fusing_changes_the_program_and_estimate_but_not_the_result(model, merged):
    """Fusion merges Conv+Relu, Conv+Add+Relu and Add+Relu layers (`merged` fewer layers),
    and every tensor both programs write is bit-identical."""
    fused, unfused = (compile_model(model, TINY, options=Options(fuse=f, reuse_dram=False)) for f in (True, False))
    assert len(unfused.layers) == len(fused.layers) + merged and unfused.words != fused.words
    cycles = [sum(m["estimated_cycles"] for m in image.layers) for image in (fused, unfused)]
    assert cycles[0] < cycles[1]
    xq = sample(fused)
    a, b = run_golden(fused, xq), run_golden(unfused, xq)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


OVERRIDES = {
    "conv-tiling": Options(tiling={"conv2": {"OH": 2, "OW": 2, "OC": 2}}),
    "conv-input-channel-split": Options(tiling={"conv5": {"IC": 2}}),
    "conv-loop-order": Options(loop_order={"conv2": ["OC", "N", "OW", "OH", "KW", "KH", "IC"],
                                           "conv1": ["OW", "OH", "N", "OC", "IC", "KH", "KW"]}),
    "residual-conv-buffer": Options(buffer={"conv3": "VMEM2"}),
    "residual-conv-tiling-and-order": Options(tiling={"conv17": {"OC": 4, "OH": 2}},
                                              loop_order={"conv17": ["N", "OW", "OH", "OC", "KH", "KW", "IC"]}),
    "conv-buffer": Options(buffer={"conv2": "VMEM1"}),
    "maxpool-buffer": Options(buffer={"pool": "VMEM2"}),
    "gap-buffer": Options(buffer={"gap": "VMEM2"}),
    # (one OC tile is fc's own choice; a 1x1 output loads a weight word every step in any loop order)
    "fc-tiling-and-order": Options(tiling={"fc": {"OC": 2}}, loop_order={"fc": ["N", "IC", "OC", "KH", "KW", "OH", "OW"]}),
}  # fmt: skip


@pytest.mark.parametrize("options", OVERRIDES.values(), ids=OVERRIDES.keys())
def test_schedule_overrides_change_the_program_and_estimate_but_not_the_result(options):
    """Tiling, loop order and a conv's accumulator buffer (OBUF by default for a one-tile
    conv, else through DRAM) change the estimate; VMEM1 and VMEM2 have the same depth, DMA
    channel and ports, so swapping them relabels the program and keeps the estimate."""
    base = compile_model(R18, TINY, options=Options(reuse_dram=False))
    changed = compile_model(R18, TINY, options=dataclasses.replace(options, reuse_dram=False))
    assert base.words != changed.words
    touched = set(options.tiling) | set(options.loop_order) | set(options.buffer)
    base_meta = {m["name"]: m for m in base.layers}
    for m in changed.layers:
        if m["name"] in touched:
            b = base_meta[m["name"]]
            assert m["buffers"] != b["buffers"] or m["name"] not in options.buffer, m["name"]
            if "OBUF" in b["buffers"]["Tandem"] or m["name"] not in options.buffer:
                assert m["estimated_cycles"] != b["estimated_cycles"], m["name"]
            else:
                assert m["estimated_cycles"] == b["estimated_cycles"], m["name"]
    xq = sample(base)
    a, b = run_golden(base, xq), run_golden(changed, xq)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_bad_overrides_are_one_line_errors():
    too_big = r"layer 'conv2': tiling .* does not fit: IBUF needs \d+ words, has 512 \(over by \d+\)"
    with pytest.raises(CompileError, match=too_big):
        compile_model(resnet_model("resnet18", size=64, width=32, classes=10), TINY,
                      tiling={"conv2": {"OH": 1, "OW": 1, "OC": 1}})
    with pytest.raises(CompileError, match="not a permutation"):
        compile_model(R18, TINY, options=Options(loop_order={"conv2": ["OC", "N"]}))
    with pytest.raises(CompileError, match="VMEM1, VMEM2 or OBUF"):
        compile_model(R18, TINY, options=Options(buffer={"conv2": "IBUF"}))
    tiles = next(m["tiles"] for m in compile_model(R18, TINY).layers if m["name"] == "conv1")
    assert tiles > 1
    with pytest.raises(CompileError, match=rf"--buffer conv1=OBUF: .* whole output, and it has {tiles} output tiles"):
        compile_model(R18, TINY, options=Options(buffer={"conv1": "OBUF"}))
    with pytest.raises(CompileError, match=r"--buffer pool=OBUF: .* it is a MaxPool layer, not a conv"):
        compile_model(R18, TINY, options=Options(buffer={"pool": "OBUF"}))
    with pytest.raises(CompileError, match=r"--tiling names unknown layer\(s\) \['pool'\]"):
        compile_model(R18, TINY, tiling={"pool": {"OH": 2}})


@pytest.mark.parametrize("groups", [1, 2, 8], ids=["dense", "groups-of-4", "depthwise"])
def test_grouped_convs_and_clip_bounds_are_bit_exact(groups):
    model = clipped_conv(groups)
    image = compile_model(model, TINY, options=Options(reuse_dram=False))
    (q,) = quantized_layers(model)
    assert q.clamp is not None and q.clamp == (round(-0.3 / q.s_out), 127)
    xq = sample(image)
    got = run_golden(image, xq)["y"]
    want = quantized_graph([q], {"x": xq})["y"]
    np.testing.assert_array_equal(got, want)
    assert (got == q.clamp[0]).any() and not (got < q.clamp[0]).any()
    result = lockstep(image, ["spec", "golden"], {"x": xq})
    assert result.ok, result.format()


def test_grouped_conv_whose_groups_no_array_word_holds_runs_dense():
    """Group size 8 on tiny's 4-row array: a dense conv with zero weights between the groups
    (twice the MACs), bit for bit the reference and within 1 LSB of onnxruntime."""
    model = _grouped(16, 2, seed=4)
    image = compile_model(model, TINY, options=Options(host_fallback=False))
    (q,) = quantized_layers(model)
    xq = sample(image)
    got = run_golden(image, xq)["y"]
    np.testing.assert_array_equal(got, quantized_graph([q], {"x": xq})["y"])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    s_x, s_y = image.symbol("x").scale, image.symbol("y").scale
    want = np.clip(np.round(sess.run(["y"], {"x": xq.astype(np.float32) * s_x})[0] / s_y), -128, 127)
    assert np.abs(got.astype(int) - want).max() <= 1
    assert image.layers[0]["tiling"]["IC"] != "per group"


def _grouped(c: int, groups: int, seed: int | None = None) -> onnx.ModelProto:
    shape = (c, c // groups, 1, 1)
    w = np.ones(shape, np.float32) if seed is None else np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[1, 1], group=groups)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c, 4, 4])],
                              [numpy_helper.from_array(w, "w")])  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def test_pad_mul_leaky_relu_average_pool_and_concat_are_bit_exact():
    model = branchy_model()
    image = compile_model(model, TINY, options=Options(reuse_dram=False))
    layers = quantized_layers(model)
    assert [q.layer.op for q in layers] == ["Conv+LeakyRelu", "Conv+Relu", "AveragePool", "Concat",
                                            "GlobalAveragePool", "Conv"]  # fmt: skip
    assert layers[0].layer.pads == (1, 2, 1, 0) and layers[0].leaky is not None
    xq = sample(image)
    got, want = run_golden(image, xq), quantized_graph(layers, {"x": xq})
    for q in layers:
        np.testing.assert_array_equal(got[q.layer.y], want[q.layer.y].reshape(got[q.layer.y].shape), err_msg=q.layer.name)
    assert (want["a1"] < 0).any()  # the LeakyRelu's negative side is exercised
    result = lockstep(image, ["spec", "golden"], {"x": xq})
    assert result.ok, result.format()
    x = np.random.default_rng(3).standard_normal((1, 4, 9, 8)).astype(np.float32)
    want_float = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(["logits"], {"x": x})[0]
    got_float = run_golden(image, quantize(image.symbol("x"), x))["logits"] * image.symbol("logits").scale
    assert np.abs(got_float - want_float).max() < 0.05 * np.abs(want_float).max()


@pytest.mark.parametrize("name", ["branchy", "mobilenetv2", "resnet18"])
def test_onnxruntime_runs_the_quantised_layers_within_one_lsb(name):
    """An outside check of the integer arithmetic: every layer of the QDQ twin, run by
    onnxruntime on the reference's int8 inputs, is within 1 LSB of the reference."""
    model = {"branchy": branchy_model(), "mobilenetv2": mobilenet_v2(size=32, width=0.25, classes=10), "resnet18": R18}[name]
    layers = quantized_layers(model)
    x = np.random.default_rng(1).standard_normal([d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim])
    xq = np.clip(np.round(x / layers[0].s_in), -127, 127).astype(np.int8)
    env = quantized_graph(layers, {"x": xq})
    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(layerwise_qdq(layers).SerializeToString(), plain, providers=["CPUExecutionProvider"])
    feeds = {f"in:{t}": env[t] for t in {t for q in layers for t in q.layer.inputs}}
    outs = sess.run([f"out:{q.layer.y}" for q in layers], feeds)
    for q, theirs in zip(layers, outs):
        ours = env[q.layer.y].reshape(theirs.shape).astype(np.int16)
        assert np.abs(ours - theirs).max() <= 1, q.layer.name


@pytest.mark.parametrize("model", [R18, mobilenet_v2(size=32, width=0.25, classes=10)], ids=["resnet18", "mobilenetv2"])
def test_reusing_dead_activations_space_keeps_the_result_and_saves_dram(model):
    arch = TINY if model is R18 else DEFAULT
    fresh, reused = (compile_model(model, arch, options=Options(reuse_dram=r)) for r in (False, True))
    end = [max(s.addr + s.nbytes for s in im.symbols.values()) for im in (fresh, reused)]
    assert end[1] < end[0]
    overlapping = [(a.name, b.name) for a in reused.symbols.values() for b in reused.symbols.values()
                   if a.name < b.name and a.addr < b.addr + b.nbytes and b.addr < a.addr + a.nbytes]  # fmt: skip
    assert overlapping  # the space really is shared
    xq = sample(fresh)
    out = fresh.model["outputs"][0]
    assert np.array_equal(run_golden(fresh, xq)[out], run_golden(reused, xq)[out])


def test_every_layer_runs_on_its_own_from_the_dram_before_it():
    """`runtime.layers.layer_image` (what the per-layer benchmarks use): each layer's own
    program, started from golden's DRAM after the layers before it, agrees spec vs golden
    and writes what the whole program writes."""
    from runtime.layers import layer_image

    image = compile_model(R18, TINY, options=Options(reuse_dram=False))
    xq = sample(image)
    whole = run_golden(image, xq)
    for meta in image.layers[::5]:
        single = layer_image(image, meta, {"x": xq})
        assert lockstep(single, ["spec", "golden"]).ok, meta["name"]
        name = [q.layer.y for q in quantized_layers(R18) if q.layer.name == meta["name"]][0]
        assert np.array_equal(run_golden(single, xq)[name], whole[name]), meta["name"]
