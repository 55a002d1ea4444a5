import NASEngine

/// Average or max pooling over `k×k` windows, stride `s`, "same" padding with padded positions
/// ignored (as the engine's `Kernels.pool`). Backward: an average spreads `dy / count` over
/// its in-image window; a max routes `dy` to the window's first largest element.
/// - Complexity: `n·ho·wo·c·k²` each way.
public final class PoolingLayer: TrainingLayer {
    public let kind: PoolKind
    public let geometry: WindowGeometry
    public let context: ExecutionContext
    private var input = Shape(h: 1, w: 1, c: 1)
    private var x: [Float] = []

    public init(_ kind: PoolKind, kernel: Int, stride: Int, context: ExecutionContext = .engineSerial) {
        self.kind = kind
        geometry = WindowGeometry(kernel: kernel, stride: stride)
        self.context = context
    }

    public var parameters: [Parameter] { [] }
    public func outputShape(for input: Shape) -> Shape { geometry.output(input, channels: input.c) }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(x.count == shape.count, "PoolingLayer: \(x.count) values for \(shape)")
        input = shape
        if training { self.x = x }
        var y = uninitialisedFloats(outputShape(for: shape).count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            Kernels.pool(kind, xp.baseAddress!, input: shape, geometry: geometry, into: yp.baseAddress!, context: context)
        } }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        let out = outputShape(for: input)
        precondition(dy.count == out.count && x.count == input.count, "PoolingLayer.backward: call forward(training: true) first")
        let k = geometry.kernel, s = geometry.stride, pad = geometry.padding, c = input.c
        var dx = [Float](repeating: 0, count: input.count)
        func offset(_ b: Int, _ iy: Int, _ ix: Int) -> Int { ((b * input.h + iy) * input.w + ix) * c }
        for b in 0..<out.n {
            for oy in 0..<out.h {
                let khRange = max(0, pad - oy * s)..<min(k, input.h + pad - oy * s)
                for ox in 0..<out.w {
                    let kwRange = max(0, pad - ox * s)..<min(k, input.w + pad - ox * s)
                    let o = ((b * out.h + oy) * out.w + ox) * c
                    for ch in 0..<c {
                        if kind == .average {
                            let share = dy[o + ch] / Float(khRange.count * kwRange.count)
                            for kh in khRange { for kw in kwRange { dx[offset(b, oy * s - pad + kh, ox * s - pad + kw) + ch] += share } }
                        } else {
                            var best = -Float.infinity, at = 0
                            for kh in khRange { for kw in kwRange {
                                let i = offset(b, oy * s - pad + kh, ox * s - pad + kw) + ch
                                if x[i] > best { best = x[i]; at = i }
                            } }
                            dx[at] += dy[o + ch]
                        }
                    }
                }
            }
        }
        return dx
    }
}
