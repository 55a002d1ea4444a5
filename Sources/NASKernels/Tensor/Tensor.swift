#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned, 64-byte-aligned NHWC float32 tensor.
///
/// The storage is a class so that buffers can be shared and reused without copies; the executor
/// allocates its buffers once and kernels work on raw pointers into them.
public final class Tensor: @unchecked Sendable {
    public let shape: Shape
    /// The elements in NHWC order; `shape.count` of them.
    public let storage: UnsafeMutableBufferPointer<Float>

    /// Zero-filled tensor of `shape`.
    public init(shape: Shape) {
        self.shape = shape
        self.storage = Tensor.allocate(count: shape.count)
    }

    /// Zero-filled tensor of `shape` whose allocation has `extraFloats` more readable floats
    /// past its end (XNNPACK reads up to 16 bytes beyond its inputs).
    public init(shape: Shape, extraFloats: Int) {
        self.shape = shape
        let padded = Tensor.allocate(count: shape.count + max(extraFloats, 0))
        self.storage = UnsafeMutableBufferPointer(start: padded.baseAddress, count: shape.count)
    }

    /// Tensor of `shape` holding `values` (count must match).
    public convenience init(shape: Shape, values: [Float]) {
        precondition(values.count == shape.count, "Tensor: \(values.count) values for shape \(shape) (\(shape.count) expected)")
        self.init(shape: shape)
        _ = storage.initialize(from: values)
    }

    deinit { storage.baseAddress.map { free($0) } }

    public var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }
    public var array: [Float] { Array(storage) }

    /// Element at (n, y, x, c).
    public subscript(n: Int, y: Int, x: Int, c: Int) -> Float {
        get { storage[((n * shape.h + y) * shape.w + x) * shape.c + c] }
        set { storage[((n * shape.h + y) * shape.w + x) * shape.c + c] = newValue }
    }

    /// A 64-byte-aligned buffer of `count` floats, zero-filled unless `zeroed` is false; free
    /// with `free()`.
    static func allocate(count: Int, zeroed: Bool = true) -> UnsafeMutableBufferPointer<Float> {
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let status = posix_memalign(&raw, 64, (bytes + 63) & ~63)
        precondition(status == 0 && raw != nil, "Tensor: cannot allocate \(bytes) bytes")
        let typed = raw!.bindMemory(to: Float.self, capacity: max(count, 1))
        if zeroed { typed.initialize(repeating: 0, count: max(count, 1)) }
        return UnsafeMutableBufferPointer(start: typed, count: count)
    }
}

/// A 64-byte-aligned float buffer that frees itself: weights, biases, scratch.
public final class FloatBuffer: @unchecked Sendable {
    public let storage: UnsafeMutableBufferPointer<Float>
    /// `count` zeros.
    public init(count: Int) { storage = Tensor.allocate(count: count) }
    /// `count` floats left uninitialised: the caller writes every one before reading any.
    public init(uninitialisedCount count: Int) { storage = Tensor.allocate(count: count, zeroed: false) }
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        _ = storage.initialize(from: values)
    }
    deinit { storage.baseAddress.map { free($0) } }
    public var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }
    public var count: Int { storage.count }
    public var array: [Float] { Array(storage) }
}
