/// Runs a `Network` with buffers allocated once: two ping-pong activation buffers of the
/// largest activation and one scratch buffer of the largest per-layer scratch.
/// `run()` allocates nothing.
public final class NetworkExecutor: NetworkRunner, @unchecked Sendable {
    public let network: Network
    public let context: ExecutionContext
    /// The context each layer runs on: `context`, with a per-layer GEMM backend when given one.
    private let layerContexts: [ExecutionContext]
    private let shapes: [Shape]
    private let ping: FloatBuffer, pong: FloatBuffer, scratch: FloatBuffer
    /// The input buffer: write the NHWC input here before `run()`.
    public let input: Tensor

    /// - Parameter layerBackends: one GEMM backend per layer of `network` (a latency table's
    ///   choice per layer shape, `LatencyTable.backends(for:)`); nil runs every layer on
    ///   `context.gemm`.
    /// - Precondition: `layerBackends` has one backend per layer.
    public init(network: Network, context: ExecutionContext, layerBackends: [GEMMBackend]? = nil) {
        precondition(layerBackends.map { $0.count == network.layers.count } ?? true,
                     "NetworkExecutor: \(layerBackends?.count ?? 0) layer backends for \(network.layers.count) layers")
        self.network = network
        self.context = context
        self.layerContexts = layerBackends.map { $0.map { context.with(gemm: $0) } }
            ?? Array(repeating: context, count: network.layers.count)
        self.shapes = network.shapes
        let largest = shapes.dropFirst().map(\.count).max() ?? 1
        let scratchNeed = zip(network.layers, shapes).map { $0.0.scratchCount(for: $0.1) }.max() ?? 0
        ping = FloatBuffer(count: largest)
        pong = FloatBuffer(count: largest)
        scratch = FloatBuffer(count: max(scratchNeed, 1))
        input = Tensor(shape: network.inputShape)
    }

    /// One forward pass; returns a view of the output valid until the next `run()`.
    @discardableResult
    public func run() -> UnsafeBufferPointer<Float> {
        var source = UnsafePointer(input.pointer)
        var target = ping.pointer
        for (i, layer) in network.layers.enumerated() {
            layer.forward(source, input: shapes[i], into: target, scratch: scratch.pointer, context: layerContexts[i])
            source = UnsafePointer(target)
            target = target == ping.pointer ? pong.pointer : ping.pointer
        }
        return UnsafeBufferPointer(start: source, count: network.outputShape.count)
    }

    /// Times every layer over `runs` passes; returns each layer's `max(runs, 1)` times (ms).
    public func profileLayerSamples(runs: Int) -> [[Double]] {
        var samples = Array(repeating: [Double](), count: network.layers.count)
        for _ in 0..<max(runs, 1) {
            var source = UnsafePointer(input.pointer)
            var target = ping.pointer
            for (i, layer) in network.layers.enumerated() {
                let start = MonotonicClock.nanoseconds()
                layer.forward(source, input: shapes[i], into: target, scratch: scratch.pointer, context: layerContexts[i])
                samples[i].append(Double(MonotonicClock.nanoseconds() - start) / 1e6)
                source = UnsafePointer(target)
                target = target == ping.pointer ? pong.pointer : ping.pointer
            }
        }
        return samples
    }
}
