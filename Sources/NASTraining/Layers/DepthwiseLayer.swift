import NASEngine

/// Trainable depthwise convolution, weights `[k, k, c]`, no bias (batch norm follows),
/// "same" padding, stride `s`. Forward runs the inference kernel; backward scatters each
/// output gradient onto its taps, 16 or 8 channels at a time.
public final class DepthwiseLayer: TrainingLayer {
    public let channels: Int
    public let geometry: WindowGeometry
    public let weight: Parameter
    /// Threads of the forward pass.
    public let context: ExecutionContext
    private var input = Shape(h: 1, w: 1, c: 1)
    private var x: [Float] = []

    public init(channels: Int, kernel: Int, stride: Int, context: ExecutionContext = .engineSerial, rng: inout SplitMix64) {
        self.channels = channels
        self.context = context
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
        var y = uninitialisedFloats(out.count)
        // The inference kernel (taps held in registers), without bias or activation.
        x.withUnsafeBufferPointer { xp in weight.value.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
            Kernels.depthwise(xp.baseAddress!, input: shape, geometry: geometry, weights: wp.baseAddress!, bias: nil,
                              activation: .none, into: yp.baseAddress!, context: context)
        } } }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        let out = outputShape(for: input)
        precondition(dy.count == out.count && x.count == input.count, "DepthwiseLayer.backward: call forward(training: true) first")
        let k = geometry.kernel, c = channels
        // Stride 1, odd k: dx is dy convolved with the kernel flipped in both axes, a forward
        // depthwise pass on the register kernel; only dW is left to scatter.
        let gatherInput = geometry.stride == 1 && k % 2 == 1
        var dx = gatherInput ? uninitialisedFloats(input.count) : [Float](repeating: 0, count: input.count)
        dy.withUnsafeBufferPointer { dyp in x.withUnsafeBufferPointer { xp in
            weight.value.withUnsafeBufferPointer { wp in weight.gradient.withUnsafeMutableBufferPointer { gp in dx.withUnsafeMutableBufferPointer { dxp in
                if gatherInput {
                    var flipped = uninitialisedFloats(k * k * c)
                    flipped.withUnsafeMutableBufferPointer { f in
                        for tap in 0..<(k * k) { (f.baseAddress! + tap * c).update(from: wp.baseAddress! + (k * k - 1 - tap) * c, count: c) }
                        Kernels.depthwise(dyp.baseAddress!, input: out, geometry: geometry, weights: f.baseAddress!, bias: nil,
                                          activation: .none, into: dxp.baseAddress!, context: context)
                    }
                }
                let wide = c - c % 16, narrow = c - c % 8
                let pointers = (dy: dyp.baseAddress!, x: xp.baseAddress!, w: wp.baseAddress!, gw: gp.baseAddress!, dx: dxp.baseAddress!)
                scatter(SIMD16<Float>.self, channels: 0..<wide, pointers, input: input, output: out, inputGradient: !gatherInput)
                scatter(SIMD8<Float>.self, channels: wide..<narrow, pointers, input: input, output: out, inputGradient: !gatherInput)
                scatter(Float.self, channels: narrow..<c, pointers, input: input, output: out, inputGradient: !gatherInput)
            } } }
        } }
        return dx
    }

    /// For every output pixel and in-image tap, channels `channels` in steps of `V.width`:
    /// `dW[tap] += dy·x[tap]` and, with `inputGradient`, `dx[tap] += dy·w[tap]`. Per element the sums run in output
    /// pixel order, as a plain loop would.
    /// - Complexity: `2·n·ho·wo·|channels|·k²` multiply-adds.
    @inline(__always)
    private func scatter<V: ChannelVector>(
        _: V.Type, channels: Range<Int>,
        _ p: (dy: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>),
        input: Shape, output out: Shape, inputGradient: Bool
    ) {
        guard !channels.isEmpty else { return }
        let k = geometry.kernel, s = geometry.stride, pad = geometry.padding, c = self.channels
        let step = V.width
        @inline(__always) func load(_ q: UnsafePointer<Float>) -> V { V.load(q) }
        @inline(__always) func store(_ v: V, _ q: UnsafeMutablePointer<Float>) { v.store(q) }
        for b in 0..<out.n {
            for oy in 0..<out.h {
                let iy0 = oy * s - pad
                let khRange = max(0, -iy0)..<min(k, input.h - iy0)
                for ox in 0..<out.w {
                    let ix0 = ox * s - pad
                    let kwRange = max(0, -ix0)..<min(k, input.w - ix0)
                    let g = p.dy + ((b * out.h + oy) * out.w + ox) * c
                    var ch = channels.lowerBound
                    while ch < channels.upperBound {
                        let d = load(g + ch)
                        for kh in khRange {
                            let xRow = ((b * input.h + iy0 + kh) * input.w + ix0) * c + ch
                            let wRow = kh * k * c + ch
                            for kw in kwRange {
                                let xo = xRow + kw * c, wo = wRow + kw * c
                                if inputGradient { store(load(p.dx + xo) + d * load(p.w + wo), p.dx + xo) }
                                store(load(p.gw + wo) + d * load(p.x + xo), p.gw + wo)
                            }
                        }
                        ch += step
                    }
                }
            }
        }
    }
}
