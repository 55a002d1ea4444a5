/// A kernel size known at compile time, so the depthwise tap loops fully unroll.
@usableFromInline protocol StaticKernelSize { static var k: Int { get } }
@usableFromInline enum Kernel3: StaticKernelSize { @usableFromInline static var k: Int { 3 } }
@usableFromInline enum Kernel5: StaticKernelSize { @usableFromInline static var k: Int { 5 } }
@usableFromInline enum Kernel7: StaticKernelSize { @usableFromInline static var k: Int { 7 } }

extension Kernels {
    /// Depthwise convolution (one filter per channel) with bias and activation, vectorised over
    /// channels 16 at a time (then 8, then scalar for what is left).
    ///
    /// Layout: `x` NHWC `input`; `weights` `[k, k, c]`; `bias` `[c]`; `y` NHWC
    /// `[n, ceil(h/s), ceil(w/s), c]`; padding `k/2` on every side. Output rows are split
    /// across `context.threads`. For k = 3 and 5, pixels whose window lies inside the image run
    /// a kernel that keeps every tap in registers; border pixels take a bounds-checked path.
    /// - Complexity: `n·ho·wo·c·k²` multiply-adds.
    public static func depthwise(
        _ x: UnsafePointer<Float>, input: Shape, geometry g: WindowGeometry,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation,
        into y: UnsafeMutablePointer<Float>, context: ExecutionContext
    ) {
        let out = g.output(input, channels: input.c)
        context.parallelFor(out.n * out.h, minimumPerThread: 2) { range in
            depthwiseRows(x, input: input, output: out, geometry: g, weights: weights, bias: bias, activation: activation, rows: range, into: y)
        }
    }

    /// Output rows `rows` of one image (`image.n == 1`), on the calling thread: the step of a
    /// banded MBConv, whose expanded rows exist only as a window. Row `iy` of the image is read
    /// at `window + (iy - firstRow)·w·c`, and only the rows under the outputs' windows are read:
    /// `max(0, lo·s − k/2) ..< min(h, (hi − 1)·s − k/2 + k)` for `rows = lo..<hi`. Output row
    /// `oy` is written at `y + (oy − lo)·wo·c`. Same arithmetic as `depthwise`, bit for bit.
    /// - Complexity: `rows.count·wo·c·k²` multiply-adds.
    public static func depthwiseBand(
        _ window: UnsafePointer<Float>, firstRow: Int, image: Shape, geometry g: WindowGeometry,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation,
        rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        precondition(image.n == 1, "depthwiseBand: one image at a time")
        let out = g.output(image, channels: image.c)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= out.h, "depthwiseBand: rows \(rows) outside 0..<\(out.h)")
        guard !rows.isEmpty else { return }
        // The kernels address row iy at base + iy·w·c: shift both pointers by the window's
        // first row (only rows inside the window are dereferenced).
        let base = window - firstRow * image.w * image.c
        let target = y - rows.lowerBound * out.w * out.c
        depthwiseRows(base, input: image, output: out, geometry: g, weights: weights, bias: bias, activation: activation, rows: rows, into: target)
    }

    /// Output rows `rows` (flat over n·ho) on the calling thread, dispatched on kernel size and
    /// activation.
    private static func depthwiseRows(
        _ x: UnsafePointer<Float>, input: Shape, output out: Shape, geometry g: WindowGeometry,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation,
        rows: Range<Int>, into y: UnsafeMutablePointer<Float>
    ) {
        func run<A: ActivationFunction>(_: A.Type) {
            switch g.kernel {
            case 3: depthwiseRows(Kernel3.self, A.self, x, input, g.stride, weights, bias, y, out, rows)
            case 5: depthwiseRows(Kernel5.self, A.self, x, input, g.stride, weights, bias, y, out, rows)
            case 7: depthwiseRows(Kernel7.self, A.self, x, input, g.stride, weights, bias, y, out, rows)
            default: depthwiseRowsGeneric(g.kernel, x, input, g.stride, weights, bias, activation, y, out, rows)
            }
        }
        switch activation {
        case .none: run(IdentityActivation.self)
        case .relu: run(ReLUActivation.self)
        case .relu6: run(ReLU6Activation.self)
        case .hswish: run(HardSwishActivation.self)
        case .sigmoid: run(SigmoidActivation.self)
        }
    }

    /// Output rows `rows` (flat over n·ho) of a depthwise convolution with kernel `K.k`.
    /// Channels run in 16-lane blocks, then one 8-lane block if 8 or more are left, then scalar.
    private static func depthwiseRows<K: StaticKernelSize, A: ActivationFunction>(
        _: K.Type, _: A.Type, _ x: UnsafePointer<Float>, _ input: Shape, _ s: Int,
        _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
        _ y: UnsafeMutablePointer<Float>, _ out: Shape, _ rows: Range<Int>
    ) {
        let k = K.k, pad = k / 2, c = input.c
        let blocks = DepthwiseBlocks(channels: c)
        // Output columns whose whole window is inside the image: [oxLo, oxHi).
        let oxLo = min(out.w, (pad + s - 1) / s)
        let oxHi = input.w + pad - k < 0 ? oxLo : max(oxLo, min(out.w, (input.w + pad - k) / s + 1))
        let hasInteriorKernel = k == 3 || k == 5
        for r in rows {
            let b = r / out.h, oy = r % out.h
            let iyBase = oy * s - pad
            let imageRow = x + (b * input.h) * input.w * c
            let outRow = y + r * out.w * c
            let rowInterior = iyBase >= 0 && iyBase + k <= input.h
            guard hasInteriorKernel && rowInterior && blocks.vectorEnd > 0 && oxHi > oxLo else {
                for ox in 0..<out.w { depthwisePixel(K.self, A.self, x: imageRow, input, s, w, bias, oy: oy, ox: ox, blocks: blocks, channels: 0..<c, dst: outRow + ox * c) }
                continue
            }
            for ox in 0..<oxLo { depthwisePixel(K.self, A.self, x: imageRow, input, s, w, bias, oy: oy, ox: ox, blocks: blocks, channels: 0..<c, dst: outRow + ox * c) }
            for ox in oxHi..<out.w { depthwisePixel(K.self, A.self, x: imageRow, input, s, w, bias, oy: oy, ox: ox, blocks: blocks, channels: 0..<c, dst: outRow + ox * c) }
            let src = imageRow + (iyBase * input.w + (oxLo * s - pad)) * c
            let dst = outRow + oxLo * c
            var cb = 0
            while cb < blocks.wideEnd {
                depthwiseInterior(K.self, DepthwiseLanes16.self, A.self, src: src + cb, rowStride: input.w * c, pixelStride: c, stride: s, weights: w + cb, bias: bias.map { $0 + cb }, dst: dst + cb, count: oxHi - oxLo)
                cb += 16
            }
            if blocks.vectorEnd > blocks.wideEnd {
                depthwiseInterior(K.self, DepthwiseLanes8.self, A.self, src: src + cb, rowStride: input.w * c, pixelStride: c, stride: s, weights: w + cb, bias: bias.map { $0 + cb }, dst: dst + cb, count: oxHi - oxLo)
            }
            if blocks.vectorEnd < c {
                for ox in oxLo..<oxHi { depthwisePixel(K.self, A.self, x: imageRow, input, s, w, bias, oy: oy, ox: ox, blocks: blocks, channels: blocks.vectorEnd..<c, dst: outRow + ox * c) }
            }
        }
    }

    /// One channel block of `V.width` channels over `count` interior output pixels of a row,
    /// dispatched to the generated k = 3 or 5 kernel (`K.k` is one of them).
    @inline(__always)
    private static func depthwiseInterior<K: StaticKernelSize, V: DepthwiseVector, A: ActivationFunction>(
        _: K.Type, _: V.Type, _: A.Type, src: UnsafePointer<Float>, rowStride: Int, pixelStride: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, dst: UnsafeMutablePointer<Float>, count: Int
    ) {
        let vb = bias.map { V.load($0) } ?? V.Vector()
        if K.k == 3 {
            depthwiseInterior3(V.self, A.self, src: src, rowStride: rowStride, pixelStride: pixelStride, stride: stride, weights: weights, bias: vb, dst: dst, count: count)
        } else {
            depthwiseInterior5(V.self, A.self, src: src, rowStride: rowStride, pixelStride: pixelStride, stride: stride, weights: weights, bias: vb, dst: dst, count: count)
        }
    }

    /// How `c` channels split into vector blocks: 16-lane blocks over `0..<wideEnd`, one 8-lane
    /// block over `wideEnd..<vectorEnd` when 8 or more channels are left, scalar after that.
    private struct DepthwiseBlocks {
        let wideEnd: Int, vectorEnd: Int
        init(channels c: Int) {
            wideEnd = c - c % DepthwiseLanes16.width
            vectorEnd = c - wideEnd >= 8 ? wideEnd + 8 : wideEnd
        }
    }

    /// One output pixel, channels `channels` (a range starting at a block boundary of `blocks`,
    /// the layer's split), with the window clipped to the image. `x` points at the pixel's
    /// image (batch offset applied), `dst` at the output pixel.
    @inline(__always)
    private static func depthwisePixel<K: StaticKernelSize, A: ActivationFunction>(
        _: K.Type, _: A.Type, x imageRow: UnsafePointer<Float>, _ input: Shape, _ s: Int,
        _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, oy: Int, ox: Int, blocks: DepthwiseBlocks,
        channels: Range<Int>, dst: UnsafeMutablePointer<Float>
    ) {
        let k = K.k, pad = k / 2, c = input.c
        let iyBase = oy * s - pad, ixBase = ox * s - pad
        let khLo = max(0, -iyBase), khHi = min(k, input.h - iyBase)
        let kwLo = max(0, -ixBase), kwHi = min(k, input.w - ixBase)
        var cb = channels.lowerBound
        while cb < min(blocks.wideEnd, channels.upperBound) {
            depthwisePixelBlock(K.self, DepthwiseLanes16.self, A.self, imageRow + cb, input, w + cb, bias.map { $0 + cb }, iyBase: iyBase, ixBase: ixBase, kh: khLo..<khHi, kw: kwLo..<kwHi, dst: dst + cb)
            cb += 16
        }
        if cb < blocks.vectorEnd && blocks.vectorEnd <= channels.upperBound {
            depthwisePixelBlock(K.self, DepthwiseLanes8.self, A.self, imageRow + cb, input, w + cb, bias.map { $0 + cb }, iyBase: iyBase, ixBase: ixBase, kh: khLo..<khHi, kw: kwLo..<kwHi, dst: dst + cb)
            cb += 8
        }
        while cb < channels.upperBound {
            var acc = bias?[cb] ?? 0
            for kh in khLo..<khHi {
                let src = imageRow + ((iyBase + kh) * input.w + ixBase) * c + cb
                for kw in kwLo..<kwHi { acc += src[kw * c] * w[(kh * k + kw) * c + cb] }
            }
            dst[cb] = A.apply(acc)
            cb += 1
        }
    }

    /// One pixel's block of `V.width` channels over the taps `kh × kw` (the window clipped to
    /// the image); `x`, `w`, `bias` and `dst` already point at the block's first channel.
    @inline(__always)
    private static func depthwisePixelBlock<K: StaticKernelSize, V: DepthwiseVector, A: ActivationFunction>(
        _: K.Type, _: V.Type, _: A.Type, _ x: UnsafePointer<Float>, _ input: Shape, _ w: UnsafePointer<Float>,
        _ bias: UnsafePointer<Float>?, iyBase: Int, ixBase: Int, kh taps: Range<Int>, kw columns: Range<Int>,
        dst: UnsafeMutablePointer<Float>
    ) {
        let k = K.k, c = input.c
        var acc = bias.map { V.load($0) } ?? V.Vector()
        for kh in taps {
            let src = x + ((iyBase + kh) * input.w + ixBase) * c
            let wr = w + kh * k * c
            for kw in columns { acc.addProduct(V.load(src + kw * c), V.load(wr + kw * c)) }
        }
        V.store(A.self, acc, dst)
    }

    /// Same as `depthwiseRows` for a kernel size only known at run time (scalar).
    private static func depthwiseRowsGeneric(
        _ k: Int, _ x: UnsafePointer<Float>, _ input: Shape, _ s: Int,
        _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ act: Activation,
        _ y: UnsafeMutablePointer<Float>, _ out: Shape, _ rows: Range<Int>
    ) {
        let pad = k / 2, c = input.c
        for r in rows {
            let b = r / out.h, oy = r % out.h
            for ox in 0..<out.w {
                for ch in 0..<c {
                    var acc = bias?[ch] ?? 0
                    for kh in 0..<k {
                        let iy = oy * s - pad + kh
                        guard iy >= 0 && iy < input.h else { continue }
                        for kw in 0..<k {
                            let ix = ox * s - pad + kw
                            guard ix >= 0 && ix < input.w else { continue }
                            acc += x[((b * input.h + iy) * input.w + ix) * c + ch] * w[(kh * k + kw) * c + ch]
                        }
                    }
                    y[(r * out.w + ox) * c + ch] = act.apply(acc)
                }
            }
        }
    }
}
