import NASEngine

/// Trainable depthwise convolution, weights `[k, k, c]`, no bias (batch norm follows),
/// "same" padding, stride `s`. Direct loops forward and backward.
public final class DepthwiseLayer: TrainingLayer {
    public let channels: Int
    public let geometry: WindowGeometry
    public let weight: Parameter
    private var input = Shape(h: 1, w: 1, c: 1)
    private var x: [Float] = []

    public init(channels: Int, kernel: Int, stride: Int, rng: inout SplitMix64) {
        self.channels = channels
        geometry = WindowGeometry(kernel: kernel, stride: stride)
        weight = Parameter(heUniform(count: kernel * kernel * channels, fanIn: kernel * kernel, rng: &rng), decays: true, name: "depthwise.weight")
    }

    public var parameters: [Parameter] { [weight] }
    public func outputShape(for input: Shape) -> Shape { geometry.output(input, channels: channels) }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(shape.c == channels && x.count == shape.count, "DepthwiseLayer: input \(shape) for c \(channels)")
        input = shape
        if training { self.x = x }
        let out = outputShape(for: shape)
        var y = [Float](repeating: 0, count: out.count)
        x.withUnsafeBufferPointer { xp in weight.value.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
            let (xs, ws, ys) = (xp.baseAddress!, wp.baseAddress!, yp.baseAddress!)
            visit(out) { yBase, xBase, wBase, c in
                for ch in 0..<c { ys[yBase + ch] += xs[xBase + ch] * ws[wBase + ch] }
            }
        } } }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        let out = outputShape(for: input)
        precondition(dy.count == out.count && x.count == input.count, "DepthwiseLayer.backward: call forward(training: true) first")
        var dx = [Float](repeating: 0, count: input.count)
        dy.withUnsafeBufferPointer { dyp in x.withUnsafeBufferPointer { xp in
            weight.value.withUnsafeBufferPointer { wp in weight.gradient.withUnsafeMutableBufferPointer { gp in dx.withUnsafeMutableBufferPointer { dxp in
                let (dys, xs, ws, gs, dxs) = (dyp.baseAddress!, xp.baseAddress!, wp.baseAddress!, gp.baseAddress!, dxp.baseAddress!)
                visit(out) { yBase, xBase, wBase, c in
                    for ch in 0..<c {
                        dxs[xBase + ch] += dys[yBase + ch] * ws[wBase + ch]
                        gs[wBase + ch] += dys[yBase + ch] * xs[xBase + ch]
                    }
                }
            } } }
        } }
        return dx
    }

    /// Calls `body(output offset, input offset, weight offset, channels)` once per in-image tap;
    /// the body loops over the contiguous channels (so it vectorises).
    @inline(__always)
    private func visit(_ out: Shape, _ body: (Int, Int, Int, Int) -> Void) {
        let k = geometry.kernel, s = geometry.stride, pad = geometry.padding, c = channels
        for b in 0..<out.n {
            for oy in 0..<out.h {
                for ox in 0..<out.w {
                    let yBase = ((b * out.h + oy) * out.w + ox) * c
                    for kh in 0..<k {
                        let iy = oy * s - pad + kh
                        guard iy >= 0 && iy < input.h else { continue }
                        for kw in 0..<k {
                            let ix = ox * s - pad + kw
                            guard ix >= 0 && ix < input.w else { continue }
                            let xBase = ((b * input.h + iy) * input.w + ix) * c
                            let wBase = (kh * k + kw) * c
                            body(yBase, xBase, wBase, c)
                        }
                    }
                }
            }
        }
    }
}
