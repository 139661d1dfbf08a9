"""Built-in ONNX models, built in code with deterministic weights (nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .errors import CompileError

OPSET = 17
IR_VERSION = 10  # what onnxruntime 1.31 reads


def conv_model(n: int = 1, c: int = 3, h: int = 8, w: int = 8, oc: int = 8, k: int = 3, stride: int = 1,
               pad: int = 1, relu: bool = True, seed: int = 0) -> onnx.ModelProto:  # fmt: skip
    """A Conv (+ bias, + optional Relu) model: input `x` NCHW float, output `y`.

    >>> conv_model(c=5, h=9, w=9, oc=7, stride=2).graph.output[0].name
    'y'
    """
    if min(n, c, h, w, oc, k, stride) < 1 or pad < 0:
        raise CompileError(f"conv model: sizes, kernel and stride must be positive and padding non-negative "
                           f"(got {n}x{c}x{h}x{w}, oc={oc}, k={k}, stride={stride}, pad={pad})")  # fmt: skip
    if k > min(h, w) + 2 * pad:
        raise CompileError(f"conv model: a {k}x{k} kernel does not fit a {h}x{w} input padded by {pad}")
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((oc, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    bias = (0.1 * rng.standard_normal(oc)).astype(np.float32)
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    conv_out = "conv_out" if relu else "y"
    nodes = [helper.make_node("Conv", ["x", "w", "b"], [conv_out], name="conv0", kernel_shape=[k, k],
                              strides=[stride, stride], pads=[pad] * 4)]  # fmt: skip
    if relu:
        nodes.append(helper.make_node("Relu", [conv_out], ["y"], name="relu0"))
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, c, h, w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, oc, oh, ow])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="genesys",
                              ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model


class _Net:
    """Accumulates ONNX nodes and initialisers with deterministic weights."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def conv_bn(self, x: str, c: int, oc: int, k: int, stride: int, relu: bool, gamma: float = 1.0,
                groups: int = 1, relu6: bool = False) -> str:  # fmt: skip
        """Conv (no bias) + BatchNormalization (+ Relu or ReLU6 as Clip(0, 6)), He-initialised."""
        name = self._name("conv")
        w = self.rng.standard_normal((oc, c // groups, k, k)) * np.sqrt(2.0 / (c // groups * k * k))
        self.nodes.append(helper.make_node("Conv", [x, self.const(f"{name}.w", w)], [f"{name}.out"], name=name,
                                           kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4,
                                           group=groups))  # fmt: skip
        bn = [self.const(f"{name}.bn.{p}", v) for p, v in (
            ("gamma", gamma * (1 + 0.1 * self.rng.standard_normal(oc))), ("beta", 0.1 * self.rng.standard_normal(oc)),
            ("mean", 0.1 * self.rng.standard_normal(oc)), ("var", self.rng.uniform(0.5, 1.5, oc)))]  # fmt: skip
        self.nodes.append(helper.make_node("BatchNormalization", [f"{name}.out", *bn], [f"{name}.bn"], name=f"{name}.bn"))
        if relu6:
            bounds = [self.const(f"{name}.lo", np.array(0.0)), self.const(f"{name}.hi", np.array(6.0))]
            self.nodes.append(helper.make_node("Clip", [f"{name}.bn", *bounds], [f"{name}.relu6"], name=f"{name}.relu6"))
            return f"{name}.relu6"
        if not relu:
            return f"{name}.bn"
        self.nodes.append(helper.make_node("Relu", [f"{name}.bn"], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"

    def add(self, a: str, b: str) -> str:
        name = self._name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [f"{name}.out"], name=name))
        return f"{name}.out"

    def head(self, x: str, c: int, classes: int, input_size: int, n: int, name: str) -> onnx.ModelProto:
        """Global average pooling, Flatten, a fully connected layer; the checked model."""
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
        self.nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
        fc_w = self.const("fc.w", self.rng.standard_normal((classes, c)) / np.sqrt(c))
        fc_b = self.const("fc.b", 0.01 * self.rng.standard_normal(classes))
        self.nodes.append(helper.make_node("Gemm", ["flat", fc_w, fc_b], ["logits"], name="fc", transB=1))
        graph = helper.make_graph(self.nodes, name,
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, 3, input_size, input_size])],
                                  [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [n, classes])],
                                  self.inits)  # fmt: skip
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="genesys",
                                  ir_version=IR_VERSION)
        onnx.checker.check_model(model)
        return model

    def add_relu(self, a: str, b: str) -> str:
        name = self._name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [f"{name}.out"], name=name))
        self.nodes.append(helper.make_node("Relu", [f"{name}.out"], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"


RESNETS = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
           "resnet50": ("bottleneck", (3, 4, 6, 3)), "resnet101": ("bottleneck", (3, 4, 23, 3))}  # fmt: skip


def resnet_model(kind: str = "resnet50", n: int = 1, size: int = 224, width: int = 64, classes: int = 1000,
                 seed: int = 0) -> onnx.ModelProto:  # fmt: skip
    """A ResNet (He et al. 2016, v1.5: stride on the 3x3 conv) with deterministic weights.

    `width` is the stem's channel count (64 in the paper); smaller widths and sizes give the
    same graph structure at a fraction of the work.
    """
    if kind not in RESNETS:
        raise CompileError(f"unknown ResNet {kind!r} (have {', '.join(RESNETS)})")
    if size < 32 or width < 1 or classes < 1 or n < 1:
        raise CompileError(f"resnet: need size >= 32 and positive width, classes, batch (got {size}, {width}, {classes}, {n})")
    block, depths = RESNETS[kind]
    net = _Net(seed)
    x = net.conv_bn("x", 3, width, 7, 2, relu=True)
    net.nodes.append(helper.make_node("MaxPool", [x], ["pool"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
                                      pads=[1, 1, 1, 1]))  # fmt: skip
    x, c = "pool", width
    expansion = 4 if block == "bottleneck" else 1
    for stage, depth in enumerate(depths):
        mid = width * 2**stage
        out = mid * expansion
        for i in range(depth):
            stride = 2 if stage > 0 and i == 0 else 1
            identity = x
            if stride != 1 or c != out:  # the projection runs first so the branch's last conv can fuse the Add
                identity = net.conv_bn(x, c, out, 1, stride, relu=False)
            if block == "bottleneck":
                h = net.conv_bn(x, c, mid, 1, 1, relu=True)
                h = net.conv_bn(h, mid, mid, 3, stride, relu=True)
                h = net.conv_bn(h, mid, out, 1, 1, relu=False, gamma=0.3)
            else:
                h = net.conv_bn(x, c, mid, 3, stride, relu=True)
                h = net.conv_bn(h, mid, out, 3, 1, relu=False, gamma=0.3)
            x, c = net.add_relu(h, identity), out
    return net.head(x, c, classes, size, n, kind)


def cnn_model(n: int = 1, size: int = 32, widths: tuple[int, ...] = (8, 16, 32), classes: int = 10,
              seed: int = 0) -> onnx.ModelProto:  # fmt: skip
    """A plain VGG-style CNN: per width a 3x3 Conv+BN+Relu and a 2x2 MaxPool, then global
    average pooling and a fully connected layer (no residual connections)."""
    net = _Net(seed)
    x, c = "x", 3
    for i, width in enumerate(widths):
        x = net.conv_bn(x, c, width, 3, 1, relu=True)
        net.nodes.append(helper.make_node("MaxPool", [x], [f"pool{i}"], name=f"pool{i}", kernel_shape=[2, 2],
                                          strides=[2, 2]))  # fmt: skip
        x, c = f"pool{i}", width
    return net.head(x, c, classes, size, n, "cnn")


MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))  # (expansion, channels, blocks, first stride) per stage  # fmt: skip


def mobilenet_v2(n: int = 1, size: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0) -> onnx.ModelProto:
    """MobileNetV2 (Sandler et al. 2018): inverted residual blocks with depthwise 3x3 convs and
    ReLU6, deterministic weights; `width` scales every channel count."""
    if size < 32 or width <= 0 or classes < 1 or n < 1:
        raise CompileError(f"mobilenetv2: need size >= 32 and positive width, classes, batch "
                           f"(got {size}, {width}, {classes}, {n})")  # fmt: skip
    ch = lambda c: max(8, int(c * width + 4) // 8 * 8)  # noqa: E731  (channels stay multiples of 8)
    net = _Net(seed)
    c = ch(32)
    x = net.conv_bn("x", 3, c, 3, 2, relu=False, relu6=True)
    for t, out, blocks, stride in MOBILENET_V2:
        for i in range(blocks):
            s, hidden = (stride if i == 0 else 1), c * t
            h = net.conv_bn(x, c, hidden, 1, 1, relu=False, relu6=True) if t != 1 else x
            h = net.conv_bn(h, hidden, hidden, 3, s, relu=False, relu6=True, groups=hidden)
            h = net.conv_bn(h, hidden, ch(out), 1, 1, relu=False, gamma=0.3)
            x = net.add(h, x) if s == 1 and c == ch(out) else h
            c = ch(out)
    last = ch(1280)  # the paper keeps 1280 for widths below 1; scaling it keeps mini models small
    x = net.conv_bn(x, c, last, 1, 1, relu=False, relu6=True)
    return net.head(x, last, classes, size, n, "mobilenetv2")


MODELS = {
    "conv": lambda: conv_model(),
    "conv-strided": lambda: conv_model(c=5, h=9, w=9, oc=7, stride=2, pad=1),
    "resnet18": lambda: resnet_model("resnet18"),
    "resnet50": lambda: resnet_model("resnet50"),
    "mobilenetv2": lambda: mobilenet_v2(),
    "mobilenetv2-mini": lambda: mobilenet_v2(size=32, width=0.25, classes=10),
    "cnn-mini": lambda: cnn_model(),
    "resnet18-mini": lambda: resnet_model("resnet18", size=32, width=8, classes=10),
    "resnet50-mini": lambda: resnet_model("resnet50", size=32, width=8, classes=10),
}
def build_model(name: str) -> onnx.ModelProto:
    """A built-in model by name (see `MODELS`)."""
    if name not in MODELS:
        raise CompileError(f"unknown model {name!r} (built-in: {', '.join(MODELS)})")
    return MODELS[name]()
