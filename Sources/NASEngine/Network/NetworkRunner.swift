/// A network prepared to run on one backend, with its buffers (and operators) made once:
/// the engine's own kernels (`NetworkExecutor`) or XNNPACK (`XNNPACKExecutor`).
public protocol NetworkRunner: AnyObject, Sendable {
    var network: Network { get }
    /// The input buffer: write the NHWC input here before `run()`.
    var input: Tensor { get }
    /// One forward pass; returns a view of the output valid until the next `run()`.
    @discardableResult func run() -> UnsafeBufferPointer<Float>
    /// Times every layer over `runs` passes; each layer's `max(runs, 1)` times (ms).
    func profileLayerSamples(runs: Int) -> [[Double]]
}

/// Which implementation runs a whole network.
public enum InferenceBackend: String, Sendable, CaseIterable, Codable {
    /// nasctl's engine: its kernels (and OpenBLAS where a table chose it).
    case nasctl
    /// XNNPACK's operators (the CPU engine of TFLite and PyTorch Mobile).
    case xnnpack
}

extension NetworkRunner {
    /// Fills the input with seeded uniform values in [-1, 1).
    public func fillInputRandomly(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for i in 0..<input.storage.count { input.storage[i] = rng.uniform(1) }
    }

    /// Times every layer over `runs` passes; returns the median milliseconds per layer.
    public func profileLayers(runs: Int) -> [Double] {
        profileLayerSamples(runs: runs).map { $0.sorted()[$0.count / 2] }
    }
}
