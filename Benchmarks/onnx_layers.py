"""Builds ONNX graphs equivalent to nasctl layer specs (random weights, batch norm already
folded into conv bias, NCHW as ONNX Runtime expects). Benchmark-only helper."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def parse_spec(text):
    """'op=mbconv,cin=24,...' -> dict with ints/floats converted."""
    spec = dict(part.split("=", 1) for part in text.split(","))
    for key in ("cin", "cout", "k", "s", "e", "skip"):
        if key in spec:
            spec[key] = int(spec[key])
    spec["se"] = float(spec.get("se", 0))
    spec.setdefault("act", "none")
    spec.setdefault("k", 1)
    spec.setdefault("s", 1)
    spec.setdefault("e", 1)
    spec.setdefault("skip", 0)
    return spec


class GraphBuilder:
    """Accumulates nodes and initializers; every helper returns its output tensor name."""

    def __init__(self, seed=0):
        self.nodes, self.inits, self.count = [], [], 0
        self.rng = np.random.default_rng(seed)
        self.consts = {}

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def weight(self, shape, fan_in):
        arr = self.rng.uniform(-1, 1, size=shape).astype(np.float32) * np.float32(np.sqrt(6.0 / fan_in))
        n = self.name("w")
        self.inits.append(numpy_helper.from_array(arr, n))
        return n

    def const(self, value):
        if value not in self.consts:
            n = self.name("c")
            self.inits.append(numpy_helper.from_array(np.array(value, dtype=np.float32), n))
            self.consts[value] = n
        return self.consts[value]

    def activation(self, x, act):
        if act == "none":
            return x
        y = self.name("a")
        if act == "relu":
            self.nodes.append(helper.make_node("Relu", [x], [y]))
        elif act == "relu6":
            self.nodes.append(helper.make_node("Clip", [x, self.const(0.0), self.const(6.0)], [y]))
        elif act == "hswish":
            self.nodes.append(helper.make_node("HardSwish", [x], [y]))
        elif act == "sigmoid":
            self.nodes.append(helper.make_node("Sigmoid", [x], [y]))
        else:
            raise ValueError(f"activation {act}")
        return y

    def conv(self, x, cin, cout, k, s, act, groups=1):
        w = self.weight((cout, cin // groups, k, k), k * k * cin // groups)
        b = self.weight((cout,), 1.0)
        y = self.name("conv")
        p = k // 2
        self.nodes.append(helper.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[s, s],
                                           pads=[p, p, p, p], group=groups))
        return self.activation(y, act)

    def squeeze_excite(self, x, channels, reduced):
        pooled = self.name("se_pool")
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
        hidden = self.conv(pooled, channels, reduced, 1, 1, "relu")
        gate = self.conv(hidden, reduced, channels, 1, 1, "sigmoid")
        y = self.name("se")
        self.nodes.append(helper.make_node("Mul", [x, gate], [y]))
        return y

    def layer(self, x, spec):
        op, cin, cout, k, s, act = spec["op"], spec["cin"], spec["cout"], spec["k"], spec["s"], spec["act"]
        if op == "conv":
            return self.conv(x, cin, cout, k, s, act)
        if op == "depthwise":
            return self.conv(x, cin, cin, k, s, act, groups=cin)
        if op in ("mbconv", "sepconv"):
            ce = cin * spec["e"]
            t = x if spec["e"] == 1 else self.conv(x, cin, ce, 1, 1, act)
            t = self.conv(t, ce, ce, k, s, act, groups=ce)
            if spec["se"] > 0:
                t = self.squeeze_excite(t, ce, max(1, int(cin * spec["se"])))
            t = self.conv(t, ce, cout, 1, 1, "none")
            if spec["skip"]:
                y = self.name("add")
                self.nodes.append(helper.make_node("Add", [t, x], [y]))
                t = y
            return t
        if op == "gap":
            y = self.name("gap")
            self.nodes.append(helper.make_node("GlobalAveragePool", [x], [y]))
            return y
        if op == "fc":
            flat = self.name("flat")
            self.nodes.append(helper.make_node("Flatten", [x], [flat], axis=1))
            w = self.weight((cin, cout), cin)
            b = self.weight((cout,), 1.0)
            y = self.name("fc")
            self.nodes.append(helper.make_node("Gemm", [flat, w, b], [y]))
            return self.activation(y, act)
        if op == "softmax":
            y = self.name("softmax")
            self.nodes.append(helper.make_node("Softmax", [x], [y], axis=-1))
            return y
        if op in ("avgpool", "maxpool"):
            y = self.name("pool")
            p = k // 2
            kind = "AveragePool" if op == "avgpool" else "MaxPool"
            self.nodes.append(helper.make_node(kind, [x], [y], kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p]))
            return y
        raise ValueError(f"op {op}")


def output_shape(spec, shape):
    """NCHW shape after one layer (same padding: ceil(h / s))."""
    op = spec["op"]
    if op == "fc":
        return [shape[0], spec["cout"]]
    if op == "softmax":
        return shape
    n, c, h, w = shape
    if op == "gap":
        return [n, c, 1, 1]
    s = spec["s"]
    return [n, spec["cout"] if op in ("conv", "mbconv", "sepconv") else c, -(-h // s), -(-w // s)]


def build_model(spec_texts, channels, height, width, seed=0):
    """An ONNX model running the specs in sequence on a 1 x channels x height x width input."""
    g = GraphBuilder(seed)
    x = "input"
    shape = [1, channels, height, width]
    for text in spec_texts:
        spec = parse_spec(text)
        x = g.layer(x, spec)
        shape = output_shape(spec, shape)
    graph = helper.make_graph(g.nodes, "nasctl", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, channels, height, width])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, shape)], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
