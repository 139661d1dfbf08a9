"""compiler: compiled models, layer by layer, against references the compiler does not write.

For every case (layer kinds, groups over several output-channel tiles, the user's tiling,
loop orders and buffers, fused or not, two archs, pre-quantised models):

* every layer's int8 output on golden equals the numpy reference (each layer kind's
  `reference`, compiler/reference.py) on the compiler's quantised layers, bit for bit;
* onnxruntime running those layers as a QDQ model (compiler/qdq.py) is within 1 LSB of
  them, and the graph output is within the float model's error bound (one conv) or close to
  it (a network), both with onnxruntime: this catches quantisation that is wrong and
  self-consistent;
* each layer's estimated cycles equal golden's cycle model exactly (one timing description,
  `isa_spec.arch.Timing`, for both), so a schedule the user asked for is the one emitted;
* every case runs on the NPU alone (nothing goes to the host);
* the schedule proofs hold (`proofs.prove_image`);
* the suite's tests of what no case reaches: what the compiler must refuse (a one-line error
  naming the node, the operator and the reason), constant folding, calibration, pre-quantised
  models (QDQ and QOperator) against onnxruntime, fusion control, element-wise constants and
  the host partition.

`prepare` builds the ONNX models (compiler/models.py, tests/networks.py and onnxruntime's
quantiser are inputs, not under check) and their float outputs.
"""

from __future__ import annotations

from typing import Any

ORDER_IC_INNER = ["N", "OC", "OH", "OW", "KH", "KW", "IC"]
# Tests of the suite that pin what no compiled case reaches: refusals, constant folding, calibration,
# pre-quantised (QDQ and QOperator) models, fusion control, element-wise constants, the host partition.
PARTITION = "tests/compiler/test_partition.py::test_"
TESTS = ["tests/compiler/test_refusals.py", "tests/compiler/test_compile_conv.py::test_bad_models_are_one_line_errors",
         "tests/compiler/test_compile_network.py::test_bad_overrides_are_one_line_errors",
         "tests/compiler/test_frontend_versions.py::test_constant_subgraphs_fold", "tests/compiler/test_calibration.py",
         "tests/compiler/test_prequantized.py", "tests/compiler/test_fusion_control.py", "tests/compiler/test_frontend_ops.py",
         "tests/compiler/test_requant.py",
         *(PARTITION + t for t in ("softmax_after_the_npu_runs_on_the_host", "prefix_and_suffix",
                                   "an_operator_between_npu_layers_runs_on_the_host_between_two_npu_stages",
                                   "a_node_the_frontend_refuses_goes_to_the_host",
                                   "no_host_fallback_refuses_as_before"))]  # fmt: skip


def cases() -> list[tuple[str, Any, str, dict]]:
    """(name, model, arch, Options fields)."""
    from compiler.models import cnn_model, conv_model, resnet_model
    from networks import activations_anywhere, branchy_model, clipped_conv, wide_feature_maps

    conv = conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1)
    wide = conv_model(c=20, h=13, w=11, oc=40, stride=2, pad=1)
    return [
        ("conv 5x9x9->7 s2 p1", conv, "tiny", {}),
        ("conv, IC innermost", conv, "tiny", {"loop_order": {"conv0": ORDER_IC_INNER}}),
        ("conv, tiles OH 2 OW 2 OC 2, order OW,OH,N,OC,IC,KH,KW", conv, "tiny",
         {"tiling": {"conv0": {"OH": 2, "OW": 2, "OC": 2}}, "loop_order": {"conv0": ["OW", "OH", "N", "OC", "IC", "KH", "KW"]}}),
        ("conv, IC split, VMEM2", conv_model(c=8, h=7, w=7, oc=8), "tiny",
         {"tiling": {"conv0": {"IC": 2}}, "buffer": {"conv0": "VMEM2"}}),
        ("conv k1, no relu", conv_model(c=3, h=7, w=5, oc=5, k=1, pad=0, relu=False), "tiny", {}),
        ("grouped conv over 2 OC tiles", clipped_conv(2), "tiny", {"tiling": {"conv": {"OC": 2}}}),
        ("4 groups over 2 OC tiles, OW 2", clipped_conv(4), "tiny", {"tiling": {"conv": {"OC": 2, "OW": 2}}}),
        ("depthwise conv", clipped_conv(8), "tiny", {}),
        ("pad, mul, leaky relu, avgpool, concat, GAP, matmul", branchy_model(), "tiny", {}),
        ("maxpool, then leaky relu, clip and mul layers, flatten into gemm", activations_anywhere(), "tiny", {}),
        ("feature maps wider than VMEM: add, pools, GAP, gemm", wide_feature_maps(), "tiny", {}),
        ("cnn unfused", cnn_model(size=16), "tiny", {"fuse": False}),
        ("conv 20x13x11->40 s2 (default)", wide, "default", {"loop_order": {"conv0": ["OC", "N", "OW", "OH", "KW", "KH", "IC"]}}),
        ("resnet18-mini", resnet_model("resnet18", size=32, width=4, classes=10), "tiny", {}),
    ]  # fmt: skip


def prepare() -> list[tuple[str, bytes, str, dict, dict]]:
    """(name, model bytes, arch, options, onnxruntime's outputs and the input `x` they are
    for) per case, the models made by onnxruntime's quantiser included."""
    import numpy as np
    import onnxruntime as ort

    out = []
    for name, model, arch, options in cases() + _prequantized():
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        outputs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"x": x})))
        out.append((name, model.SerializeToString(), arch, options, {"x": x, **outputs}))
    return out


def _prequantized() -> list[tuple[str, Any, str, dict]]:
    """A CNN quantised to QDQ and a conv to QLinearConv by onnxruntime's quantiser."""
    import logging
    import tempfile
    from pathlib import Path

    import numpy as np
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from compiler.models import cnn_model, conv_model

    class Samples(CalibrationDataReader):
        def __init__(self, shape: list[int]):
            self.it = iter([{"x": np.random.default_rng(i).standard_normal(shape).astype(np.float32)} for i in range(4)])

        def get_next(self) -> dict | None:
            return next(self.it, None)

    out = []
    logging.getLogger().setLevel(logging.ERROR)
    for name, model, fmt in (("QDQ cnn (onnxruntime's quantiser)", cnn_model(size=16), QuantFormat.QDQ),
                             ("QLinearConv (onnxruntime's quantiser)", conv_model(c=4, h=8, w=8, oc=8),
                              QuantFormat.QOperator)):  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = Path(tmp) / "f.onnx", Path(tmp) / "q.onnx"
            onnx.save(model, src)
            shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
            quantize_static(str(src), str(dst), Samples(shape), quant_format=fmt, activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8, per_channel=False,
                            extra_options={"ActivationSymmetric": True, "WeightSymmetric": True})  # fmt: skip
            out.append((name, onnx.load(dst), "tiny", {}))
    return out


def check(fixture: list) -> str | None:
    from .common import run_tests

    for name, model, arch, options, floats in fixture:
        verdict = _case(model, arch, options, floats)
        if verdict:
            return f"{name}: {verdict}"
    return run_tests(TESTS)


def _case(model_bytes: bytes, arch_name: str, options: dict, floats: dict) -> str | None:
    import numpy as np
    import onnx

    from compiler import Options, compile_model, quantized_layers
    from compiler.reference import quantized_graph
    from isa_spec import load_arch
    from proofs import prove_image
    from runtime import open_device, read_tensor, write_tensor
    from runtime.session import quantize

    model = onnx.load_from_string(model_bytes)
    opts = Options(**options, reuse_dram=False)
    image = compile_model(model, load_arch(arch_name), options=opts)
    if "host" in image.model:
        return f"layers the NPU runs went to the host: {image.model['host'].get('nodes', '?')}"
    layers = quantized_layers(model, fuse=opts.fuse)
    xq = quantize(image.symbol("x"), floats["x"])
    dev = open_device("golden", image.arch)
    dev.load(image)
    write_tensor(dev, image, "x", xq)
    result = dev.run()
    if result.fault is not None:
        return f"the program faults on golden: {result.fault}"
    want = quantized_graph(layers, {"x": xq})
    for q in layers:
        got = read_tensor(dev, image, q.layer.y)
        ref = want[q.layer.y].reshape(got.shape)
        if not np.array_equal(got, ref):
            i = np.unravel_index(int(np.argmax(got != ref)), got.shape)
            return f"layer {q.layer.name}: golden {got[i]} != reference {ref[i]} at {i}"
    verdict = _estimates(image, dev.machine.cycles) or _twin(layers, want) or _float(image, model, layers, dev, floats)
    if verdict:
        return verdict
    report = prove_image(image)
    return None if report.ok else f"the schedule proofs fail: {report.format().splitlines()[0]}"


def onnx_value(tensor: Any) -> Any:
    from onnx import numpy_helper

    return numpy_helper.to_array(tensor)


def _estimates(image: Any, model: Any) -> str | None:
    for meta in image.layers:
        measured, est = model.total(range(*meta["pcs"])).cycles, meta["estimated_cycles"]
        if measured != est:
            return f"layer {meta['name']}: estimated {est} cycles, golden's model {measured}"
    return None


def _twin(layers: list, env: dict) -> str | None:
    """onnxruntime on the QDQ twin of the layers, each on its reference inputs: within 1 LSB."""
    import numpy as np
    import onnxruntime as ort

    from compiler.qdq import layerwise_qdq

    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(layerwise_qdq(layers).SerializeToString(), plain, providers=["CPUExecutionProvider"])
    feeds = {f"in:{t}": env[t] for t in {t for q in layers for t in q.layer.inputs}}
    for q, theirs in zip(layers, sess.run([f"out:{q.layer.y}" for q in layers], feeds)):
        ours = env[q.layer.y].reshape(theirs.shape).astype(np.int16)
        if np.abs(ours - theirs).max() > 1:
            return f"layer {q.layer.name}: more than 1 LSB from onnxruntime's QDQ twin"
    return None


def _float(image: Any, model: Any, layers: list, dev: Any, floats: dict) -> str | None:
    """The graph output against onnxruntime on the model. A float model: inside the error
    bound of a single conv, or (a network) a cosine above 0.99. A pre-quantised one: its
    input scale kept, within 1 LSB of onnxruntime's result (one layer), cosine above 0.999."""
    import numpy as np

    from compiler import prequantized
    from compiler.ops.conv import QConv
    from compiler.reference import error_bound
    from runtime import read_tensor
    from runtime.session import dequantize

    name = image.model["outputs"][0]
    got = dequantize(image.symbol(name), read_tensor(dev, image, name)).astype(np.float64)
    want = floats[name].reshape(got.shape).astype(np.float64)
    cosine = float(got.ravel() @ want.ravel() / (np.linalg.norm(got) * np.linalg.norm(want) + 1e-30))
    if prequantized.is_prequantized(model):
        inits = {t.name: t for t in model.graph.initializer}
        (node,) = [n for n in model.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "x"]
        scale = float(onnx_value(inits[node.input[1]]))
        if abs(image.symbol("x").scale - scale) > 1e-7 * scale:
            return f"input scale {image.symbol('x').scale}, the model's is {scale}"
        lsb = image.symbol(name).scale
        if len(layers) == 1 and np.abs(got - want).max() > 1.01 * lsb:
            return f"{name}: {np.abs(got - want).max() / lsb:.2f} LSB from onnxruntime on the quantised model"
        return None if cosine > 0.999 else f"{name}: cosine {cosine:.4f} with onnxruntime on the quantised model"
    q = layers[0]
    if len(layers) == 1 and isinstance(q, QConv) and q.add is None and q.layer.clip is None and q.layer.leaky is None:
        inside = np.abs(want) < 127 * q.s_out
        excess = (np.abs(got - want) - error_bound(q, floats["x"]).reshape(got.shape))[inside]
        beyond = excess.size and excess.max() > 0
        return f"{name}: {excess.max():.3g} beyond the error bound of the float model" if beyond else None
    return None if cosine > 0.99 else f"{name}: cosine {cosine:.4f} with the float model"
