/// Runs a `Network` on XNNPACK's operators (the engine of TFLite's CPU delegate), so a latency
/// table can describe what an XNNPACK deployment sees on this CPU.
///
/// Every layer becomes XNNPACK operators created and set up once on fixed buffers (weights are
/// packed by XNNPACK at creation): convolution and depthwise convolution with relu/relu6 fused
/// as an output clamp, hard-swish and sigmoid as their own operators, identity skips as an add,
/// squeeze-excite as global average pooling, two fully connected layers, a sigmoid and a
/// broadcasting multiply. Every layer kind of the engine is expressible in the 2022 API.
/// `run()` allocates nothing.
public final class XNNPACKExecutor: NetworkRunner, @unchecked Sendable {
    public let network: Network
    public let threads: Int
    public let input: Tensor
    private let pool: XNNPACK.Pool
    /// Operators of each layer, in order.
    private var steps: [[XNNPACK.Operator]] = []
    /// Activation and scratch buffers the operators were set up on (kept alive here).
    private var buffers: [FloatBuffer] = []
    private var output: UnsafePointer<Float>

    /// Floats of readable padding past every buffer XNNPACK reads (XNN_EXTRA_BYTES = 16).
    static let extraFloats = 16

    /// - Throws: `EngineError.unsupportedLayer` for a layer kind with no XNNPACK mapping, or
    ///   XNNPACK's failure (e.g. unsupported hardware).
    public init(network: Network, threads: Int) throws {
        precondition(threads >= 1, "XNNPACKExecutor: threads must be >= 1")
        try XNNPACK.initialize()
        self.network = network
        self.threads = threads
        pool = XNNPACK.Pool(threads: threads)
        input = Tensor(shape: network.inputShape, extraFloats: Self.extraFloats)
        let shapes = network.shapes
        let largest = shapes.dropFirst().map(\.count).max() ?? 1
        let ping = FloatBuffer(count: largest + Self.extraFloats), pong = FloatBuffer(count: largest + Self.extraFloats)
        buffers = [ping, pong]
        var source = UnsafePointer(input.pointer)
        var target = ping.pointer
        output = source
        for (i, layer) in network.layers.enumerated() {
            steps.append(try operators(for: layer, index: i, input: shapes[i], source: source, target: target))
            source = UnsafePointer(target)
            target = target == ping.pointer ? pong.pointer : ping.pointer
        }
        output = source
    }

    @discardableResult
    public func run() -> UnsafeBufferPointer<Float> {
        for step in steps { for op in step { op.run() } }
        return UnsafeBufferPointer(start: output, count: network.outputShape.count)
    }

    public func profileLayerSamples(runs: Int) -> [[Double]] {
        var samples = Array(repeating: [Double](), count: steps.count)
        for _ in 0..<max(runs, 1) {
            for (i, step) in steps.enumerated() {
                let start = MonotonicClock.nanoseconds()
                for op in step { op.run() }
                samples[i].append(Double(MonotonicClock.nanoseconds() - start) / 1e6)
            }
        }
        return samples
    }

    /// A scratch buffer of `count` floats (plus XNNPACK's read padding) owned by the executor.
    private func scratch(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = FloatBuffer(count: count + Self.extraFloats)
        buffers.append(buffer)
        return buffer.pointer
    }

    /// The operators computing `layer` from `source` (shape `x`) into `target`.
    private func operators(for layer: any Layer, index: Int, input x: Shape, source: UnsafePointer<Float>,
                           target: UnsafeMutablePointer<Float>) throws -> [XNNPACK.Operator] {
        switch layer {
        case let conv as Convolution:
            return try convolution(conv, input: x, source: source, target: target)
        case let dw as DepthwiseConvolution:
            return try depthwise(dw, input: x, source: source, target: target)
        case let block as MBConv:
            var ops: [XNNPACK.Operator] = []
            var dwInput = source
            var shape = x
            if let expand = block.expand {
                let expanded = scratch(expand.outputShape(for: x).count)
                ops += try convolution(expand, input: x, source: source, target: expanded)
                dwInput = UnsafePointer(expanded)
                shape = expand.outputShape(for: x)
            }
            let d = block.depthwise.outputShape(for: shape)
            let dwOut = scratch(d.count)
            ops += try depthwise(block.depthwise, input: shape, source: dwInput, target: dwOut)
            if let se = block.squeezeExcite {
                ops += try squeezeExcite(se, input: d, source: UnsafePointer(dwOut), target: dwOut)
            }
            ops += try convolution(block.project, input: d, source: UnsafePointer(dwOut), target: target,
                                   residual: block.skip ? source : nil)
            return ops
        case let se as SqueezeExcite:
            return try squeezeExcite(se, input: x, source: source, target: target)
        case let pooling as Pooling:
            return [try XNNPACK.pooling(max: pooling.kind == .max, kernel: pooling.geometry.kernel, stride: pooling.geometry.stride,
                                        channels: x.c, batch: x.n, height: x.h, width: x.w, input: source, output: target, pool: pool)]
        case is GlobalAveragePooling:
            return [try XNNPACK.globalAveragePool(channels: x.c, batch: x.n, pixels: x.h * x.w, input: source, output: target, pool: pool)]
        case let fc as FullyConnected:
            var ops = [try XNNPACK.fullyConnected(inFeatures: fc.inFeatures, outFeatures: fc.outFeatures, weights: fc.weights.pointer,
                                                  bias: fc.bias.pointer, clamp: XNNPACK.clamp(fc.activation), batch: x.n,
                                                  input: source, output: target, pool: pool)]
            ops += try activation(fc.activation, channels: fc.outFeatures, rows: x.n, on: target)
            return ops
        case is Softmax:
            return [try XNNPACK.pointwise(.softmax, channels: x.c, rows: x.pixels, input: source, output: target, pool: pool)]
        default:
            throw EngineError.unsupportedLayer(layer: index, summary: layer.summary, backend: "xnnpack")
        }
    }

    /// Hard-swish or sigmoid as an in-place operator after one whose clamp cannot express it.
    private func activation(_ activation: Activation, channels: Int, rows: Int, on buffer: UnsafeMutablePointer<Float>) throws -> [XNNPACK.Operator] {
        switch activation {
        case .hswish: return [try XNNPACK.pointwise(.hardswish, channels: channels, rows: rows, input: buffer, output: buffer, pool: pool)]
        case .sigmoid: return [try XNNPACK.pointwise(.sigmoid, channels: channels, rows: rows, input: buffer, output: buffer, pool: pool)]
        case .none, .relu, .relu6: return []
        }
    }

    /// `target = act(conv(source)) (+ residual)`; the engine's HWIO weights repacked to OHWI.
    private func convolution(_ conv: Convolution, input x: Shape, source: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>,
                             residual: UnsafePointer<Float>? = nil) throws -> [XNNPACK.Operator] {
        let k = conv.geometry.kernel, cin = conv.inChannels, cout = conv.outChannels
        let ohwi = Self.ohwi(fromHWIO: conv.weights.pointer, taps: k * k, inChannels: cin, outChannels: cout)
        let y = conv.outputShape(for: x)
        var ops = [try XNNPACK.convolution(kernel: k, stride: conv.geometry.stride, inChannels: cin, outChannels: cout, depthwise: false,
                                           weights: ohwi, bias: conv.bias.pointer, clamp: XNNPACK.clamp(conv.activation),
                                           batch: x.n, height: x.h, width: x.w, input: source, output: target, pool: pool)]
        ops += try activation(conv.activation, channels: cout, rows: y.pixels, on: target)
        if let skipped = conv.skip ? source : residual {
            let dims = [y.n, y.h, y.w, y.c]
            ops.append(try XNNPACK.binary(multiply: false, aShape: dims, bShape: dims, a: target, b: skipped, output: target, pool: pool))
        }
        return ops
    }

    /// Convolution weights `[taps][cin][cout]` (HWIO) as `[cout][taps][cin]` (OHWI), in
    /// 16 x 16 blocks of each tap's `cin x cout` matrix so reads and writes both stay in cache
    /// (a 1x1 convolution of 400 → 2,400 channels is a 3.8 MB transpose).
    /// - Complexity: O(taps · cin · cout).
    static func ohwi(fromHWIO hwio: UnsafePointer<Float>, taps: Int, inChannels cin: Int, outChannels cout: Int) -> [Float] {
        let block = 16
        return [Float](unsafeUninitializedCapacity: taps * cin * cout) { out, initialized in
            let dst = out.baseAddress!
            for tap in 0..<taps {
                let src = hwio + tap * cin * cout
                for i0 in stride(from: 0, to: cin, by: block) {
                    let i1 = min(i0 + block, cin)
                    for o0 in stride(from: 0, to: cout, by: block) {
                        let o1 = min(o0 + block, cout)
                        for i in i0..<i1 {
                            let row = src + i * cout
                            for o in o0..<o1 { dst[(o * taps + tap) * cin + i] = row[o] }
                        }
                    }
                }
            }
            initialized = taps * cin * cout
        }
    }

    private func depthwise(_ dw: DepthwiseConvolution, input x: Shape, source: UnsafePointer<Float>,
                           target: UnsafeMutablePointer<Float>) throws -> [XNNPACK.Operator] {
        let y = dw.outputShape(for: x)
        var ops = [try XNNPACK.convolution(kernel: dw.geometry.kernel, stride: dw.geometry.stride, inChannels: dw.channels,
                                           outChannels: dw.channels, depthwise: true, weights: dw.weights.pointer, bias: dw.bias.pointer,
                                           clamp: XNNPACK.clamp(dw.activation), batch: x.n, height: x.h, width: x.w,
                                           input: source, output: target, pool: pool)]
        ops += try activation(dw.activation, channels: dw.channels, rows: y.pixels, on: target)
        return ops
    }

    /// `target = source · sigmoid(fc2(relu(fc1(mean(source)))))`, the gate broadcast per image.
    private func squeezeExcite(_ se: SqueezeExcite, input x: Shape, source: UnsafePointer<Float>,
                               target: UnsafeMutablePointer<Float>) throws -> [XNNPACK.Operator] {
        let pooled = scratch(x.n * se.channels), hidden = scratch(x.n * se.reduced), gate = scratch(x.n * se.channels)
        return [
            try XNNPACK.globalAveragePool(channels: x.c, batch: x.n, pixels: x.h * x.w, input: source, output: pooled, pool: pool),
            try XNNPACK.fullyConnected(inFeatures: se.channels, outFeatures: se.reduced, weights: se.w1.pointer, bias: se.b1.pointer,
                                       clamp: XNNPACK.clamp(.relu), batch: x.n, input: pooled, output: hidden, pool: pool),
            try XNNPACK.fullyConnected(inFeatures: se.reduced, outFeatures: se.channels, weights: se.w2.pointer, bias: se.b2.pointer,
                                       clamp: XNNPACK.clamp(.none), batch: x.n, input: hidden, output: gate, pool: pool),
            try XNNPACK.pointwise(.sigmoid, channels: se.channels, rows: x.n, input: gate, output: gate, pool: pool),
            try XNNPACK.binary(multiply: true, aShape: [x.n, x.h, x.w, x.c], bShape: [x.n, 1, 1, x.c], a: source, b: gate,
                               output: target, pool: pool),
        ]
    }
}
