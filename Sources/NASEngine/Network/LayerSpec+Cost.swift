extension LayerSpec {
    /// Multiply-accumulates and parameters (after batch-norm folding) of this layer on `input`,
    /// computed without building it; equal to the instantiated layer's `macs` and
    /// `parameterCount`.
    public func cost(input: Shape) -> (macs: Int, parameters: Int) {
        let k2 = kernel * kernel
        let out = WindowGeometry(kernel: kernel, stride: stride).output(input, channels: outChannels)
        switch op {
        case .conv:
            return (out.count * k2 * inChannels, k2 * inChannels * outChannels + outChannels)
        case .depthwise:
            return (out.count * k2, k2 * inChannels + inChannels)
        case .mbconv, .sepconv:
            let ce = inChannels * expansion
            let d = WindowGeometry(kernel: kernel, stride: stride).output(input, channels: ce)
            var macs = d.count * k2 + d.pixels * ce * outChannels
            var params = k2 * ce + ce + ce * outChannels + outChannels
            if expansion > 1 {
                macs += input.pixels * inChannels * ce
                params += inChannels * ce + ce
            }
            if seRatio > 0 {
                let r = max(1, Int(Double(inChannels) * seRatio))
                macs += d.count * 2 + d.n * 2 * ce * r
                params += 2 * ce * r + r + ce
            }
            return (macs, params)
        case .avgpool, .maxpool:
            return (WindowGeometry(kernel: kernel, stride: stride).output(input, channels: input.c).count * k2, 0)
        case .gap:
            return (input.count, 0)
        case .fc:
            let features = input.h * input.w * input.c
            return (input.n * features * outChannels, features * outChannels + outChannels)
        case .softmax:
            return (0, 0)
        }
    }
}

extension LayerSpec {
    /// Bytes of activations one forward pass moves through memory on `input`: the input read,
    /// the output written and, inside an MBConv, the expanded and depthwise tensors written and
    /// read back. (A regular convolution's padded input copy, and im2col patches on OpenBLAS,
    /// are not counted.)
    public func activationBytes(input: Shape) -> Int {
        let out: Shape
        switch op {
        case .gap: out = Shape(n: input.n, h: 1, w: 1, c: input.c)
        case .fc: out = Shape(n: input.n, h: 1, w: 1, c: outChannels)
        case .softmax: out = input
        default: out = WindowGeometry(kernel: kernel, stride: stride).output(input, channels: outChannels)
        }
        var floats = input.count + out.count
        if op == .mbconv || op == .sepconv {
            let ce = inChannels * expansion
            let d = WindowGeometry(kernel: kernel, stride: stride).output(input, channels: ce)
            floats += 2 * d.count + (expansion > 1 ? 2 * input.pixels * ce : 0)
        }
        return 4 * floats
    }
}
