import Foundation
import NASEngine
import NASLatency
import NASSpace
import NASTraining

/// kernel-bench: times single layers and raw OpenBLAS sgemm for Benchmarks/*.py.
///
///   kernel-bench layer SPEC H W [--threads N] [--runs N]   → JSON {median_ms, macs, gflops}
///   kernel-bench gemm M N K [--threads N] [--runs N]       → JSON {sgemm_ms, pointwise_ms, ...} and
///                                                            every kernel family's pointwise time
///   --family avx512|avx2|neon: the native kernel family of `layer` and of gemm's pointwise_ms
///   (default: the host's); --backend nasctl|xnnpack: what runs `layer`
///   kernel-bench mbconv SPEC H W [--threads N] [--runs N] [--window-kib K]
///                                                          → JSON {banded_ms, layer_by_layer_ms, ratio}: the
///                                                            MBConv block both ways, interleaved rounds
///                                                            (windows of K KiB, default 160)
///   kernel-bench switching TABLE SPACE ARCH... [--reps N] → per configuration of validate's rounds (networks
///                                                            per group, untimed passes per round), each
///                                                            network's median against 12 consecutive passes
///   kernel-bench comovement NATIVE_TABLE XNNPACK_TABLE SPACE [--networks N] [--seconds S]
///                                                          → CSV, one line per cycle: both tables' reference
///                                                            networks and N random architectures on both
///                                                            backends, each the median of 3 passes after 2
///                                                            untimed ones (how the host's changes of speed
///                                                            move each against the references)
///   kernel-bench specs [RESOLUTION] [WIDTH]                → MobileNetV2's layer specs, one per line
///   kernel-bench image-folder DIR [COUNT] [SIDE]           → writes COUNT random SIDE² RGB PNGs (10 classes)
///                                                            into DIR/train if it has none, then times loading it
// The OpenBLAS core nasctl runs (the yardstick as the engine sees it; OPENBLAS_CORETYPE still wins).
OpenBLASCore.reexecWithCapableCoreIfNeeded()
var args = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    args.removeSubrange(i...(i + 1))
    return v
}
@MainActor func stringOption(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    defer { args.removeSubrange(i...(i + 1)) }
    return args[i + 1]
}
let backendName = stringOption("--backend") ?? "nasctl"
let threads = option("--threads", 1)
let runs = option("--runs", 50)
let family: KernelFamily
if let name = stringOption("--family") {
    guard let f = KernelFamily(rawValue: name) else {
        FileHandle.standardError.write(Data("kernel-bench: --family must be one of \(KernelFamily.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    family = f
} else {
    family = .host
}
ExecutionContext.setOpenBLASThreads(threads)
let context = ExecutionContext(threads: threads, gemm: .native, family: family)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("kernel-bench: " + message + "\n").utf8))
    exit(2)
}

func median(_ xs: [Double]) -> Double { LatencyStatistics(samples: xs).medianMs }

/// One pass of a whole network, in milliseconds.
func timedPass(_ runner: any NetworkRunner) -> Double {
    let t = MonotonicClock.nanoseconds(); runner.run(); return Double(MonotonicClock.nanoseconds() - t) / 1e6
}

func time(_ runs: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<max(3, runs / 10) { body() }
    return (0..<runs).map { _ in
        let t = MonotonicClock.nanoseconds(); body()
        return Double(MonotonicClock.nanoseconds() - t) / 1e6
    }
}

guard let mode = args.first else { fail("usage: kernel-bench layer SPEC H W | gemm M N K [--threads N] [--runs N]") }
switch mode {
case "layer":
    guard args.count == 4, let h = Int(args[2]), let w = Int(args[3]) else { fail("usage: kernel-bench layer SPEC H W") }
    let spec: LayerSpec
    do { spec = try LayerSpec(parsing: args[1]) } catch { fail("\(error)") }
    let network: Network
    do { network = try Network(inputShape: Shape(h: h, w: w, c: spec.inChannels), specs: [spec], seed: 1) } catch { fail("\(error)") }
    let executor: any NetworkRunner
    switch backendName {
    case "nasctl": executor = NetworkExecutor(network: network, context: context)
    case "xnnpack":
        do { executor = try XNNPACKExecutor(network: network, threads: threads) } catch { fail("\(error)") }
    default: fail("--backend must be nasctl or xnnpack")
    }
    executor.fillInputRandomly(seed: 1)
    let ms = median(time(runs) { executor.run() })
    print("{\"spec\": \"\(spec)\", \"h\": \(h), \"w\": \(w), \"median_ms\": \(ms), \"macs\": \(network.macs), \"gflops\": \(2 * Double(network.macs) / ms / 1e6)}")
case "mbconv":
    let windowKiB = option("--window-kib", 0)
    guard args.count == 4, let h = Int(args[2]), let w = Int(args[3]) else { fail("usage: kernel-bench mbconv SPEC H W") }
    let spec: LayerSpec
    do { spec = try LayerSpec(parsing: args[1]) } catch { fail("\(error)") }
    let input = Shape(h: h, w: w, c: spec.inChannels)
    let network: Network
    do { network = try Network(inputShape: input, specs: [spec], seed: 1) } catch { fail("\(error)") }
    guard let block = network.layers.first as? MBConv else { fail("\(spec) is not an MBConv block") }
    let x = Tensor(shape: input, values: (0..<input.count).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 })
    let y = Tensor(shape: block.outputShape(for: input))
    let scratch = FloatBuffer(count: max(1, block.scratchCount(for: input)))
    let banding = MBConv.Banding.windowBytes(windowKiB > 0 ? windowKiB * 1024 : MBConv.defaultBandWindowBytes)
    var banded: [Double] = [], layered: [Double] = []
    for _ in 0..<10 {  // interleaved rounds: drift hits both
        banded += time(max(1, runs / 10)) { block.forward(x.pointer, input: input, into: y.pointer, scratch: scratch.pointer, context: context, banding: banding) }
        layered += time(max(1, runs / 10)) { block.forward(x.pointer, input: input, into: y.pointer, scratch: scratch.pointer, context: context, banding: .off) }
    }
    let b = median(banded), l = median(layered)
    print("{\"spec\": \"\(spec)\", \"h\": \(h), \"w\": \(w), \"threads\": \(threads), \"banded_ms\": \(b), \"layer_by_layer_ms\": \(l), \"ratio\": \(b / l)}")
case "gemm":
    guard args.count == 4, let m = Int(args[1]), let n = Int(args[2]), let k = Int(args[3]) else { fail("usage: kernel-bench gemm M N K") }
    let a = FloatBuffer(count: m * k), c = FloatBuffer(count: m * n)
    var rng = SplitMix64(seed: 3)
    for i in 0..<a.count { a.storage[i] = rng.uniform(1) }
    let weights = GEMMWeights(k: k, n: n, weights: rng.uniform(count: k * n, scale: 1), bias: rng.uniform(count: n, scale: 1))
    let blas = ExecutionContext(threads: threads, gemm: .openblas)
    var sgemm: [Double] = [], pointwise: [Double] = [], native: [Double] = []
    var families: [KernelFamily: [Double]] = [:]
    for _ in 0..<5 {  // interleave so machine noise hits all of them alike
        sgemm += time(runs / 5) { Kernels.rawSgemm(m: m, n: n, k: k, a: a.pointer, b: weights.weights.pointer, c: c.pointer) }
        pointwise += time(runs / 5) {
            Kernels.pointwise(a.pointer, pixels: m, weights: weights, activation: .relu6, into: c.pointer, context: blas)
        }
        native += time(runs / 5) {
            Kernels.pointwise(a.pointer, pixels: m, weights: weights, activation: .relu6, into: c.pointer, context: context)
        }
        for f in KernelFamily.allCases {
            let fc = ExecutionContext(threads: threads, gemm: .native, family: f)
            families[f, default: []] += time(runs / 5) {
                Kernels.pointwise(a.pointer, pixels: m, weights: weights, activation: .relu6, into: c.pointer, context: fc)
            }
        }
    }
    let flops = 2 * Double(m * n * k)
    let s = median(sgemm), p = median(pointwise), q = median(native)
    let perFamily = KernelFamily.allCases.map { "\"\($0.rawValue)\": \(flops / median(families[$0]!) / 1e6)" }.joined(separator: ", ")
    print("{\"m\": \(m), \"n\": \(n), \"k\": \(k), \"family\": \"\(family.rawValue)\", \"sgemm_ms\": \(s), \"openblas_pointwise_ms\": \(p), \"sgemm_gflops\": \(flops / s / 1e6), \"openblas_pointwise_gflops\": \(flops / p / 1e6), \"pointwise_ms\": \(q), \"pointwise_gflops\": \(flops / q / 1e6), \"family_gflops\": {\(perFamily)}}")
case "switching":
    // What switching networks costs `validate`'s interleaved rounds: each configuration (networks
    // per group, untimed passes per round) measures the networks in 4 rounds of 3 timed passes,
    // a reference pass after each; configurations alternate with a block of 12 consecutive
    // passes per network, so the machine's speed changes hit all alike.
    let reps = option("--reps", 6)
    guard args.count >= 4 else { fail("usage: kernel-bench switching TABLE SPACE ARCH... [--reps N]") }
    let table = try LatencyTable.load(file: args[1])
    let space = try SearchSpace.load(file: args[2])
    var runners: [any NetworkRunner] = []
    for (i, path) in args.dropFirst(3).enumerated() {
        let arch = try Architecture.load(file: path, space: space)
        let layers = try NetworkBuilder.layers(for: arch, in: space)
        let network = try NetworkBuilder.network(for: arch, in: space, seed: 77 &+ UInt64(i))
        let r = try table.runner(for: network, layers: layers, threads: threads)
        r.fillInputRandomly(seed: UInt64(i))
        runners.append(r)
    }
    let (refNet, refLayers) = try Profiler.referenceNetwork(space: space, seed: table.engine.measurement.seed)
    let ref = try table.runner(for: refNet, layers: refLayers, threads: threads)
    ref.fillInputRandomly(seed: 1)
    for r in runners { for _ in 0..<3 { r.run() } }
    let configs: [(group: Int, untimed: Int)] = [(1, 1), (10, 0), (10, 1), (10, 2), (10, 3), (3, 1)]
    var t = Array(repeating: Array(repeating: [Double](), count: runners.count), count: configs.count)
    var iso = Array(repeating: [Double](), count: runners.count)
    for _ in 0..<reps {
        for (c, config) in configs.enumerated() {
            for start in stride(from: 0, to: runners.count, by: config.group) {
                let members = Array(start..<min(start + config.group, runners.count))
                for _ in 0..<4 { for n in members { for _ in 0..<config.untimed { runners[n].run() }; for _ in 0..<3 { t[c][n].append(timedPass(runners[n])) }; _ = timedPass(ref) } }
            }
        }
        for (n, r) in runners.enumerated() { r.run(); iso[n] += (0..<12).map { _ in timedPass(r) } }
    }
    for (c, config) in configs.enumerated() {
        let ratios = runners.indices.map { median(t[c][$0]) / median(iso[$0]) }
        print("group \(config.group) untimed \(config.untimed): median \(String(format: "%+.1f%%", 100 * (median(ratios) - 1))) per network", ratios.map { String(format: "%+.1f", 100 * ($0 - 1)) }.joined(separator: " "))
    }
case "comovement":
    // Does a table's reference network move with the networks it predicts when the host changes
    // speed? Cycles through both tables' references and N seeded random architectures on both
    // backends until S seconds have passed; every runner's time per cycle is printed.
    let count = option("--networks", 6)
    let seconds = option("--seconds", 600)
    guard args.count == 4 else { fail("usage: kernel-bench comovement NATIVE_TABLE XNNPACK_TABLE SPACE [--networks N] [--seconds S]") }
    let tables = [try LatencyTable.load(file: args[1]), try LatencyTable.load(file: args[2])]
    guard tables[0].engine.backend == InferenceBackend.nasctl.rawValue, tables[1].engine.backend == InferenceBackend.xnnpack.rawValue else {
        fail("comovement: the first table must be a nasctl table and the second an xnnpack one")
    }
    let space = try SearchSpace.load(file: args[3])
    var names: [String] = [], runners: [any NetworkRunner] = []
    for (t, table) in tables.enumerated() {
        let (net, layers) = try Profiler.referenceNetwork(space: space, seed: table.engine.measurement.seed)
        runners.append(try table.runner(for: net, layers: layers, threads: threads))
        names.append(t == 0 ? "ref_nasctl" : "ref_xnnpack")
    }
    var rng = SplitMix64(seed: 20261207)
    for i in 0..<count {
        let arch = Architecture.random(in: space, using: &rng)
        let layers = try NetworkBuilder.layers(for: arch, in: space)
        let network = try NetworkBuilder.network(for: arch, in: space, seed: 100 &+ UInt64(i))
        for (t, table) in tables.enumerated() {
            runners.append(try table.runner(for: network, layers: layers, threads: threads))
            names.append("net\(i)_\(t == 0 ? "nasctl" : "xnnpack")")
        }
    }
    for (i, r) in runners.enumerated() { r.fillInputRandomly(seed: UInt64(i)) }
    print((["cycle", "seconds"] + names).joined(separator: ","))
    let start = MonotonicClock.nanoseconds()
    var cycle = 0
    while Double(MonotonicClock.nanoseconds() - start) / 1e9 < Double(seconds) {
        var row = [String(cycle), String(format: "%.2f", Double(MonotonicClock.nanoseconds() - start) / 1e9)]
        for r in runners {
            r.run(); r.run()
            row.append(String(format: "%.4f", median((0..<3).map { _ in timedPass(r) })))
        }
        print(row.joined(separator: ","))
        fflush(nil)  // every open output stream: a line per cycle as it ends
        cycle += 1
    }
case "specs":
    let resolution = args.count > 1 ? Int(args[1]) ?? 224 : 224
    let width = args.count > 2 ? Double(args[2]) ?? 1.0 : 1.0
    do {
        let network = try MobileNetV2.network(resolution: resolution, width: width)
        print("# input \(network.inputShape) macs \(network.macs)")
        for spec in network.specs ?? [] { print(spec) }
    } catch { fail("\(error)") }
case "image-folder":
    guard args.count >= 2 else { fail("usage: kernel-bench image-folder DIR [COUNT] [SIDE]") }
    let dir = args[1], count = args.count > 2 ? Int(args[2]) ?? 10_000 : 10_000, side = args.count > 3 ? Int(args[3]) ?? 32 : 32
    if !ImageFolder.isImageFolder(dir) {
        var rng = SplitMix64(seed: 1)
        for i in 0..<count {
            let folder = "\(dir)/train/class\(i % 10)"
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Smooth random images (compress like photos, unlike noise): a colour per 4x4 tile.
            let tiles = (0..<((side / 4 + 1) * (side / 4 + 1) * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var samples = [UInt8](repeating: 0, count: side * side * 3)
            for y in 0..<side { for x in 0..<side { for c in 0..<3 { samples[(y * side + x) * 3 + c] = tiles[((y / 4) * (side / 4 + 1) + x / 4) * 3 + c] } } }
            guard let png = try? ImageFolder.encodePNG(samples, width: side, height: side, channels: 3) else { fail("cannot encode") }
            try? png.write(to: URL(fileURLWithPath: String(format: "%@/%05d.png", folder, i)))
        }
    }
    var seconds: [Double] = []
    var loaded = 0
    for _ in 0..<3 {
        let start = MonotonicClock.nanoseconds()
        do { loaded = try ImageDataset.load(.train, directory: dir).count } catch { fail("\(error)") }
        seconds.append(Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }
    print("{\"images\": \(loaded), \"side\": \(side), \"load_seconds_median\": \(seconds.sorted()[1]), \"load_seconds\": \(seconds), \"cores\": \(ProcessInfo.processInfo.activeProcessorCount)}")
default:
    fail("unknown mode '\(mode)' (layer, gemm, mbconv, switching, comovement, specs, image-folder)")
}
