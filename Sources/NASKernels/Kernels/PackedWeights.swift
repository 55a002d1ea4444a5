/// GEMM right-hand side `B[k × n]` (row-major) repacked once, at layer construction, into
/// column panels of 16: panel `p` holds `B[0..<k, 16p..<16p+16]` as `k` contiguous rows of 16
/// floats, zero-padded past `n`. The bias is padded the same way.
///
/// Weights are constant during inference, so the packing that a BLAS would redo on every call
/// is paid once.
public final class PackedWeights: @unchecked Sendable {
    public static let panelWidth = 16
    public let k: Int, n: Int
    public var panels: Int { (n + 15) / 16 }
    let data: FloatBuffer
    let bias: FloatBuffer

    /// - Parameters: `weights` row-major `[k × n]`, `bias` `[n]` or nil (zeros).
    /// - Complexity: O(k·n), one read of `weights`, 16 contiguous floats at a time.
    public init(weights: UnsafePointer<Float>, k: Int, n: Int, bias: UnsafePointer<Float>?) {
        precondition(k >= 1 && n >= 1, "PackedWeights: k and n must be >= 1")
        self.k = k; self.n = n
        let panels = (n + 15) / 16
        data = FloatBuffer(uninitialisedCount: panels * k * 16)
        self.bias = FloatBuffer(count: panels * 16)
        for p in 0..<panels {
            let panel = data.pointer + p * k * 16
            let columns = min(16, n - p * 16)
            for row in 0..<k {
                (panel + row * 16).update(from: weights + row * n + p * 16, count: columns)
                if columns < 16 { (panel + row * 16 + columns).update(repeating: 0, count: 16 - columns) }
            }
        }
        if let bias { self.bias.pointer.update(from: bias, count: n) }
    }

    /// `B = Sᵀ` for a row-major source `S[n × k]`, packed as `init(weights:k:n:bias:)` packs a
    /// row-major `B` (no bias): the transposed copy a training step's input gradient needs
    /// (`dX = dY·Wᵀ`), made without an intermediate transpose.
    /// - Complexity: O(k·n); `S` is read row by row.
    public init(transposing source: UnsafePointer<Float>, k: Int, n: Int) {
        precondition(k >= 1 && n >= 1, "PackedWeights: k and n must be >= 1")
        self.k = k; self.n = n
        let panels = (n + 15) / 16
        data = FloatBuffer(uninitialisedCount: panels * k * 16)
        bias = FloatBuffer(count: panels * 16)
        for p in 0..<panels {
            let panel = data.pointer + p * k * 16
            for j in 0..<16 {
                let column = p * 16 + j
                if column < n {
                    let sourceRow = source + column * k
                    for row in 0..<k { panel[row * 16 + j] = sourceRow[row] }
                } else {
                    for row in 0..<k { panel[row * 16 + j] = 0 }
                }
            }
        }
    }
}

/// Where the rows of a GEMM's left operand lie when they are not one strided matrix: the
/// implicit GEMM of a convolution reads each output pixel's window straight from the (padded)
/// input instead of an im2col copy.
///
/// Row `r` starts at `a + offsets[r]` (floats); its `k` values are `segments` runs of
/// `k / segments` contiguous floats, each `segmentStride` floats after the one before (for a
/// k x k window in NHWC: one run of `k·cin` per kernel row, an image row apart).
public struct GatheredRows {
    /// `Int` offsets, one per row, read as raw bytes (so a scratch of floats can hold them).
    public let offsets: UnsafeRawPointer
    public let segments: Int
    public let segmentStride: Int

    public init(offsets: UnsafeRawPointer, segments: Int, segmentStride: Int) {
        precondition(segments >= 1, "GatheredRows: segments must be >= 1")
        self.offsets = offsets; self.segments = segments; self.segmentStride = segmentStride
    }
}

/// How a tile finds the rows of A. The tiles are generic over it, so a plain GEMM's tiles
/// (`StridedRows`: one run of k, rows `lda` apart) compile without the segment loop or the
/// offset table of `GatheredRowLayout` (tried as run-time fields: a k = 24 GEMM ran up to 1.5x
/// slower, its row pointers no longer fitting the general registers).
protocol RowLayout {
    /// The first of row `r`'s k values.
    static func row(_ t: TileArguments, _ r: Int) -> UnsafePointer<Float>
    /// Runs of contiguous k values per row, their length, and the distance between their starts.
    static func segments(_ t: TileArguments) -> Int
    static func segmentLength(_ t: TileArguments) -> Int
    static func segmentStride(_ t: TileArguments) -> Int
    /// Moves `t`'s row start `rows` rows down.
    static func advance(_ t: inout TileArguments, rows: Int)
}

/// A plain matrix: row `r` at `a + r·lda`, its k values contiguous.
enum StridedRows: RowLayout {
    @inline(__always) static func row(_ t: TileArguments, _ r: Int) -> UnsafePointer<Float> { t.a + r * t.lda }
    @inline(__always) static func segments(_ t: TileArguments) -> Int { 1 }
    @inline(__always) static func segmentLength(_ t: TileArguments) -> Int { t.k }
    @inline(__always) static func segmentStride(_ t: TileArguments) -> Int { 0 }
    @inline(__always) static func advance(_ t: inout TileArguments, rows: Int) { t.a += rows * t.lda }
}

/// `GatheredRows`: row `r` at `a + rowOffsets[r]`, its k values in `segments` runs.
enum GatheredRowLayout: RowLayout {
    @inline(__always) static func row(_ t: TileArguments, _ r: Int) -> UnsafePointer<Float> {
        t.a + t.rowOffsets.unsafelyUnwrapped.load(fromByteOffset: r * MemoryLayout<Int>.stride, as: Int.self)
    }
    @inline(__always) static func segments(_ t: TileArguments) -> Int { t.segments }
    @inline(__always) static func segmentLength(_ t: TileArguments) -> Int { t.k / t.segments }
    @inline(__always) static func segmentStride(_ t: TileArguments) -> Int { t.segmentStride }
    @inline(__always) static func advance(_ t: inout TileArguments, rows: Int) {
        t.rowOffsets = t.rowOffsets.unsafelyUnwrapped + rows * MemoryLayout<Int>.stride
    }
}

/// Everything one microkernel tile call needs; `advance(_:rows:)` steps down the matrix.
struct TileArguments {
    var a: UnsafePointer<Float>
    let lda: Int
    let k: Int
    /// Gathered rows only: row `r` starts at `a + rowOffsets[r]`, its k values in `segments`
    /// runs of `k / segments`, `segmentStride` floats apart.
    var rowOffsets: UnsafeRawPointer?
    let segments: Int
    let segmentStride: Int
    let b0: UnsafePointer<Float>
    let b1: UnsafePointer<Float>
    var c: UnsafeMutablePointer<Float>
    let ldc: Int
    /// Valid output columns in this panel (pair); fewer than 16·NV only in the last one.
    let cols: Int
    let bias: UnsafePointer<Float>
    var residual: UnsafePointer<Float>?
    let ldr: Int

    @inline(__always)
    mutating func advance<R: RowLayout>(_: R.Type, rows: Int) {
        R.advance(&self, rows: rows)
        c += rows * ldc
        if let r = residual { residual = r + rows * ldr }
    }

    /// Epilogue for one row of an 8-column tile (`cols` at most 8): `act(acc + bias) + residual`.
    @inline(__always)
    func storeHalf<A: ActivationFunction>(_: A.Type, row: Int, _ v: SIMD8<Float>) {
        let dst = c + row * ldc
        var y = A.apply(v + Kernels.load8(bias))
        if cols == 8 {
            if let residual { y += Kernels.load8(residual + row * ldr) }
            UnsafeMutableRawPointer(dst).storeBytes(of: y, as: SIMD8<Float>.self)
        } else {
            let src = residual.map { $0 + row * ldr }
            for j in 0..<cols { dst[j] = y[j] + (src?[j] ?? 0) }
        }
    }

    /// Epilogue for one tile row: `act(acc + bias) + residual`, stored (partially in the last panel).
    /// Forced inline (`@_transparent`): with `@inline(__always)` the optimizer kept it out of line
    /// in most tiles, one call per row with the accumulators spilled to the stack. A partial last
    /// panel goes through one out-of-line call per row.
    @_transparent
    func store<A: ActivationFunction>(_: A.Type, row: Int, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>?) {
        let dst = c + row * ldc
        let y0 = A.apply(v0 + Kernels.load16(bias))
        if let v1 {
            let y1 = A.apply(v1 + Kernels.load16(bias + 16))
            guard cols == 32 else { return storeSlow(row: row, y0, y1) }
            if let residual {
                let src = residual + row * ldr
                Kernels.store16(y0 + Kernels.load16(src), dst)
                Kernels.store16(y1 + Kernels.load16(src + 16), dst + 16)
            } else {
                Kernels.store16(y0, dst)
                Kernels.store16(y1, dst + 16)
            }
        } else {
            guard cols == 16 else { return storeSlow(row: row, y0, nil) }
            Kernels.store16(y0 + (residual.map { Kernels.load16($0 + row * ldr) } ?? .zero), dst)
        }
    }

    /// Epilogue for one row of a 16-column tile held as two 8-lane halves (the AVX2 family),
    /// without joining them into one 16-lane vector.
    @_transparent
    func store<A: ActivationFunction>(_: A.Type, row: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>) {
        if cols == 16 {
            var y0 = A.apply(v0 + Kernels.load8(bias)), y1 = A.apply(v1 + Kernels.load8(bias + 8))
            if let residual {
                let src = residual + row * ldr
                y0 += Kernels.load8(src)
                y1 += Kernels.load8(src + 8)
            }
            let dst = UnsafeMutableRawPointer(c + row * ldc)
            dst.storeBytes(of: y0, as: SIMD8<Float>.self)
            dst.storeBytes(of: y1, toByteOffset: 32, as: SIMD8<Float>.self)
        } else {
            storeSlow(row: row, A.apply(SIMD16(lowHalf: v0, highHalf: v1) + Kernels.load16(bias)), nil)
        }
    }

    /// `store`'s other case: a partial last panel (`cols` below the tile's 16 or 32 columns).
    @inline(never)
    func storeSlow(row: Int, _ y0: SIMD16<Float>, _ y1: SIMD16<Float>?) {
        let dst = c + row * ldc
        let src = residual.map { $0 + row * ldr }
        Self.storePartial(y0, dst, residual: src, count: min(cols, 16))
        if let y1, cols > 16 { Self.storePartial(y1, dst + 16, residual: src.map { $0 + 16 }, count: cols - 16) }
    }

    /// Stores the first `count` lanes of `v` (plus the residual's): a whole 16- or 8-lane
    /// piece as one vector store, the rest lane by lane (a 24-column pair is 16 + 8, no loop).
    @inline(__always)
    static func storePartial(_ v: SIMD16<Float>, _ dst: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, count: Int) {
        var done = 0
        if count == 16 {
            Kernels.store16(v + (residual.map { Kernels.load16($0) } ?? .zero), dst)
            return
        }
        if count >= 8 {
            let low = v.lowHalf + (residual.map { Kernels.load8($0) } ?? .zero)
            UnsafeMutableRawPointer(dst).storeBytes(of: low, as: SIMD8<Float>.self)
            done = 8
        }
        for j in done..<count { dst[j] = v[j] + (residual?[j] ?? 0) }
    }
}

extension Kernels {
    /// `C[m × n] = act(A[m × k] · B + bias) + residual` with `B` prepacked, on the engine's own
    /// register-blocked microkernels of `context.family` (AVX-512: tiles 8×32 and 12×16 of
    /// 16-lane vectors; AVX2 and NEON: 6×16 of 8 and 4 lanes; a last panel with at most 8
    /// valid columns gets 8-column tiles, so n = 8 mod 16 wastes no multiply-adds).
    ///
    /// `A` rows have stride `lda` (NHWC pixels for a 1x1 convolution), or lie where `gathered`
    /// says (`lda` then unused), `C` rows `ldc`, the optional residual rows `ldr`. Row blocks are
    /// split across `context.threads`.
    /// - Complexity: `m·n·k` multiply-adds.
    public static func packedGEMM(
        _ a: UnsafePointer<Float>, lda: Int, rows m: Int, weights b: PackedWeights, activation: Activation,
        into c: UnsafeMutablePointer<Float>, ldc: Int, residual: UnsafePointer<Float>? = nil, ldr: Int = 0,
        gathered: GatheredRows? = nil, context: ExecutionContext
    ) {
        precondition((gathered != nil || lda >= b.k) && ldc >= b.n, "packedGEMM: row strides lda=\(lda) ldc=\(ldc) smaller than k=\(b.k) n=\(b.n)")
        precondition(b.k % (gathered?.segments ?? 1) == 0, "packedGEMM: k=\(b.k) is not a whole number of \(gathered?.segments ?? 1) segments")
        let k = b.k, n = b.n, panels = b.panels
        let segments = gathered?.segments ?? 1, segmentStride = gathered?.segmentStride ?? 0
        // Rows per block: keep the block of A near 16 KiB so it stays in L1 across all panels.
        let targetRows = min(max(24, 4096 / k / 24 * 24), 480)
        // With more threads, equal blocks so that each thread gets equal work. With one, blocks
        // rounded up to a multiple of 24 rows (of every family's tile height: 12, 8, 6) so that
        // only the last block ends in a short tile: 49 rows as 17 + 17 + 15 ran three 1-row
        // tiles, each streaming all of B for one row; as 24 + 24 + 1 they run one.
        let equalBlocks = (m + targetRows - 1) / targetRows
        let equalRows = (m + equalBlocks - 1) / equalBlocks
        let blockRows = context.threads == 1 ? min(m, (equalRows + 23) / 24 * 24) : equalRows
        let blocks = (m + blockRows - 1) / blockRows
        // Work items: (row block, panel group). With one thread a group is every panel; with
        // more, the panels are split too so small layers (7x7 = 49 rows) still use every thread.
        let pairs = (panels + 1) / 2
        let groups = context.threads == 1 ? 1 : min(pairs, max(1, (context.threads * 2 + blocks - 1) / blocks))
        func run<Act: ActivationFunction, Family: MicrokernelSet, Rows: RowLayout>(_: Act.Type, _: Family.Type, _: Rows.Type) {
            context.parallelFor(blocks * groups) { items in
                for item in items {
                    let block = item / groups, group = item % groups
                    let first = block * blockRows
                    let rows = min(blockRows, m - first)
                    var p = 2 * (pairs * group / groups)
                    let end = min(panels, 2 * (pairs * (group + 1) / groups))
                    while p < end {
                        let two = Family.pairsPanels && p + 1 < end
                        let b0 = b.data.pointer + p * k * 16
                        let t = TileArguments(
                            a: gathered == nil ? a + first * lda : a, lda: lda, k: k, rowOffsets: gathered.map { $0.offsets + first * MemoryLayout<Int>.stride },
                            segments: segments, segmentStride: segmentStride,
                            b0: b0, b1: two ? b0 + k * 16 : b0,
                            c: c + first * ldc + p * 16, ldc: ldc,
                            cols: min(two ? 32 : 16, n - p * 16),
                            bias: b.bias.pointer + p * 16,
                            residual: residual.map { $0 + first * ldr + p * 16 }, ldr: ldr)
                        if !two && t.cols <= 8 {
                            Family.halfTileRows(Act.self, Rows.self, t, rows: rows)  // a last panel at most half full
                        } else {
                            Family.tileRows(Act.self, Rows.self, t, rows: rows, twoPanels: two)
                        }
                        p += two ? 2 : 1
                    }
                }
            }
        }
        func run<Family: MicrokernelSet, Rows: RowLayout>(_ family: Family.Type, _ rows: Rows.Type) {
            switch activation {
            case .none: run(IdentityActivation.self, family, rows)
            case .relu: run(ReLUActivation.self, family, rows)
            case .relu6: run(ReLU6Activation.self, family, rows)
            case .hswish: run(HardSwishActivation.self, family, rows)
            case .sigmoid: run(SigmoidActivation.self, family, rows)
            }
        }
        func run<Family: MicrokernelSet>(_ family: Family.Type) {
            if gathered == nil { run(family, StridedRows.self) } else { run(family, GatheredRowLayout.self) }
        }
        switch context.family {
        case .avx512: run(AVX512Microkernels.self)
        case .avx2: run(AVX2Microkernels.self)
        case .neon: run(NEONMicrokernels.self)
        }
    }
}
