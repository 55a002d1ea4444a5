import NASKernels

/// The banded MBConv: expand, depthwise and project one band of rows at a time, so the
/// expanded tensor (`h·w·6c` floats: 4.8 MB for MobileNetV2's 112x112x96) never exists whole.
///
/// Each thread takes a contiguous run of output rows. It keeps a window of expanded rows in its
/// slice of the scratch: per chunk of `rowsPerChunk` output rows it slides the rows the next
/// windows share to the front, expands only the rows not held yet (each expanded row is computed
/// once per thread; only the `k − s` rows at a thread boundary twice), runs the depthwise
/// convolution on the chunk and, without squeeze-excite, projects the chunk straight into the
/// output (residual added in the store). With squeeze-excite the depthwise output is written
/// whole (the gate needs its global mean), then gated and projected as in the layer-by-layer
/// path. Results equal the layer-by-layer path bit for bit: every output element sums the same
/// products in the same order.
///
/// Not the executor's path: on the development EPYC (L2 1 MiB per core, L3 32 MiB) it is
/// 0.96-1.12x the layer-by-layer time on MobileNetV2's large blocks (`kernel-bench mbconv`,
/// Benchmarks/README.md): the whole expanded tensor streams through L3 as fast as the windows
/// stay in L2, and the windows pay for small GEMMs and the slide. It stays as the measured
/// alternative for CPUs with less cache (`kernel-bench mbconv SPEC H W` on such a machine).
extension MBConv {
    /// A banded forward pass for one input shape and thread count.
    struct BandPlan: Equatable {
        /// Output rows per chunk.
        var rowsPerChunk: Int
        /// Threads (each with its own window and chunk buffer).
        var parts: Int
        /// Expanded rows a window holds: `(rowsPerChunk − 1)·s + k`.
        var windowRows: Int
        /// Floats of one part's scratch: its window and its chunk's depthwise output.
        var floatsPerPart: Int
    }

    /// The window size `kernel-bench mbconv` bands with by default (well inside a 512 KiB L2).
    public static let defaultBandWindowBytes = 160 * 1024

    /// The banded plan for `input` under `context` with windows of about `windowBytes` (or
    /// `rowsPerChunk` output rows per chunk, for tests), or nil when the block cannot band: no
    /// expansion, OpenBLAS as the GEMM (it would be called from several threads at once), or a
    /// scratch too small for one window.
    func bandPlan(for input: Shape, context: ExecutionContext, windowBytes: Int = defaultBandWindowBytes, rowsPerChunk forced: Int? = nil) -> BandPlan? {
        guard expand != nil, context.gemm == .native else { return nil }
        let e = expandedShape(input)
        let k = depthwise.geometry.kernel, s = depthwise.geometry.stride
        let d = depthwise.outputShape(for: e)
        let rowFloats = e.w * e.c
        let targetRows = windowBytes / MemoryLayout<Float>.size / rowFloats
        let chunk = max(1, min(d.h, forced ?? max(1, (targetRows - k) / s + 1)))
        let windowRows = min(e.h, (chunk - 1) * s + k)
        let perPart = windowRows * rowFloats + (squeezeExcite == nil ? chunk * d.w * d.c : 0)
        // The whole depthwise output and the gate's scratch stay where the layer-by-layer path has them.
        let shared = squeezeExcite == nil ? 0 : d.count + squeezeExcite!.scratchCount(for: d)
        let available = scratchCount(for: input) - shared
        let parts = min(context.threads, d.n * d.h, available / perPart)
        guard parts >= 1 else { return nil }
        return BandPlan(rowsPerChunk: chunk, parts: parts, windowRows: windowRows, floatsPerPart: perPart)
    }

    /// The banded forward pass under `plan` (from `bandPlan`); the same result as the
    /// layer-by-layer one.
    func forwardBanded(_ x: UnsafePointer<Float>, input: Shape, into y: UnsafeMutablePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>, plan: BandPlan, context: ExecutionContext) {
        guard let expand else { preconditionFailure("MBConv.forwardBanded: no expansion to band") }
        let e = expandedShape(input)
        let d = depthwise.outputShape(for: e)
        let image = Shape(n: 1, h: e.h, w: e.w, c: e.c)
        let k = depthwise.geometry.kernel, s = depthwise.geometry.stride, pad = k / 2
        let rowFloats = e.w * e.c
        let totalRows = d.n * d.h
        let serial = ExecutionContext(threads: 1, gemm: .native, family: context.family)
        // With squeeze-excite the depthwise output goes whole after the parts' windows.
        let dwWhole = squeezeExcite == nil ? nil : scratch + plan.parts * plan.floatsPerPart
        context.parallelFor(plan.parts) { parts in
            for part in parts {
                let window = scratch + part * plan.floatsPerPart
                let chunkOut = window + plan.windowRows * rowFloats
                var heldImage = -1, heldLo = 0, heldHi = 0  // expanded rows [heldLo, heldHi) of heldImage at `window`
                var row = totalRows * part / plan.parts
                let end = totalRows * (part + 1) / plan.parts
                while row < end {
                    let b = row / d.h, lo = row % d.h
                    let hi = min(d.h, lo + plan.rowsPerChunk, lo + (end - row))
                    let needLo = max(0, lo * s - pad), needHi = min(e.h, (hi - 1) * s - pad + k)
                    var firstNew = needLo
                    if heldImage == b && heldHi > needLo {
                        // Slide the rows this chunk shares with the last one to the window's front.
                        let keep = heldHi - needLo
                        UnsafeMutableRawPointer(window).copyMemory(from: window + (needLo - heldLo) * rowFloats, byteCount: keep * rowFloats * MemoryLayout<Float>.size)  // memmove
                        firstNew = heldHi
                    }
                    if firstNew < needHi {
                        Kernels.pointwise(x + ((b * input.h + firstNew) * input.w) * input.c, pixels: (needHi - firstNew) * input.w,
                                          weights: expand.parameters, activation: expand.activation,
                                          into: window + (firstNew - needLo) * rowFloats, context: serial)
                    }
                    heldImage = b; heldLo = needLo; heldHi = needHi
                    let dwTarget = dwWhole.map { $0 + (b * d.h + lo) * d.w * d.c } ?? chunkOut
                    Kernels.depthwiseBand(window, firstRow: needLo, image: image, geometry: depthwise.geometry,
                                          weights: depthwise.weights.pointer, bias: depthwise.bias.pointer,
                                          activation: depthwise.activation, rows: lo..<hi, into: dwTarget)
                    if dwWhole == nil {
                        let pixel = (b * d.h + lo) * d.w
                        Kernels.gemm(chunkOut, lda: d.c, rows: (hi - lo) * d.w, weights: project.parameters, activation: project.activation,
                                     into: y + pixel * project.outChannels, ldc: project.outChannels,
                                     residual: skip ? x + pixel * inChannels : nil, ldr: inChannels, context: serial)
                    }
                    row += hi - lo
                }
            }
        }
        if let dwWhole, let squeezeExcite {
            squeezeExcite.applyInPlace(dwWhole, shape: d, scratch: dwWhole + d.count, context: context)
            project.forward(dwWhole, input: d, into: y, residual: skip ? x : nil, scratch: dwWhole + d.count, context: context)
        }
    }
}
