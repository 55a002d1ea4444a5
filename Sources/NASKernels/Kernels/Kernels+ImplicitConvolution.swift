extension Kernels {
    /// Regular convolution on the native microkernels without im2col (an implicit GEMM): the
    /// input is copied once into a zero-bordered image, and each output pixel's GEMM row is read
    /// from it in place, `k` runs of `k·cin` contiguous floats (one per kernel row, an image row
    /// apart; `GatheredRows`), so no `k²·cin` patch per pixel is written and read back.
    ///
    /// Layout as `convolution`: `x` NHWC `input`, weights `[k·k·cin × cout]` (HWIO), `y` NHWC
    /// `[n, ceil(h/s), ceil(w/s), cout]`, padding `k/2`. `scratch` holds
    /// `implicitConvolutionScratchCount` floats: the row-offset table, then the padded image.
    /// - Complexity: `n·ho·wo · k²·cin · cout` multiply-adds; `n·(h+k−1)·(w+k−1)·cin` floats copied.
    public static func implicitConvolution(
        _ x: UnsafePointer<Float>, input: Shape, geometry g: WindowGeometry, weights: GEMMWeights,
        activation: Activation, into y: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil,
        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        precondition(weights.k == g.kernel * g.kernel * input.c, "implicitConvolution: weights expect depth \(weights.k), input gives \(g.kernel * g.kernel * input.c)")
        let out = g.output(input, channels: weights.n)
        let pad = g.padding, s = g.stride, cin = input.c
        let hp = input.h + 2 * pad, wp = input.w + 2 * pad
        // The table of row offsets (Ints, read and written as raw bytes), 8-byte aligned at the
        // front of the scratch, then the padded image from a 64-byte boundary.
        let table = UnsafeMutableRawPointer(scratch).alignedUp(for: Int.self)
        let padded = (table + out.pixels * MemoryLayout<Int>.stride).alignedUp(toMultipleOf: 64).assumingMemoryBound(to: Float.self)
        precondition(padded + input.n * hp * wp * cin <= scratch + implicitConvolutionScratchCount(input: input, geometry: g),
                     "implicitConvolution: scratch too small")
        let paddedShape = Shape(n: input.n, h: hp, w: wp, c: cin)
        context.parallelFor(input.n * hp, minimumPerThread: 8) { rows in
            for row in rows { padRow(x, input: input, padding: pad, paddedRow: row, into: padded, padded: paddedShape) }
        }
        var q = 0
        for b in 0..<out.n {
            for oy in 0..<out.h {
                let rowStart = (b * hp + oy * s) * wp
                for ox in 0..<out.w {
                    table.storeBytes(of: (rowStart + ox * s) * cin, toByteOffset: q * MemoryLayout<Int>.stride, as: Int.self)
                    q += 1
                }
            }
        }
        packedGEMM(padded, lda: 0, rows: out.pixels, weights: weights.packed, activation: activation, into: y, ldc: weights.n,
                   residual: residual, ldr: weights.n,
                   gathered: GatheredRows(offsets: UnsafeRawPointer(table), segments: g.kernel, segmentStride: wp * cin),
                   context: context)
    }

    /// Scratch floats `implicitConvolution` needs: the row-offset table (an Int per output pixel)
    /// and the zero-bordered input, with room to align both.
    public static func implicitConvolutionScratchCount(input: Shape, geometry g: WindowGeometry) -> Int {
        let out = g.output(input, channels: 1)
        let tableFloats = out.pixels * MemoryLayout<Int>.stride / MemoryLayout<Float>.stride
        let hp = input.h + 2 * g.padding, wp = input.w + 2 * g.padding
        return 2 + tableFloats + 16 + input.n * hp * wp * input.c
    }

    /// Row `paddedRow` (over batch and padded height) of `x` with a zero border of `padding`.
    @inline(__always)
    static func padRow(_ x: UnsafePointer<Float>, input: Shape, padding: Int, paddedRow: Int,
                       into padded: UnsafeMutablePointer<Float>, padded shape: Shape) {
        let b = paddedRow / shape.h, py = paddedRow % shape.h
        let dst = padded + paddedRow * shape.w * shape.c
        let iy = py - padding
        guard iy >= 0 && iy < input.h else {
            dst.update(repeating: 0, count: shape.w * shape.c)
            return
        }
        let border = padding * input.c
        dst.update(repeating: 0, count: border)
        copyFloats(from: x + (b * input.h + iy) * input.w * input.c, to: dst + border, count: input.w * input.c)
        (dst + border + input.w * input.c).update(repeating: 0, count: border)
    }
}
