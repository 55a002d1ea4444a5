/// Geometry of a square-kernel 2-D convolution or pooling window with "same" padding.
public struct WindowGeometry: Hashable, Sendable {
    public let kernel: Int
    public let stride: Int
    public var padding: Int { kernel / 2 }

    public init(kernel: Int, stride: Int) {
        precondition(kernel >= 1 && kernel % 2 == 1, "window: kernel must be odd and >= 1, got \(kernel)")
        precondition(stride >= 1, "window: stride must be >= 1, got \(stride)")
        self.kernel = kernel; self.stride = stride
    }

    /// Output shape for `input` with `channels` output channels: `ceil(h/s) × ceil(w/s)`.
    public func output(_ input: Shape, channels: Int) -> Shape {
        Shape(n: input.n, h: Shape.sameOutput(input.h, stride: stride), w: Shape.sameOutput(input.w, stride: stride), c: channels)
    }
}

extension Kernels {
    /// Regular convolution (groups = 1) as a GEMM with fused bias/activation/residual.
    ///
    /// Layout: `x` NHWC `input`; weights `[k, k, cin, cout]` (HWIO) as a `[k²·cin × cout]` GEMM
    /// operand; `y` NHWC `[n, ceil(h/s), ceil(w/s), cout]`; padding `k/2` on every side (zeros).
    /// A 1x1 stride-1 convolution is one GEMM over the input. On the native backend one with at
    /// most `directConvolutionMaxInputChannels` input channels runs `directConvolution`, any
    /// other `implicitConvolution` (no im2col); on OpenBLAS, im2col chunks + sgemm.
    /// `scratch` holds `convolutionScratchCount` floats.
    /// - Complexity: `n·ho·wo · k²·cin · cout` multiply-adds.
    public static func convolution(
        _ x: UnsafePointer<Float>, input: Shape, geometry g: WindowGeometry, weights: GEMMWeights,
        activation: Activation, into y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil,
        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        precondition(weights.k == g.kernel * g.kernel * input.c, "convolution: weights expect depth \(weights.k), input gives \(g.kernel * g.kernel * input.c)")
        if g.kernel == 1 && g.stride == 1 {
            pointwise(x, pixels: input.pixels, weights: weights, activation: activation, into: y, residual: residual, context: context)
            return
        }
        if input.c <= directConvolutionMaxInputChannels && context.gemm == .native {
            directConvolution(x, input: input, geometry: g, weights: weights, activation: activation, into: y, residual: residual, context: context)
            return
        }
        if context.gemm == .native {
            implicitConvolution(x, input: input, geometry: g, weights: weights, activation: activation, into: y, residual: residual,
                                scratch: scratch, context: context)
            return
        }
        let cout = weights.n
        let out = g.output(input, channels: cout)
        let depth = weights.k
        let chunk = convolutionChunkRows(depth: depth, pixels: out.pixels)
        var start = 0
        while start < out.pixels {
            let rows = min(chunk, out.pixels - start)
            context.parallelFor(rows, minimumPerThread: 64) { part in
                im2col(x, input: input, geometry: g, output: out, firstPixel: start + part.lowerBound, rows: part.count,
                       into: scratch + part.lowerBound * depth)
            }
            gemm(scratch, lda: depth, rows: rows, weights: weights, activation: activation, into: y + start * cout, ldc: cout,
                 residual: residual.map { $0 + start * cout }, ldr: cout, context: context)
            start += rows
        }
    }

    /// Scratch floats `convolution` needs for this input and geometry on either GEMM backend
    /// (0 for 1x1 stride 1): the larger of one im2col chunk and `implicitConvolution`'s.
    public static func convolutionScratchCount(input: Shape, geometry g: WindowGeometry) -> Int {
        if g.kernel == 1 && g.stride == 1 { return 0 }
        let out = g.output(input, channels: 1)
        let depth = g.kernel * g.kernel * input.c
        return max(convolutionChunkRows(depth: depth, pixels: out.pixels) * depth,
                   implicitConvolutionScratchCount(input: input, geometry: g))
    }

    /// Output pixels per im2col chunk: bounded so the patch matrix (about 64 KiB) is still in
    /// cache when the GEMM reads it, and a multiple of 24 rows so the GEMM's row blocks are
    /// whole tiles (8, 12 and 6 rows).
    static func convolutionChunkRows(depth: Int, pixels: Int) -> Int {
        let rows = max(24, (16 * 1024) / max(depth, 1) / 24 * 24)
        return min(pixels, rows)
    }

    /// Gathers the `k²·cin` input values under each of `rows` output pixels (starting at flat
    /// output pixel `firstPixel`) into row-major `[rows × k²·cin]`, zeros where the window
    /// leaves the image.
    package static func im2col(
        _ x: UnsafePointer<Float>, input: Shape, geometry g: WindowGeometry, output out: Shape,
        firstPixel: Int, rows: Int, into patches: UnsafeMutablePointer<Float>
    ) {
        let k = g.kernel, s = g.stride, pad = g.padding, cin = input.c
        let depth = k * k * cin
        for r in 0..<rows {
            let p = firstPixel + r
            let ox = p % out.w
            let oy = (p / out.w) % out.h
            let b = p / (out.w * out.h)
            var dst = patches + r * depth
            let ixBase = ox * s - pad
            let columnsInside = ixBase >= 0 && ixBase + k <= input.w
            for kh in 0..<k {
                let iy = oy * s - pad + kh
                if iy < 0 || iy >= input.h {
                    dst.update(repeating: 0, count: k * cin)
                    dst += k * cin
                    continue
                }
                let rowBase = x + ((b * input.h + iy) * input.w) * cin
                if columnsInside {
                    // The k window pixels are adjacent in NHWC: one contiguous run of k·cin floats.
                    copyFloats(from: rowBase + ixBase * cin, to: dst, count: k * cin)
                    dst += k * cin
                    continue
                }
                for kw in 0..<k {
                    let ix = ixBase + kw
                    if ix < 0 || ix >= input.w {
                        dst.update(repeating: 0, count: cin)
                    } else {
                        copyFloats(from: rowBase + ix * cin, to: dst, count: cin)
                    }
                    dst += cin
                }
            }
        }
    }

    /// Copies `count` floats with vector moves (short runs are common: 3-channel images).
    @inline(__always)
    static func copyFloats(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + lanes <= count { store16(load16(src + i), dst + i); i += lanes }
        while i < count { dst[i] = src[i]; i += 1 }
    }
}
