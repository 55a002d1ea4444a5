import Foundation
import NASEngine
import NASTraining
import SwiftProtobuf

/// A trained (or randomly initialised) `TrainingNetwork` as an ONNX model (opset 17), the
/// network the engine runs: batch norm folded into the convolution before it.
///
/// Graph: one input `input`, NCHW float32 `[N, C, H, W]` (N symbolic) holding pixel values in
/// [0, 1]; the training split's per-channel normalisation `(x − mean) / std` is the graph's
/// first two nodes, so any runtime can feed raw images. One output `logits` `[N, classes]`
/// (the softmax is left to the reader, as in training). The metadata holds the class names
/// (JSON), the normalisation and the architecture.
///
/// Layouts: nasctl's NHWC/HWIO tensors become ONNX's NCHW/OIHW; a fully connected layer over a
/// spatial input flattens in nasctl's NHWC order (a Transpose precedes the Flatten).
public struct ONNXExporter {
    public static let opset: Int64 = 17

    public enum ExportError: Error, CustomStringConvertible {
        case unsupportedLayer(String)
        public var description: String {
            switch self { case .unsupportedLayer(let kind): "export: no ONNX form for training layer \(kind)" }
        }
    }

    /// Per-image input shape (`n` ignored), per-channel mean and std of the [0, 1] pixels.
    public var inputShape: Shape
    public var mean: [Float]
    public var std: [Float]
    public var classNames: [String]
    public var metadata: [String: String]

    public init(inputShape: Shape, mean: [Float], std: [Float], classNames: [String] = [], metadata: [String: String] = [:]) {
        precondition(mean.count == inputShape.c && std.count == inputShape.c, "ONNXExporter: one mean and std per channel")
        self.inputShape = inputShape; self.mean = mean; self.std = std; self.classNames = classNames; self.metadata = metadata
    }

    /// The model of `network`.
    public func model(of network: TrainingNetwork) throws -> Onnx_ModelProto {
        var graph = GraphBuilder()
        let c = inputShape.c
        graph.addInitializer("mean", dims: [1, Int64(c), 1, 1], values: mean)
        graph.addInitializer("std", dims: [1, Int64(c), 1, 1], values: std)
        var x = graph.node("Sub", ["input", "mean"])
        x = graph.node("Div", [x, "std"])
        var shape = Shape(n: 1, h: inputShape.h, w: inputShape.w, c: inputShape.c)
        x = try emit(network.body, input: x, shape: &shape, graph: &graph)
        graph.rename(x, to: "logits")

        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = "nasctl"
        model.producerVersion = "wave 2"
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        model.opsetImport = [opset]
        var g = Onnx_GraphProto()
        g.name = "nasctl"
        g.node = graph.nodes
        g.initializer = graph.initializers
        g.input = [Self.valueInfo("input", dims: [nil, Int64(c), Int64(inputShape.h), Int64(inputShape.w)])]
        g.output = [Self.valueInfo("logits", dims: [nil, Int64(network.classes)])]
        model.graph = g
        var properties = metadata
        properties["mean"] = mean.map { String($0) }.joined(separator: ",")
        properties["std"] = std.map { String($0) }.joined(separator: ",")
        properties["input"] = "NCHW float32 [N, \(c), \(inputShape.h), \(inputShape.w)], pixel values in [0, 1]; normalised inside the graph"
        if !classNames.isEmpty, let json = try? JSONEncoder().encode(classNames) {
            properties["class_names"] = String(decoding: json, as: UTF8.self)
        }
        model.metadataProps = properties.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return model
    }

    /// The serialized model (protobuf binary), ready to write as `model.onnx`.
    public func data(of network: TrainingNetwork) throws -> Data {
        try model(of: network).serializedData()
    }

    static func valueInfo(_ name: String, dims: [Int64?]) -> Onnx_ValueInfoProto {
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = d } else { dim.dimParam = "N" }
            return dim
        }
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }

    /// Emits `layer` on value `input` (NCHW, per-image `shape`, updated), returning its output.
    private func emit(_ layer: TrainingLayer, input: String, shape: inout Shape, graph: inout GraphBuilder) throws -> String {
        switch layer {
        case let sequence as SequentialLayer:
            var x = input
            var i = 0
            let layers = sequence.layers
            while i < layers.count {
                // A convolution followed by batch norm is one folded Conv (then the batch norm's
                // activation), as the engine runs it.
                if let bn = i + 1 < layers.count ? layers[i + 1] as? BatchNormLayer : nil {
                    if let conv = layers[i] as? ConvolutionLayer {
                        x = graph.activation(bn.activation, graph.convolution(x, folded: Self.fold(conv, bn), kernel: conv.geometry.kernel, stride: conv.geometry.stride,
                                                                             inChannels: conv.inChannels, outChannels: conv.outChannels, groups: 1))
                        shape = conv.outputShape(for: shape)
                        i += 2
                        continue
                    }
                    if let dw = layers[i] as? DepthwiseLayer {
                        x = graph.activation(bn.activation, graph.convolution(x, folded: Self.fold(dw, bn), kernel: dw.geometry.kernel, stride: dw.geometry.stride,
                                                                             inChannels: dw.channels, outChannels: dw.channels, groups: dw.channels))
                        shape = dw.outputShape(for: shape)
                        i += 2
                        continue
                    }
                }
                x = try emit(layers[i], input: x, shape: &shape, graph: &graph)
                i += 1
            }
            return x
        case let residual as ResidualLayer:
            let y = try emit(residual.body, input: input, shape: &shape, graph: &graph)
            return graph.node("Add", [y, input])
        case let conv as ConvolutionLayer:
            let w = Self.oihw(conv.weight.value, k: conv.geometry.kernel, cin: conv.inChannels, cout: conv.outChannels)
            let bias = conv.bias?.value ?? [Float](repeating: 0, count: conv.outChannels)
            shape = conv.outputShape(for: shape)
            return graph.convolution(input, folded: (w, bias), kernel: conv.geometry.kernel, stride: conv.geometry.stride,
                                     inChannels: conv.inChannels, outChannels: conv.outChannels, groups: 1)
        case let bn as BatchNormLayer:
            let (scale, shift) = Self.affine(bn)
            let s = graph.constant([1, Int64(bn.channels), 1, 1], scale), b = graph.constant([1, Int64(bn.channels), 1, 1], shift)
            return graph.activation(bn.activation, graph.node("Add", [graph.node("Mul", [input, s]), b]))
        case let act as ActivationLayer:
            return graph.activation(act.activation, input)
        case let se as SqueezeExciteLayer:
            let pooled = graph.node("GlobalAveragePool", [input])
            let hidden = graph.activation(.relu, graph.pointwise(pooled, se.reduce))
            let gate = graph.activation(.sigmoid, graph.pointwise(hidden, se.expand))
            return graph.node("Mul", [input, gate])
        case let pool as PoolingLayer:
            let k = Int64(pool.geometry.kernel), s = Int64(pool.geometry.stride), p = Int64(pool.geometry.padding)
            shape = pool.outputShape(for: shape)
            var attributes: [Onnx_AttributeProto] = [.ints("kernel_shape", [k, k]), .ints("strides", [s, s]), .ints("pads", [p, p, p, p])]
            if pool.kind == .average { attributes.append(.int("count_include_pad", 0)) }
            return graph.node(pool.kind == .average ? "AveragePool" : "MaxPool", [input], attributes)
        case is GlobalAveragePoolLayer:
            shape = Shape(n: shape.n, h: 1, w: 1, c: shape.c)
            return graph.node("GlobalAveragePool", [input])
        case let linear as LinearLayer:
            // nasctl flattens NHWC features: bring channels last first when there is a spatial extent.
            var x = input
            if shape.h * shape.w > 1 { x = graph.node("Transpose", [x], [.ints("perm", [0, 2, 3, 1])]) }
            x = graph.node("Flatten", [x], [.int("axis", 1)])
            let w = graph.constant([Int64(linear.inFeatures), Int64(linear.outFeatures)], linear.weight.value)
            let b = graph.constant([Int64(linear.outFeatures)], linear.bias.value)
            shape = Shape(n: shape.n, h: 1, w: 1, c: linear.outFeatures)
            return graph.node("Gemm", [x, w, b])
        default:
            throw ExportError.unsupportedLayer(String(describing: type(of: layer)))
        }
    }

    /// Inference batch norm as `y = x·scale + shift` per channel.
    static func affine(_ bn: BatchNormLayer) -> (scale: [Float], shift: [Float]) {
        let scale = (0..<bn.channels).map { bn.gamma.value[$0] / (bn.runningVariance.value[$0] + bn.epsilon).squareRoot() }
        let shift = (0..<bn.channels).map { bn.beta.value[$0] - bn.runningMean.value[$0] * scale[$0] }
        return (scale, shift)
    }

    /// `[k, k, cin, cout]` (HWIO) → `[cout, cin, k, k]` (OIHW).
    static func oihw(_ hwio: [Float], k: Int, cin: Int, cout: Int) -> [Float] {
        var out = [Float](repeating: 0, count: hwio.count)
        for kh in 0..<k { for kw in 0..<k { for i in 0..<cin { for o in 0..<cout {
            out[((o * cin + i) * k + kh) * k + kw] = hwio[((kh * k + kw) * cin + i) * cout + o]
        } } } }
        return out
    }

    /// Convolution then batch norm as one convolution: OIHW weights scaled per output channel.
    static func fold(_ conv: ConvolutionLayer, _ bn: BatchNormLayer) -> (weights: [Float], bias: [Float]) {
        let (scale, shift) = affine(bn)
        var w = oihw(conv.weight.value, k: conv.geometry.kernel, cin: conv.inChannels, cout: conv.outChannels)
        let perOutput = w.count / conv.outChannels
        for o in 0..<conv.outChannels { for j in 0..<perOutput { w[o * perOutput + j] *= scale[o] } }
        let bias = (0..<conv.outChannels).map { (conv.bias?.value[$0] ?? 0) * scale[$0] + shift[$0] }
        return (w, bias)
    }

    /// Depthwise `[k, k, c]` then batch norm as one grouped convolution `[c, 1, k, k]`.
    static func fold(_ dw: DepthwiseLayer, _ bn: BatchNormLayer) -> (weights: [Float], bias: [Float]) {
        let (scale, shift) = affine(bn)
        let k = dw.geometry.kernel, c = dw.channels
        var w = [Float](repeating: 0, count: c * k * k)
        for kh in 0..<k { for kw in 0..<k { for ch in 0..<c { w[(ch * k + kh) * k + kw] = dw.weight.value[(kh * k + kw) * c + ch] * scale[ch] } } }
        return (w, shift)
    }
}
