/// A sequential network: an input shape and layers, each consuming the previous one's output.
public struct Network: Sendable {
    public let inputShape: Shape
    public let layers: [any Layer]
    /// The specs the layers were built from, when built from specs.
    public let specs: [LayerSpec]?

    /// Checks that every layer accepts its input (channel counts, feature counts).
    public init(inputShape: Shape, layers: [any Layer], specs: [LayerSpec]? = nil) throws {
        self.inputShape = inputShape; self.layers = layers; self.specs = specs
        _ = try checkedShapes()
    }

    /// Instantiates `specs` with seeded random folded weights.
    public init(inputShape: Shape, specs: [LayerSpec], seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var channels = inputShape.c
        for (i, spec) in specs.enumerated() {
            try spec.validate()
            guard spec.inChannels == channels || spec.op == .fc else {
                throw EngineError.shapeMismatch(layer: i, summary: spec.description, detail: "takes \(spec.inChannels) channels, gets \(channels)")
            }
            channels = spec.outChannels
        }
        try self.init(inputShape: inputShape, layers: specs.map { $0.instantiate(rng: &rng) }, specs: specs)
    }

    /// Input shape of each layer followed by the network's output shape (`layers.count + 1`).
    public var shapes: [Shape] { (try? checkedShapes()) ?? [] }

    private func checkedShapes() throws -> [Shape] {
        var result = [inputShape]
        var shape = inputShape
        for (i, layer) in layers.enumerated() {
            if let problem = layer.inputProblem(for: shape) {
                throw EngineError.shapeMismatch(layer: i, summary: layer.summary, detail: problem)
            }
            shape = layer.outputShape(for: shape)
            result.append(shape)
        }
        return result
    }

    public var outputShape: Shape { shapes.last ?? inputShape }

    /// Total multiply-accumulates of one forward pass.
    public var macs: Int { zip(layers, shapes).reduce(0) { $0 + $1.0.macs(for: $1.1) } }

    /// Total parameters (after batch-norm folding).
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
}
