/// Mobile inverted bottleneck (MobileNetV2 / MNasNet block):
/// expand 1x1 (+act) → depthwise k×k /s (+act) → optional squeeze-excite → project 1x1 (linear)
/// → optional identity skip.
///
/// With expansion 1 there is no expand convolution and the block is a depthwise-separable
/// convolution (depthwise + act → pointwise linear), MobileNetV2's first block; see `separable`.
/// Skip requires stride 1 and `inChannels == outChannels`. A banded form that never holds the
/// expanded tensor whole is in `MBConv+Banded.swift` (measured, not the executor's path).
public struct MBConv: Layer {
    public let inChannels: Int, outChannels: Int, expandedChannels: Int
    public let expand: Convolution?
    public let depthwise: DepthwiseConvolution
    public let squeezeExcite: SqueezeExcite?
    public let project: Convolution
    public let skip: Bool

    public init(expand: Convolution?, depthwise: DepthwiseConvolution, squeezeExcite: SqueezeExcite?,
                project: Convolution, skip: Bool) {
        let cin = expand?.inChannels ?? depthwise.channels
        precondition(expand.map { $0.geometry.kernel == 1 && $0.geometry.stride == 1 && $0.outChannels == depthwise.channels } ?? true,
                     "MBConv: expand must be 1x1 stride 1 into the depthwise channels")
        precondition(project.geometry.kernel == 1 && project.geometry.stride == 1 && project.inChannels == depthwise.channels,
                     "MBConv: project must be 1x1 stride 1 from the depthwise channels")
        precondition(squeezeExcite.map { $0.channels == depthwise.channels } ?? true, "MBConv: squeeze-excite channels must match")
        precondition(!skip || (depthwise.geometry.stride == 1 && cin == project.outChannels),
                     "MBConv: identity skip needs stride 1 and equal in/out channels (got s=\(depthwise.geometry.stride), \(cin)→\(project.outChannels))")
        self.inChannels = cin; self.outChannels = project.outChannels; self.expandedChannels = depthwise.channels
        self.expand = expand; self.depthwise = depthwise; self.squeezeExcite = squeezeExcite
        self.project = project; self.skip = skip
    }

    /// Random folded weights. `seRatio` > 0 adds squeeze-excite with `max(1, ⌊cin·seRatio⌋)`
    /// reduced channels (the EfficientNet/MNasNet convention, relative to the block input).
    public static func random(inChannels cin: Int, outChannels cout: Int, kernel: Int, stride: Int, expansion: Int,
                              seRatio: Double, skip: Bool, activation: Activation, rng: inout SplitMix64) -> MBConv {
        let ce = cin * expansion
        let expand = expansion == 1 ? nil : Convolution.random(inChannels: cin, outChannels: ce, kernel: 1, stride: 1, activation: activation, rng: &rng)
        let dw = DepthwiseConvolution.random(channels: ce, kernel: kernel, stride: stride, activation: activation, rng: &rng)
        let se = seRatio > 0 ? SqueezeExcite.random(channels: ce, reduced: max(1, Int(Double(cin) * seRatio)), rng: &rng) : nil
        let project = Convolution.random(inChannels: ce, outChannels: cout, kernel: 1, stride: 1, activation: .none, rng: &rng)
        return MBConv(expand: expand, depthwise: dw, squeezeExcite: se, project: project, skip: skip)
    }

    /// Depthwise-separable convolution: depthwise k×k + act, then pointwise linear.
    public static func separable(inChannels cin: Int, outChannels cout: Int, kernel: Int, stride: Int,
                                 seRatio: Double, skip: Bool, activation: Activation, rng: inout SplitMix64) -> MBConv {
        random(inChannels: cin, outChannels: cout, kernel: kernel, stride: stride, expansion: 1,
               seRatio: seRatio, skip: skip, activation: activation, rng: &rng)
    }

    public var summary: String {
        let k = depthwise.geometry.kernel, s = depthwise.geometry.stride
        let kind = expand == nil ? "sepconv k\(k)" : "mbconv k\(k) e\(expandedChannels / inChannels)"
        return kind + (squeezeExcite != nil ? " se" : "") + (s > 1 ? " /\(s)" : "") + (skip ? " +skip" : "")
    }

    public func inputProblem(for input: Shape) -> String? { channelProblem(input, expected: inChannels) }

    public func outputShape(for input: Shape) -> Shape {
        precondition(input.c == inChannels, "\(summary): input has \(input.c) channels, expected \(inChannels)")
        return depthwise.geometry.output(input, channels: outChannels)
    }

    func expandedShape(_ input: Shape) -> Shape { Shape(n: input.n, h: input.h, w: input.w, c: expandedChannels) }

    public func scratchCount(for input: Shape) -> Int {
        let expanded = expand == nil ? 0 : expandedShape(input).count
        let dwOut = depthwise.outputShape(for: expandedShape(input))
        return expanded + dwOut.count + (squeezeExcite?.scratchCount(for: dwOut) ?? 0)
    }

    public func macs(for input: Shape) -> Int {
        let e = expandedShape(input)
        let d = depthwise.outputShape(for: e)
        return (expand?.macs(for: input) ?? 0) + depthwise.macs(for: e) + (squeezeExcite?.macs(for: d) ?? 0) + project.macs(for: d)
    }

    public var parameterCount: Int {
        (expand?.parameterCount ?? 0) + depthwise.parameterCount + (squeezeExcite?.parameterCount ?? 0) + project.parameterCount
    }

    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        forwardLayerByLayer(x, input: input, into: y, scratch: scratch, context: context)
    }

    /// How a forward pass runs: layer by layer (what the executor runs) or banded with windows of
    /// about this many bytes of expanded rows (`MBConv+Banded.swift`; benchmarks).
    public enum Banding: Sendable, Equatable {
        case off
        case windowBytes(Int)
    }

    /// The forward pass, banded when asked and the block can band; the same result either way.
    public func forward(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, context: ExecutionContext, banding: Banding) {
        let plan: BandPlan?
        switch banding {
        case .off: plan = nil
        case .windowBytes(let bytes): plan = bandPlan(for: input, context: context, windowBytes: bytes)
        }
        if let plan {
            forwardBanded(x, input: input, into: y, scratch: scratch, plan: plan, context: context)
            return
        }
        forwardLayerByLayer(x, input: input, into: y, scratch: scratch, context: context)
    }

    /// Expand, depthwise, gate and project in turn over the whole tensor.
    func forwardLayerByLayer(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                             scratch: UnsafeMutablePointer<Float>, context: ExecutionContext) {
        let e = expandedShape(input)
        var cursor = scratch
        var dwInput = x
        if let expand {
            expand.forward(x, input: input, into: cursor, scratch: cursor, context: context)  // 1x1: no scratch used
            dwInput = UnsafePointer(cursor)
            cursor += e.count
        }
        let d = depthwise.outputShape(for: e)
        let dwOut = cursor
        cursor += d.count
        depthwise.forward(dwInput, input: e, into: dwOut, scratch: cursor, context: context)
        squeezeExcite?.applyInPlace(dwOut, shape: d, scratch: cursor, context: context)
        project.forward(dwOut, input: d, into: y, residual: skip ? x : nil, scratch: cursor, context: context)
    }
}
