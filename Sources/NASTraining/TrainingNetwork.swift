import NASEngine

/// A trainable network built from layer specs: every convolution is followed by batch norm
/// (with the spec's activation fused into it), MBConv/sepconv blocks get their expand, depthwise, optional
/// squeeze-excite and linear projection, identity skips where the spec has them. The final
/// softmax is left to the loss.
public final class TrainingNetwork {
    public let inputShape: Shape
    public let specs: [LayerSpec]
    public let body: SequentialLayer

    /// - Parameters:
    ///   - inputShape: per-image shape (`n` is ignored; batches vary).
    ///   - context: threads and GEMM backend of the convolutions' forward and input-gradient
    ///     passes (weight gradients always run on OpenBLAS, at its configured thread count).
    public init(inputShape: Shape, specs: [LayerSpec], seed: UInt64, context: ExecutionContext = .engineSerial) {
        self.inputShape = Shape(n: 1, h: inputShape.h, w: inputShape.w, c: inputShape.c)
        self.specs = specs
        var rng = SplitMix64(seed: seed)
        body = SequentialLayer(specs.compactMap { Self.layer(for: $0, context: context, rng: &rng) })
    }

    public var parameters: [Parameter] { body.parameters }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
    public var classes: Int { body.outputShape(for: inputShape).c }

    static func convBN(_ cin: Int, _ cout: Int, _ k: Int, _ s: Int, _ act: Activation, context: ExecutionContext,
                       rng: inout SplitMix64) -> [TrainingLayer] {
        [ConvolutionLayer(inChannels: cin, outChannels: cout, kernel: k, stride: s, bias: false, context: context, rng: &rng),
         BatchNormLayer(channels: cout, activation: act)]
    }

    static func layer(for spec: LayerSpec, context: ExecutionContext, rng: inout SplitMix64) -> TrainingLayer? {
        switch spec.op {
        case .conv:
            let block = SequentialLayer(convBN(spec.inChannels, spec.outChannels, spec.kernel, spec.stride, spec.activation, context: context, rng: &rng))
            return spec.skip ? residual(block) : block
        case .depthwise:
            return SequentialLayer([DepthwiseLayer(channels: spec.inChannels, kernel: spec.kernel, stride: spec.stride, context: context, rng: &rng),
                                    BatchNormLayer(channels: spec.inChannels, activation: spec.activation)])
        case .mbconv, .sepconv:
            let ce = spec.inChannels * spec.expansion
            var layers: [TrainingLayer] = []
            if spec.expansion > 1 { layers += convBN(spec.inChannels, ce, 1, 1, spec.activation, context: context, rng: &rng) }
            layers += [DepthwiseLayer(channels: ce, kernel: spec.kernel, stride: spec.stride, context: context, rng: &rng),
                       BatchNormLayer(channels: ce, activation: spec.activation)]
            if spec.seRatio > 0 {
                layers.append(SqueezeExciteLayer(channels: ce, reduced: max(1, Int(Double(spec.inChannels) * spec.seRatio)), rng: &rng))
            }
            layers += convBN(ce, spec.outChannels, 1, 1, .none, context: context, rng: &rng)
            let block = SequentialLayer(layers)
            return spec.skip ? residual(block) : block
        case .avgpool, .maxpool:
            return PoolingLayer(spec.op == .avgpool ? .average : .max, kernel: spec.kernel, stride: spec.stride, context: context)
        case .gap:
            return GlobalAveragePoolLayer()
        case .fc:
            return LinearLayer(inFeatures: spec.inChannels, outFeatures: spec.outChannels, rng: &rng)
        case .softmax:
            return nil
        }
    }

    /// `x + block(x)`. When the block ends in batch norm (a linear projection: MBConv, sepconv)
    /// its scale γ starts at zero, so the block starts as the identity: the network begins as
    /// shallow as its skips allow and its gradients do not grow with the depth of the residual
    /// stack (Goyal et al. 2017). A block ending in an activation keeps γ = 1: ReLU's zero
    /// gradient at 0 would leave a zeroed block dead for good.
    static func residual(_ block: SequentialLayer) -> ResidualLayer {
        if let last = block.layers.last as? BatchNormLayer, last.activation == .none {
            for i in last.gamma.value.indices { last.gamma.value[i] = 0 }
        }
        return ResidualLayer(block)
    }

    /// Logits `[n × classes]` for a batch of `n` images.
    public func forward(_ x: [Float], batch: Int, training: Bool) -> [Float] {
        body.forward(x, shape: Shape(n: batch, h: inputShape.h, w: inputShape.w, c: inputShape.c), training: training)
    }

    public func backward(_ dLogits: [Float]) { _ = body.backward(dLogits) }
}
