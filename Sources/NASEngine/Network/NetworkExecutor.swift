/// Runs a `Network` with buffers allocated once: two ping-pong activation buffers of the
/// largest activation and one scratch buffer of the largest per-layer scratch.
/// `run()` allocates nothing.
public final class NetworkExecutor: @unchecked Sendable {
    public let network: Network
    public let context: ExecutionContext
    private let shapes: [Shape]
    private let ping: FloatBuffer, pong: FloatBuffer, scratch: FloatBuffer
    /// The input buffer: write the NHWC input here before `run()`.
    public let input: Tensor

    public init(network: Network, context: ExecutionContext) {
        self.network = network
        self.context = context
        self.shapes = network.shapes
        let largest = shapes.dropFirst().map(\.count).max() ?? 1
        let scratchNeed = zip(network.layers, shapes).map { $0.0.scratchCount(for: $0.1) }.max() ?? 0
        ping = FloatBuffer(count: largest)
        pong = FloatBuffer(count: largest)
        scratch = FloatBuffer(count: max(scratchNeed, 1))
        input = Tensor(shape: network.inputShape)
    }

    /// Fills the input with seeded uniform values in [-1, 1).
    public func fillInputRandomly(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for i in 0..<input.storage.count { input.storage[i] = rng.uniform(1) }
    }

    /// One forward pass; returns a view of the output valid until the next `run()`.
    @discardableResult
    public func run() -> UnsafeBufferPointer<Float> {
        var source = UnsafePointer(input.pointer)
        var target = ping.pointer
        for (i, layer) in network.layers.enumerated() {
            layer.forward(source, input: shapes[i], into: target, scratch: scratch.pointer, context: context)
            source = UnsafePointer(target)
            target = target == ping.pointer ? pong.pointer : ping.pointer
        }
        return UnsafeBufferPointer(start: source, count: network.outputShape.count)
    }

    /// Times every layer over `runs` passes; returns the median milliseconds per layer.
    public func profileLayers(runs: Int) -> [Double] {
        var samples = Array(repeating: [Double](), count: network.layers.count)
        for _ in 0..<max(runs, 1) {
            var source = UnsafePointer(input.pointer)
            var target = ping.pointer
            for (i, layer) in network.layers.enumerated() {
                let start = MonotonicClock.nanoseconds()
                layer.forward(source, input: shapes[i], into: target, scratch: scratch.pointer, context: context)
                samples[i].append(Double(MonotonicClock.nanoseconds() - start) / 1e6)
                source = UnsafePointer(target)
                target = target == ping.pointer ? pong.pointer : ping.pointer
            }
        }
        return samples.map { $0.sorted()[$0.count / 2] }
    }
}
