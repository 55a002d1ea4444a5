/// The shape of an NHWC float32 tensor: batch, height, width, channels.
///
/// NHWC makes a 1x1 convolution over a batch one GEMM (`[n·h·w × c]` times `[c × c']`) and lets
/// depthwise kernels vectorise over channels, the layout XNNPACK and TFLite use.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public var n: Int
    public var h: Int
    public var w: Int
    public var c: Int

    public init(n: Int = 1, h: Int, w: Int, c: Int) {
        precondition(n >= 1 && h >= 1 && w >= 1 && c >= 1, "Shape: every dimension must be >= 1, got \(n)x\(h)x\(w)x\(c)")
        self.n = n; self.h = h; self.w = w; self.c = c
    }

    /// Number of elements, `n·h·w·c`.
    public var count: Int { n * h * w * c }
    /// Number of pixels over the batch, `n·h·w`: the GEMM row count of a 1x1 convolution.
    public var pixels: Int { n * h * w }

    public var description: String { "\(n)x\(h)x\(w)x\(c)" }

    /// Output extent of a convolution or pooling with "same" padding (`k/2` on each side):
    /// `ceil(size / stride)`.
    @inline(__always)
    public static func sameOutput(_ size: Int, stride: Int) -> Int { (size + stride - 1) / stride }
}

/// Codable outside Embedded Swift, where the ARM cross-check (`scripts/arm-cross-check.sh`)
/// compiles this file and Codable does not exist.
#if !hasFeature(Embedded)
extension Shape: Codable {}
#endif
