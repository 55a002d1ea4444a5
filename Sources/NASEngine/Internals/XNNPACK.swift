import CXNNPACK

/// The one place nasctl calls XNNPACK (Debian's libxnnpack-dev, the 2022 operator API) and
/// pthreadpool. Every operator is created and set up once on fixed buffers, then only run.
///
/// Layouts: NHWC activations; convolution kernels OHWI `[cout, kh, kw, cin]`; depthwise
/// kernels `[kh, kw, c]` (XNNPACK's depthwise flag); fully connected `[in × out]` (transposed
/// weights flag).
enum XNNPACK {
    /// A failed XNNPACK call: the function and its status code.
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var status: UInt32
        var description: String {
            let names = [1: "uninitialized", 2: "invalid parameter", 3: "invalid state", 4: "unsupported parameter",
                         5: "unsupported hardware", 6: "out of memory"]
            return "XNNPACK \(call) failed: \(names[Int(status)] ?? "status \(status)")"
        }
    }

    private static func check(_ status: xnn_status, _ call: String) throws {
        guard status == xnn_status_success else { throw Failure(call: call, status: status.rawValue) }
    }

    /// `xnn_initialize` once per process (thread-safe, idempotent in XNNPACK).
    static func initialize() throws {
        try check(xnn_initialize(nil), "xnn_initialize")
    }

    /// A pthreadpool of `threads` workers (nil pool for one thread: XNNPACK then runs inline).
    final class Pool: @unchecked Sendable {
        let handle: pthreadpool_t?
        init(threads: Int) { handle = threads > 1 ? pthreadpool_create(threads) : nil }
        deinit { if let handle { pthreadpool_destroy(handle) } }
    }

    /// One created and set-up operator; `run()` executes it on its buffers.
    final class Operator: @unchecked Sendable {
        let handle: xnn_operator_t
        let pool: Pool
        let name: String
        init(_ handle: xnn_operator_t, pool: Pool, name: String) { self.handle = handle; self.pool = pool; self.name = name }
        deinit { xnn_delete_operator(handle) }

        @inline(__always)
        func run() {
            let status = xnn_run_operator(handle, pool.handle)
            precondition(status == xnn_status_success, "XNNPACK \(name): xnn_run_operator failed with status \(status.rawValue)")
        }
    }

    /// Output clamp of a fused activation: relu [0, ∞), relu6 [0, 6], else unbounded.
    static func clamp(_ activation: Activation) -> (Float, Float) {
        switch activation {
        case .relu: (0, .infinity)
        case .relu6: (0, 6)
        default: (-.infinity, .infinity)
        }
    }

    /// Regular convolution, "same" padding `k/2`, on an `[n, h, w, cin]` input into
    /// `[n, ceil(h/s), ceil(w/s), cout]`; `ohwi` holds `cout·k·k·cin` floats. With
    /// `depthwise`, `cin == cout == c` and the kernel is `[k, k, c]`.
    static func convolution(kernel k: Int, stride s: Int, inChannels cin: Int, outChannels cout: Int, depthwise: Bool,
                            weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, clamp: (Float, Float),
                            batch: Int, height: Int, width: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                            pool: Pool) throws -> Operator {
        var op: xnn_operator_t?
        let p = UInt32(k / 2)
        try check(xnn_create_convolution2d_nhwc_f32(
            p, p, p, p, UInt32(k), UInt32(k), UInt32(s), UInt32(s), 1, 1,
            UInt32(depthwise ? cin : 1), depthwise ? 1 : cin, depthwise ? 1 : cout, cin, cout,
            weights, bias, clamp.0, clamp.1, depthwise ? UInt32(XNN_FLAG_DEPTHWISE_CONVOLUTION) : 0, &op), "create convolution")
        let made = Operator(op!, pool: pool, name: "convolution")
        try check(xnn_setup_convolution2d_nhwc_f32(op, batch, height, width, input, output, pool.handle), "setup convolution")
        return made
    }

    /// `y[batch × out] = clamp(x[batch × in] · W[in × out] + bias)`.
    static func fullyConnected(inFeatures: Int, outFeatures: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               clamp: (Float, Float), batch: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                               pool: Pool) throws -> Operator {
        var op: xnn_operator_t?
        try check(xnn_create_fully_connected_nc_f32(inFeatures, outFeatures, inFeatures, outFeatures, weights, bias, clamp.0, clamp.1,
                                                    UInt32(XNN_FLAG_TRANSPOSE_WEIGHTS), &op), "create fully connected")
        let made = Operator(op!, pool: pool, name: "fully connected")
        try check(xnn_setup_fully_connected_nc_f32(op, batch, input, output, pool.handle), "setup fully connected")
        return made
    }

    /// Mean over `pixels` of each of `batch` images: `[batch, pixels, c]` → `[batch, c]`.
    static func globalAveragePool(channels c: Int, batch: Int, pixels: Int, input: UnsafePointer<Float>,
                                  output: UnsafeMutablePointer<Float>, pool: Pool) throws -> Operator {
        var op: xnn_operator_t?
        try check(xnn_create_global_average_pooling_nwc_f32(c, c, c, -.infinity, .infinity, 0, &op), "create global average pooling")
        let made = Operator(op!, pool: pool, name: "global average pooling")
        try check(xnn_setup_global_average_pooling_nwc_f32(op, batch, pixels, input, output, pool.handle), "setup global average pooling")
        return made
    }

    /// `k×k` average (padding excluded from the mean) or max pooling, stride `s`, padding `k/2`.
    static func pooling(max: Bool, kernel k: Int, stride s: Int, channels c: Int, batch: Int, height: Int, width: Int,
                        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, pool: Pool) throws -> Operator {
        var op: xnn_operator_t?
        let p = UInt32(k / 2)
        if max {
            try check(xnn_create_max_pooling2d_nhwc_f32(p, p, p, p, UInt32(k), UInt32(k), UInt32(s), UInt32(s), 1, 1, c, c, c,
                                                        -.infinity, .infinity, 0, &op), "create max pooling")
            let made = Operator(op!, pool: pool, name: "max pooling")
            try check(xnn_setup_max_pooling2d_nhwc_f32(op, batch, height, width, input, output, pool.handle), "setup max pooling")
            return made
        }
        try check(xnn_create_average_pooling2d_nhwc_f32(p, p, p, p, UInt32(k), UInt32(k), UInt32(s), UInt32(s), c, c, c,
                                                        -.infinity, .infinity, 0, &op), "create average pooling")
        let made = Operator(op!, pool: pool, name: "average pooling")
        try check(xnn_setup_average_pooling2d_nhwc_f32(op, batch, height, width, input, output, pool.handle), "setup average pooling")
        return made
    }

    /// Elementwise hard-swish, sigmoid or softmax (over `channels`) of `rows × channels`.
    enum Pointwise { case hardswish, sigmoid, softmax }

    static func pointwise(_ kind: Pointwise, channels c: Int, rows: Int, input: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>, pool: Pool) throws -> Operator {
        var op: xnn_operator_t?
        switch kind {
        case .hardswish:
            try check(xnn_create_hardswish_nc_f32(c, c, c, 0, &op), "create hardswish")
            let made = Operator(op!, pool: pool, name: "hardswish")
            try check(xnn_setup_hardswish_nc_f32(op, rows, input, output, pool.handle), "setup hardswish")
            return made
        case .sigmoid:
            try check(xnn_create_sigmoid_nc_f32(c, c, c, 0, &op), "create sigmoid")
            let made = Operator(op!, pool: pool, name: "sigmoid")
            try check(xnn_setup_sigmoid_nc_f32(op, rows, input, output, pool.handle), "setup sigmoid")
            return made
        case .softmax:
            try check(xnn_create_softmax_nc_f32(c, c, c, 0, &op), "create softmax")
            let made = Operator(op!, pool: pool, name: "softmax")
            try check(xnn_setup_softmax_nc_f32(op, rows, input, output, pool.handle), "setup softmax")
            return made
        }
    }

    /// Broadcasting `a + b` or `a · b` over shapes `aShape`, `bShape` (NumPy rules).
    static func binary(multiply: Bool, aShape: [Int], bShape: [Int], a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                       output: UnsafeMutablePointer<Float>, pool: Pool) throws -> Operator {
        var op: xnn_operator_t?
        let name = multiply ? "multiply" : "add"
        if multiply {
            try check(xnn_create_multiply_nd_f32(-.infinity, .infinity, 0, &op), "create multiply")
        } else {
            try check(xnn_create_add_nd_f32(-.infinity, .infinity, 0, &op), "create add")
        }
        let made = Operator(op!, pool: pool, name: name)
        // XNNPACK copies the shapes during setup.
        if multiply {
            try check(xnn_setup_multiply_nd_f32(op, aShape.count, aShape, bShape.count, bShape, a, b, output, pool.handle), "setup multiply")
        } else {
            try check(xnn_setup_add_nd_f32(op, aShape.count, aShape, bShape.count, bShape, a, b, output, pool.handle), "setup add")
        }
        return made
    }
}
