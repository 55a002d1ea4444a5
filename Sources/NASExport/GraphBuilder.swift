import Foundation
import NASEngine
import NASTraining

/// Accumulates an ONNX graph's nodes and initializers, naming values `v1`, `v2`, … and
/// weights `w1`, `w2`, … in the order they are made.
struct GraphBuilder {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private var values = 0

    /// A new node `op(inputs)` with one output; returns the output's name.
    mutating func node(_ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = []) -> String {
        values += 1
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = "\(op.lowercased())_\(values)"
        node.input = inputs
        node.output = ["v\(values)"]
        node.attribute = attributes
        nodes.append(node)
        return "v\(values)"
    }

    /// A float32 initializer of `dims` named `name`.
    mutating func addInitializer(_ name: String, dims: [Int64], values: [Float]) {
        precondition(Int(dims.reduce(1, *)) == values.count, "GraphBuilder: \(values.count) values for dims \(dims)")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = dims
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian, as ONNX stores raw data
        initializers.append(tensor)
    }

    /// A new float32 initializer; returns its name.
    mutating func constant(_ dims: [Int64], _ values: [Float]) -> String {
        let name = "w\(initializers.count + 1)"
        addInitializer(name, dims: dims, values: values)
        return name
    }

    /// Renames the value `from` (a node output) to `to`, e.g. the graph's output.
    mutating func rename(_ from: String, to: String) {
        for i in nodes.indices {
            nodes[i].output = nodes[i].output.map { $0 == from ? to : $0 }
            nodes[i].input = nodes[i].input.map { $0 == from ? to : $0 }
        }
    }

    /// Conv with OIHW `folded.weights` (`[cout, cin/groups, k, k]`), bias, padding `k/2`.
    mutating func convolution(_ x: String, folded: (weights: [Float], bias: [Float]), kernel k: Int, stride s: Int,
                              inChannels cin: Int, outChannels cout: Int, groups: Int) -> String {
        let w = constant([Int64(cout), Int64(cin / groups), Int64(k), Int64(k)], folded.weights)
        let b = constant([Int64(cout)], folded.bias)
        let p = Int64(k / 2)
        return node("Conv", [x, w, b], [.ints("kernel_shape", [Int64(k), Int64(k)]), .ints("strides", [Int64(s), Int64(s)]),
                                         .ints("pads", [p, p, p, p]), .int("group", Int64(groups))])
    }

    /// A fully connected layer applied per image to an `[N, C, 1, 1]` value as a 1x1 Conv.
    mutating func pointwise(_ x: String, _ linear: LinearLayer) -> String {
        let cin = linear.inFeatures, cout = linear.outFeatures
        var w = [Float](repeating: 0, count: cin * cout)
        for i in 0..<cin { for o in 0..<cout { w[o * cin + i] = linear.weight.value[i * cout + o] } }
        return convolution(x, folded: (w, linear.bias.value), kernel: 1, stride: 1, inChannels: cin, outChannels: cout, groups: 1)
    }

    /// `act(x)`: Relu, Clip(0, 6), HardSwish or Sigmoid; none returns `x`.
    mutating func activation(_ activation: Activation, _ x: String) -> String {
        switch activation {
        case .none: return x
        case .relu: return node("Relu", [x])
        case .relu6:
            let lo = constant([], [0]), hi = constant([], [6])
            return node("Clip", [x, lo, hi])
        case .hswish: return node("HardSwish", [x])
        case .sigmoid: return node("Sigmoid", [x])
        }
    }
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = value
        return a
    }

    static func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values
        return a
    }
}
