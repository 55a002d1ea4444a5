import NASEngine

/// Trainable regular convolution (groups = 1), weights `[k, k, cin, cout]`, optional bias,
/// "same" padding `k/2`, stride `s`: im2col + GEMM forward; backward `dW = colsᵀ·dY`
/// (OpenBLAS), `dCols = dY·Wᵀ`, then col2im. The forward and `dCols` GEMMs run on
/// `context.gemm` (native: the inference microkernels on weights packed each step).
public final class ConvolutionLayer: TrainingLayer {
    public let inChannels: Int, outChannels: Int
    public let geometry: WindowGeometry
    public let weight: Parameter
    public let bias: Parameter?
    public let context: ExecutionContext
    private var input = Shape(h: 1, w: 1, c: 1)
    private var cols: [Float] = []

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, bias: Bool, context: ExecutionContext = .engineSerial,
                rng: inout SplitMix64) {
        self.inChannels = inChannels; self.outChannels = outChannels
        self.context = context
        geometry = WindowGeometry(kernel: kernel, stride: stride)
        let depth = kernel * kernel * inChannels
        weight = Parameter(heUniform(count: depth * outChannels, fanIn: depth, rng: &rng), decays: true, name: "conv.weight")
        self.bias = bias ? Parameter([Float](repeating: 0, count: outChannels), decays: false, name: "conv.bias") : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public func outputShape(for input: Shape) -> Shape { geometry.output(input, channels: outChannels) }
    private var depth: Int { geometry.kernel * geometry.kernel * inChannels }

    public func forward(_ x: [Float], shape: Shape, training: Bool) -> [Float] {
        precondition(shape.c == inChannels && x.count == shape.count, "ConvolutionLayer: input \(shape) for cin \(inChannels)")
        input = shape
        let out = outputShape(for: shape)
        let m = out.pixels, k = depth
        if isPointwise {
            cols = x  // a 1x1 stride-1 convolution's patch matrix is the input itself
        } else {
            cols = uninitialisedFloats(m * k)  // im2col writes every element, padding included
            x.withUnsafeBufferPointer { xp in
                cols.withUnsafeMutableBufferPointer { cp in
                    Kernels.im2col(xp.baseAddress!, input: shape, geometry: geometry, output: out, firstPixel: 0, rows: m, into: cp.baseAddress!)
                }
            }
        }
        var y = uninitialisedFloats(m * outChannels)
        if context.gemm == .native {
            let packed: PackedWeights = weight.value.withUnsafeBufferPointer { w in
                guard let bias else { return PackedWeights(weights: w.baseAddress!, k: k, n: outChannels, bias: nil) }
                return bias.value.withUnsafeBufferPointer { PackedWeights(weights: w.baseAddress!, k: k, n: outChannels, bias: $0.baseAddress!) }
            }
            cols.withUnsafeBufferPointer { cp in y.withUnsafeMutableBufferPointer { yp in
                Kernels.packedGEMM(cp.baseAddress!, lda: k, rows: m, weights: packed, activation: .none, into: yp.baseAddress!, ldc: outChannels,
                                   context: context)
            } }
        } else {
            if let bias { fillRows(&y, rows: m, with: bias.value) }
            cols.withUnsafeBufferPointer { cp in weight.value.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
                Kernels.sgemm(m: m, n: outChannels, k: k, a: cp.baseAddress!, lda: k, b: wp.baseAddress!, ldb: outChannels,
                              beta: bias == nil ? 0 : 1, c: yp.baseAddress!, ldc: outChannels)
            } } }
        }
        if !training { cols = [] }
        return y
    }

    public func backward(_ dy: [Float]) -> [Float] {
        let out = outputShape(for: input)
        let m = out.pixels, k = depth
        precondition(dy.count == m * outChannels && cols.count == m * k, "ConvolutionLayer.backward: call forward(training: true) first")
        var dCols = uninitialisedFloats(m * k)  // written by a beta = 0 GEMM
        dy.withUnsafeBufferPointer { dp in
            cols.withUnsafeBufferPointer { cp in
                weight.gradient.withUnsafeMutableBufferPointer { gp in
                    // dW[k×cout] += colsᵀ[k×m] · dY[m×cout]
                    Kernels.sgemm(m: k, n: outChannels, k: m, a: cp.baseAddress!, lda: k, transposeA: true,
                                  b: dp.baseAddress!, ldb: outChannels, beta: 1, c: gp.baseAddress!, ldc: outChannels)
                }
            }
        }
        dy.withUnsafeBufferPointer { dp in dCols.withUnsafeMutableBufferPointer { dcp in
            if context.gemm == .native {
                // dCols[m×k] = dY[m×cout] · Wᵀ[cout×k], Wᵀ packed straight from W[k×cout].
                let packed = weight.value.withUnsafeBufferPointer { PackedWeights(transposing: $0.baseAddress!, k: outChannels, n: k) }
                Kernels.packedGEMM(dp.baseAddress!, lda: outChannels, rows: m, weights: packed, activation: .none, into: dcp.baseAddress!,
                                   ldc: k, context: context)
            } else {
                weight.value.withUnsafeBufferPointer { wp in
                    Kernels.sgemm(m: m, n: k, k: outChannels, a: dp.baseAddress!, lda: outChannels,
                                  b: wp.baseAddress!, ldb: outChannels, transposeB: true, c: dcp.baseAddress!, ldc: k)
                }
            }
        } }
        if let bias { addColumnSums(of: dy, rows: m, columns: outChannels, into: bias) }
        return isPointwise ? dCols : col2im(dCols, output: out)
    }

    private var isPointwise: Bool { geometry.kernel == 1 && geometry.stride == 1 }

    /// Adds each patch row back onto the input positions it was gathered from, patches in
    /// order. O(pixels·k²·cin).
    private func col2im(_ dCols: [Float], output out: Shape) -> [Float] {
        let k = geometry.kernel, s = geometry.stride, pad = geometry.padding, cin = inChannels
        let input = self.input, depth = self.depth
        var dx = [Float](repeating: 0, count: input.count)
        dCols.withUnsafeBufferPointer { dc in dx.withUnsafeMutableBufferPointer { dxp in
            for p in 0..<out.pixels {
                let ox = p % out.w, oy = (p / out.w) % out.h, b = p / (out.w * out.h)
                var q = dc.baseAddress! + p * depth
                for kh in 0..<k {
                    let iy = oy * s - pad + kh
                    for kw in 0..<k {
                        let ix = ox * s - pad + kw
                        if iy >= 0 && iy < input.h && ix >= 0 && ix < input.w {
                            let target = dxp.baseAddress! + ((b * input.h + iy) * input.w + ix) * cin
                            for c in 0..<cin { target[c] += q[c] }
                        }
                        q += cin
                    }
                }
            }
        } }
        return dx
    }
}
