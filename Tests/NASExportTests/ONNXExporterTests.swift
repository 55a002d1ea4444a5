import Foundation
import NASEngine
import NASTraining
import SwiftProtobuf
import Testing
@testable import NASExport

@Suite struct ONNXExporterTests {
    /// Every layer kind the spaces produce: 3-channel stem with hard-swish, a skip convolution,
    /// separable and MBConv blocks (SE, skip, relu6, 5x5 and 7x7, stride 2), depthwise with
    /// sigmoid, both poolings, global pooling and a classifier; and a classifier over a spatial
    /// input (the NHWC flatten order).
    static let networks: [[String]] = [
        ["op=conv,cin=3,cout=16,k=3,s=2,skip=0,act=hswish",
         "op=conv,cin=16,cout=16,k=3,s=1,skip=1,act=relu6",
         "op=sepconv,cin=16,cout=24,k=3,s=1,e=1,se=0,skip=0,act=relu",
         "op=mbconv,cin=24,cout=24,k=5,s=1,e=6,se=0.25,skip=1,act=hswish",
         "op=mbconv,cin=24,cout=40,k=7,s=2,e=3,se=0,skip=0,act=relu6",
         "op=depthwise,cin=40,cout=40,k=3,s=1,act=sigmoid",
         "op=conv,cin=40,cout=64,k=1,s=1,skip=0,act=relu",
         "op=gap,cin=64,cout=64",
         "op=fc,cin=64,cout=10,act=none",
         "op=softmax,cin=10,cout=10"],
        ["op=conv,cin=3,cout=8,k=5,s=1,skip=0,act=none",
         "op=avgpool,cin=8,cout=8,k=3,s=2",
         "op=maxpool,cin=8,cout=8,k=3,s=2",
         "op=mbconv,cin=8,cout=8,k=3,s=1,e=4,se=0.5,skip=1,act=relu",
         "op=fc,cin=160,cout=7,act=none"],
    ]

    /// Gives every batch norm non-trivial statistics, so folding them is really tested.
    static func randomiseBatchNorms(_ layer: TrainingLayer, _ rng: inout SplitMix64) {
        switch layer {
        case let s as SequentialLayer: for l in s.layers { randomiseBatchNorms(l, &rng) }
        case let r as ResidualLayer: randomiseBatchNorms(r.body, &rng)
        case let bn as BatchNormLayer:
            for c in 0..<bn.channels {
                bn.gamma.value[c] = 0.5 + rng.uniform(0.4)
                bn.beta.value[c] = rng.uniform(0.3)
                bn.runningMean.value[c] = rng.uniform(0.5)
                bn.runningVariance.value[c] = 0.5 + abs(rng.uniform(0.4))
            }
        default: break
        }
    }

    @Test(arguments: networks.indices)
    func theExportedGraphComputesTheNetwork(index: Int) throws {
        let specs = try Self.networks[index].map { try LayerSpec(parsing: $0) }
        let shape = Shape(n: 1, h: 17, w: 15, c: 3)
        let network = TrainingNetwork(inputShape: shape, specs: specs, seed: 3)
        var rng = SplitMix64(seed: 4)
        Self.randomiseBatchNorms(network.body, &rng)
        let mean: [Float] = [0.3, 0.5, 0.4], std: [Float] = [0.2, 0.25, 0.3]
        let exporter = ONNXExporter(inputShape: shape, mean: mean, std: std, classNames: (0..<network.classes).map { "class \($0)" })
        let data = try exporter.data(of: network)
        let model = try Onnx_ModelProto(serializedBytes: data)  // what a reader of the file sees
        #expect(model.opsetImport.first?.version == 17)
        #expect(model.graph.input.map(\.name) == ["input"] && model.graph.output.map(\.name) == ["logits"])
        let metadata = Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) })
        #expect(metadata["class_names"]?.contains("class 0") == true && metadata["mean"] == "0.3,0.5,0.4")
        // Batch norm is folded: no BatchNormalization node, one Conv per convolution.
        #expect(!model.graph.node.contains { $0.opType == "BatchNormalization" })

        // Two raw images in [0, 1], NCHW for the graph, normalised NHWC for nasctl.
        let batch = 2, hw = shape.h * shape.w
        let raw = (0..<(batch * 3 * hw)).map { _ in 0.5 + rng.uniform(0.5) }
        var nhwc = [Float](repeating: 0, count: raw.count)
        for b in 0..<batch { for c in 0..<3 { for p in 0..<hw {
            nhwc[(b * hw + p) * 3 + c] = (raw[(b * 3 + c) * hw + p] - mean[c]) / std[c]
        } } }
        let expected = network.forward(nhwc, batch: batch, training: false)
        let got = try ONNXInterpreter(graph: model.graph).run(input: .init(dims: [batch, 3, shape.h, shape.w], data: raw))
        #expect(got.dims == [batch, network.classes])
        let worst = zip(got.data, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }

    /// The test can fail: an exporter that forgot the normalisation is caught.
    @Test func aWrongNormalisationIsCaught() throws {
        let specs = try Self.networks[1].map { try LayerSpec(parsing: $0) }
        let shape = Shape(n: 1, h: 17, w: 15, c: 3)
        let network = TrainingNetwork(inputShape: shape, specs: specs, seed: 3)
        let model = try ONNXExporter(inputShape: shape, mean: [0, 0, 0], std: [1, 1, 1]).model(of: network)
        var rng = SplitMix64(seed: 5)
        let raw = (0..<(3 * shape.h * shape.w)).map { _ in 0.5 + rng.uniform(0.5) }
        var nhwc = [Float](repeating: 0, count: raw.count)
        for c in 0..<3 { for p in 0..<(shape.h * shape.w) { nhwc[p * 3 + c] = (raw[c * shape.h * shape.w + p] - 0.5) / 0.25 } }
        let expected = network.forward(nhwc, batch: 1, training: false)
        let got = try ONNXInterpreter(graph: model.graph).run(input: .init(dims: [1, 3, shape.h, shape.w], data: raw))
        #expect((zip(got.data, expected).map { abs($0 - $1) }.max() ?? 0) > 1e-2)
    }
}

@Suite struct MobileNetV2ExportTests {
    /// MobileNetV2-1.0 at 224 decoded back through swift-protobuf: 52 convolutions (stem, 17
    /// blocks' expand/depthwise/project, head) with folded bias, 10 residual adds, 35 ReLU6
    /// clips, one global pool and one classifier; 178 initializers with the expected shapes.
    @Test func theGraphHasMobileNetV2sStructure() throws {
        let engine = try MobileNetV2.network(resolution: 224, width: 1.0)
        let specs = try #require(engine.specs)
        let network = TrainingNetwork(inputShape: Shape(n: 1, h: 224, w: 224, c: 3), specs: specs, seed: 1)
        let data = try ONNXExporter(inputShape: Shape(n: 1, h: 224, w: 224, c: 3), mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]).data(of: network)
        let model = try Onnx_ModelProto(serializedBytes: data)
        let counts = Dictionary(grouping: model.graph.node, by: \.opType).mapValues(\.count)
        #expect(counts["Conv"] == 52 && counts["Add"] == 10 && counts["Clip"] == 35)
        #expect(counts["GlobalAveragePool"] == 1 && counts["Gemm"] == 1 && counts["Flatten"] == 1 && counts["Transpose"] == nil)
        #expect(counts["Sub"] == 1 && counts["Div"] == 1 && model.graph.node.count == 102)
        #expect(model.graph.initializer.count == 178)
        let shapes = Dictionary(uniqueKeysWithValues: model.graph.initializer.map { ($0.name, $0.dims) })
        let convs = model.graph.node.filter { $0.opType == "Conv" }
        #expect(shapes[convs[0].input[1]] == [32, 3, 3, 3])                  // stem
        #expect(shapes[convs[1].input[1]] == [32, 1, 3, 3])                  // block 1 depthwise, group 32
        #expect(convs[1].attribute.first { $0.name == "group" }?.i == 32)
        #expect(shapes[convs[51].input[1]] == [1280, 320, 1, 1])             // head
        let gemm = try #require(model.graph.node.first { $0.opType == "Gemm" })
        #expect(shapes[gemm.input[1]] == [1280, 1000] && shapes[gemm.input[2]] == [1000])
        #expect(model.graph.input[0].type.tensorType.shape.dim.map(\.dimValue) == [0, 3, 224, 224])  // N symbolic
        #expect(model.graph.input[0].type.tensorType.shape.dim[0].dimParam == "N")
        // Raw little-endian float32: every initializer's bytes match its shape.
        #expect(model.graph.initializer.allSatisfy { $0.rawData.count == 4 * Int($0.dims.reduce(1, *)) })
    }
}
