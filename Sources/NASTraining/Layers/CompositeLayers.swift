import NASEngine

/// Layers applied in order; backward in reverse.
public final class SequentialLayer: TrainingLayer {
    public let layers: [TrainingLayer]
    public init(_ layers: [TrainingLayer]) { self.layers = layers }
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var buffers: [Buffer] { layers.flatMap(\.buffers) }
    public func outputShape(for input: Shape) -> Shape { layers.reduce(input) { $1.outputShape(for: $0) } }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        var value = x, current = shape
        for layer in layers {
            value = layer.forward(value, shape: current, training: training)
            current = layer.outputShape(for: current)
        }
        return value
    }

    public func backward(_ dy: [Float]) -> [Float] {
        layers.reversed().reduce(dy) { $1.backward($0) }
    }
}

/// Identity skip around `body`: `y = body(x) + x` (shapes must match).
public final class ResidualLayer: TrainingLayer {
    public let body: TrainingLayer
    public init(_ body: TrainingLayer) { self.body = body }
    public var parameters: [Parameter] { body.parameters }
    public var buffers: [Buffer] { body.buffers }
    public func outputShape(for input: Shape) -> Shape { body.outputShape(for: input) }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(body.outputShape(for: shape) == shape, "ResidualLayer: body changes the shape \(shape)")
        var y = body.forward(x, shape: shape, training: training)
        addInPlace(&y, x)
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        var dx = body.backward(dy)
        addInPlace(&dx, dy)
        return dx
    }
}

/// Squeeze-and-excite: `y = x · σ(W2·relu(W1·gap(x) + b1) + b2)` per image and channel.
public final class SqueezeExciteLayer: TrainingLayer {
    public let channels: Int
    private let squeeze = GlobalAveragePoolLayer()
    public let reduce: LinearLayer, expand: LinearLayer
    private let relu = ActivationLayer(.relu), sigmoid = ActivationLayer(.sigmoid)
    private var x: [Float] = []
    private var gate: [Float] = []
    private var shape = Shape(h: 1, w: 1, c: 1)

    public init(channels: Int, reduced: Int, rng: inout SplitMix64) {
        self.channels = channels
        reduce = LinearLayer(inFeatures: channels, outFeatures: reduced, rng: &rng)
        expand = LinearLayer(inFeatures: reduced, outFeatures: channels, rng: &rng)
    }

    public var parameters: [Parameter] { reduce.parameters + expand.parameters }
    public func outputShape(for input: Shape) -> Shape { input }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        self.shape = shape
        let pooled = squeeze.forward(x, shape: shape, training: training)
        let pooledShape = Shape(n: shape.n, h: 1, w: 1, c: channels)
        let hidden = relu.forward(reduce.forward(pooled, shape: pooledShape, training: training), shape: reduce.outputShape(for: pooledShape), training: training)
        gate = sigmoid.forward(expand.forward(hidden, shape: reduce.outputShape(for: pooledShape), training: training), shape: pooledShape, training: training)
        if training { self.x = x }
        var y = uninitialisedFloats(x.count)
        let hw = shape.h * shape.w, c = channels
        x.withUnsafeBufferPointer { xp in gate.withUnsafeBufferPointer { gp in y.withUnsafeMutableBufferPointer { yp in
            forEachPixelRow(images: shape.n, pixels: hw, channels: c) { b, row in
                let g = gp.baseAddress! + b * c, xr = xp.baseAddress! + row, yr = yp.baseAddress! + row
                for ch in 0..<c { yr[ch] = xr[ch] * g[ch] }
            }
        } } }
        return y
    }

    /// Two passes over the tensor: the gate's gradient `Σ_p dy·x` per image and channel, then
    /// `dx = dy·gate + dPooled/(h·w)` (the second term is the squeeze's gradient).
    /// - Complexity: O(n·h·w·c) plus the two small linear layers.
    public func backward(_ dy: [Float]) -> [Float] {
        let hw = shape.h * shape.w, c = channels
        precondition(dy.count == x.count && x.count == shape.n * hw * c, "SqueezeExciteLayer.backward: call forward(training: true) first")
        var dGate = [Float](repeating: 0, count: shape.n * c)
        dy.withUnsafeBufferPointer { d in x.withUnsafeBufferPointer { xp in dGate.withUnsafeMutableBufferPointer { dg in
            forEachPixelRow(images: shape.n, pixels: hw, channels: c) { b, row in
                let sums = dg.baseAddress! + b * c, dr = d.baseAddress! + row, xr = xp.baseAddress! + row
                for ch in 0..<c { sums[ch] += dr[ch] * xr[ch] }
            }
        } } }
        let dPooled = reduce.backward(relu.backward(expand.backward(sigmoid.backward(dGate))))
        let scale = 1 / Float(hw)
        let dSqueeze = dPooled.map { $0 * scale }  // the pooling's gradient per image and channel
        var dx = uninitialisedFloats(dy.count)
        dy.withUnsafeBufferPointer { d in gate.withUnsafeBufferPointer { gp in dSqueeze.withUnsafeBufferPointer { sq in
            dx.withUnsafeMutableBufferPointer { out in
                forEachPixelRow(images: shape.n, pixels: hw, channels: c) { b, row in
                    let g = gp.baseAddress! + b * c, s = sq.baseAddress! + b * c
                    let dr = d.baseAddress! + row, o = out.baseAddress! + row
                    for ch in 0..<c { o[ch] = dr[ch] * g[ch] + s[ch] }
                }
            }
        } } }
        return dx
    }
}

/// Calls `body(b, offset)` for every pixel row of an NHWC tensor of `images` images with
/// `pixels` pixels of `channels` channels each, in memory order; `offset = (b·pixels + p)·channels`
/// is the row's first element. O(images·pixels) calls.
@inline(__always)
private func forEachPixelRow(images: Int, pixels: Int, channels: Int, _ body: (_ image: Int, _ offset: Int) -> Void) {
    for b in 0..<images {
        for p in 0..<pixels { body(b, (b * pixels + p) * channels) }
    }
}

/// `y[i] += x[i]` over equal-length arrays (the skip connection, both directions). O(count).
private func addInPlace(_ y: inout [Float], _ x: [Float]) {
    precondition(y.count == x.count, "ResidualLayer: \(y.count) values against \(x.count)")
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        for i in 0..<yp.count { yp[i] += xp[i] }
    } }
}
