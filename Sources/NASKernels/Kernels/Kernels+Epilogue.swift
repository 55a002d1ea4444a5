extension Kernels {
    /// In place over a `[rows × cols]` row-major matrix with row stride `ldc`:
    /// `y[r, j] = act(y[r, j] + bias[j])` (no bias when `bias` is nil).
    ///
    /// The epilogue of every GEMM-based convolution: folded batch norm is the bias.
    /// - Complexity: O(rows · cols), memory-bound.
    public static func biasActivation(
        _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldc: Int,
        bias: UnsafePointer<Float>?, activation: Activation
    ) {
        if bias == nil && activation == .none { return }
        func run<A: ActivationFunction>(_: A.Type) {
            if let bias {
                biasActivationLoop(A.self, y, rows: rows, cols: cols, ldc: ldc, bias: bias)
            } else {
                activationLoop(A.self, y, rows: rows, cols: cols, ldc: ldc)
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

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    private static func biasActivationLoop<A: ActivationFunction>(
        _: A.Type, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldc: Int, bias: UnsafePointer<Float>
    ) {
        let vectorCols = cols - cols % lanes
        for r in 0..<rows {
            let row = y + r * ldc
            var j = 0
            while j < vectorCols {
                store16(A.apply(load16(row + j) + load16(bias + j)), row + j)
                j += lanes
            }
            while j < cols { row[j] = A.apply(row[j] + bias[j]); j += 1 }
        }
    }

    private static func activationLoop<A: ActivationFunction>(
        _: A.Type, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldc: Int
    ) {
        let vectorCols = cols - cols % lanes
        for r in 0..<rows {
            let row = y + r * ldc
            var j = 0
            while j < vectorCols { store16(A.apply(load16(row + j)), row + j); j += lanes }
            while j < cols { row[j] = A.apply(row[j]); j += 1 }
        }
    }

    /// `y = act(x)` elementwise over `count` floats (`x` and `y` may alias).
    public static func activate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, activation: Activation) {
        func run<A: ActivationFunction>(_: A.Type) {
            var i = 0
            while i + lanes <= count { store16(A.apply(load16(x + i)), y + i); i += lanes }
            while i < count { y[i] = A.apply(x[i]); i += 1 }
        }
        switch activation {
        case .none: run(IdentityActivation.self)
        case .relu: run(ReLUActivation.self)
        case .relu6: run(ReLU6Activation.self)
        case .hswish: run(HardSwishActivation.self)
        case .sigmoid: run(SigmoidActivation.self)
        }
    }
}
