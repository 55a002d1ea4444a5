/// Average or max pooling, `k×k` window, stride `s`, "same" padding (padding ignored).
/// Output `[n, ceil(h/s), ceil(w/s), c]`.
public struct Pooling: Layer {
    public let kind: PoolKind
    public let geometry: WindowGeometry

    public init(_ kind: PoolKind, kernel: Int, stride: Int) {
        self.kind = kind; self.geometry = WindowGeometry(kernel: kernel, stride: stride)
    }

    public var summary: String { "\(kind.rawValue) pool \(geometry.kernel)x\(geometry.kernel)" + (geometry.stride > 1 ? " /\(geometry.stride)" : "") }
    public func outputShape(for input: Shape) -> Shape { geometry.output(input, channels: input.c) }
    public func macs(for input: Shape) -> Int { outputShape(for: input).count * geometry.kernel * geometry.kernel }
    public var parameterCount: Int { 0 }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        Kernels.pool(kind, x, input: input, geometry: geometry, into: y, context: context)
    }
}

/// Global average pooling: `[n, h, w, c]` → `[n, 1, 1, c]`.
public struct GlobalAveragePooling: Layer {
    public init() {}
    public var summary: String { "global average pool" }
    public func outputShape(for input: Shape) -> Shape { Shape(n: input.n, h: 1, w: 1, c: input.c) }
    public func macs(for input: Shape) -> Int { input.count }
    public var parameterCount: Int { 0 }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        Kernels.globalAveragePool(x, input: input, into: y)
    }
}
