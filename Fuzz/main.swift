// nasctl-fuzz: a seeded mutation fuzzer for the readers of user files (a libFuzzer build of
// Swift packages is not set up here). Each reader gets inputs mutated from its seed corpus
// (Fuzz/corpus/READER/*) for a fixed time; any error it throws is fine, a crash (a trap, a
// signal) is a finding. Before each input runs it is written to CRASHDIR/READER.current, so a
// crash leaves the input that caused it; fix the reader and add that input as a regression test.
//
//   swift run -c release nasctl-fuzz READER|all [--seconds 10] [--seed 1] [--corpus Fuzz/corpus] [--crash-dir .fuzz]
//   swift run -c release nasctl-fuzz all --write-corpus     (re-creates the committed seed corpus)
//
// Readers: yaml (search space), arch (architecture JSON), latency-table (table JSON),
// csv (accuracy table), idx (IDX data file), weights-index (trained weights index).
import Foundation
import NASEngine
import NASLatency
import NASSearch
import NASSpace
import NASTraining

struct Options {
    var readers: [String] = []
    var seconds = 10.0
    var seed: UInt64 = 1
    var corpus = "Fuzz/corpus"
    var crashDirectory = ".fuzz"
    /// Write the built-in seeds into the corpus folder and stop.
    var writeCorpus = false
}

func parseOptions() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func value() -> String {
        guard !args.isEmpty else { fail("missing value after an option") }
        return args.removeFirst()
    }
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--seconds": o.seconds = Double(value()) ?? { fail("--seconds needs a number") }()
        case "--seed": o.seed = UInt64(value()) ?? { fail("--seed needs an integer") }()
        case "--corpus": o.corpus = value()
        case "--crash-dir": o.crashDirectory = value()
        case "--write-corpus": o.writeCorpus = true
        case "all": o.readers = Reader.all.map(\.name)
        default:
            guard Reader.all.contains(where: { $0.name == a }) else { fail("unknown reader '\(a)'; known: \(Reader.all.map(\.name).joined(separator: ", ")), all") }
            o.readers.append(a)
        }
    }
    if o.readers.isEmpty { fail("name a reader (\(Reader.all.map(\.name).joined(separator: ", "))) or all") }
    return o
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("nasctl-fuzz: \(message)\n".utf8))
    exit(2)
}

/// One reader under test: takes bytes, may throw, must not crash.
struct Reader {
    var name: String
    var run: (Data) throws -> Void

    static let defaultSpace: SearchSpace = {
        do { return try SearchSpace.load(file: "Configs/mnasnet.yaml") } catch { fail("run from the checkout: \(error)") }
    }()
    static let categorical: SearchSpace = try! SearchSpace.parse(yaml: "name: fuzz\nkind: categorical\ndecisions: {a: [x, y, '3'], b: ['0.25', '0.5']}")
    static let micro: SearchSpace = try! SearchSpace.parse(yaml: """
        name: micro
        kind: network
        input: {resolution: 16, channels: 3}
        classes: 4
        stem: {filters: 8, kernel: 3, stride: 2}
        head: {filters: 16}
        choices: {op: [sepconv, mbconv3], kernel: [3], se: [0], skip: [identity, none], width: [1.0, 2.0], layers: [0, 1]}
        blocks:
          - {filters: 8, layers: 1, stride: 1}
        """)
    /// A small network whose weights files the weights-index reader loads into.
    nonisolated(unsafe) static let network = TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: [
        LayerSpec(op: .conv, inChannels: 1, outChannels: 4, kernel: 3, stride: 1, activation: .relu6),
        LayerSpec(op: .gap, inChannels: 4, outChannels: 4), LayerSpec(op: .fc, inChannels: 4, outChannels: 3)], seed: 1)
    static let weightsPath = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-fuzz-weights-\(getpid())").path
    static let weightsData: Data = {
        try! TrainedModel.write(network, to: weightsPath)
        return FileManager.default.contents(atPath: weightsPath)!
    }()

    nonisolated(unsafe) static let all: [Reader] = [
        Reader(name: "yaml") { data in _ = try SearchSpace.parse(yaml: String(decoding: data, as: UTF8.self), source: "fuzz.yaml") },
        Reader(name: "arch") { data in
            let arch = try Architecture.parse(json: data, space: defaultSpace, source: "fuzz.json")
            _ = NetworkBuilder.cost(of: try NetworkBuilder.layers(for: arch, in: defaultSpace))
        },
        Reader(name: "latency-table") { data in
            let table = try LatencyTable.parse(data, source: "fuzz-table.json")
            let predictor = LatencyPredictor(table: table, path: "fuzz-table.json")
            var rng = SplitMix64(seed: 1)
            _ = try? predictor.predictMs(NetworkBuilder.layers(for: .random(in: micro, using: &rng), in: micro))
        },
        Reader(name: "csv") { data in
            let table = try TableEvaluator(csv: String(decoding: data, as: UTF8.self), space: categorical, source: "fuzz.csv")
            var rng = SplitMix64(seed: 1)
            _ = table.evaluate(.random(in: categorical, using: &rng), trial: 0)
        },
        Reader(name: "idx") { data in _ = try IDXFile.parse(data, source: "fuzz.idx") },
        Reader(name: "png") { data in _ = try ImageFolder.check(data, file: "fuzz.png") },
        Reader(name: "jpeg") { data in _ = try ImageFolder.check(data, file: "fuzz.jpg") },
        Reader(name: "weights-index") { data in
            let index = try TrainedModel.index(json: data, source: "fuzz.weights.json")
            try TrainedModel.read(into: network, index: index, data: weightsData, path: weightsPath)
        },
    ]
}

/// Seeds written when a reader's corpus folder is empty or missing (so a checkout without the
/// corpus still fuzzes): the committed corpus is made by `--write-corpus`.
func builtInSeeds(_ reader: String) -> [Data] {
    switch reader {
    case "yaml":
        return ["Configs/mnasnet.yaml", "Configs/nasbench201.yaml"].compactMap { FileManager.default.contents(atPath: $0) }
    case "arch":
        return ["Configs/baselines/mobilenetv2.json"].compactMap { FileManager.default.contents(atPath: $0) }
    case "latency-table":
        // The committed table of a real device, cut down to the micro space's layers.
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: "LatencyTables")) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        guard let file = files.first, let data = FileManager.default.contents(atPath: "LatencyTables/" + file),
              var table = try? LatencyTable.parse(data, source: file), !table.entries.isEmpty else { return [] }
        let layers = try! NetworkBuilder.allLayers(in: Reader.micro)
        table.space.name = Reader.micro.name
        table.space.digest = Reader.micro.digest
        table.entries = layers.enumerated().map { i, layer in
            var entry = table.entries[i % table.entries.count]
            entry.signature = layer.signature
            entry.role = layer.role
            return entry
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return [try! encoder.encode(table)]
    case "csv":
        return [Data("a,b,accuracy,latency_ms\nx,0.25,0.5,1.5\ny,0.5,0.75,2\n3,0.25,0.1,9\n".utf8), Data("b,a,accuracy\n0.5,x,0.3\n".utf8)]
    case "idx":
        var images = Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3])
        images.append(contentsOf: (0..<18).map { UInt8($0 * 13) })
        return [images, Data([0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 2, 1])]
    case "png":
        // An 8x6 RGB and a 5x5 gray image, written by libpng.
        let rgb = (0..<(8 * 6 * 3)).map { UInt8(($0 * 37) % 256) }, gray = (0..<25).map { UInt8($0 * 10) }
        return [try! ImageFolder.encodePNG(rgb, width: 8, height: 6, channels: 3), try! ImageFolder.encodePNG(gray, width: 5, height: 5, channels: 1)]
    case "jpeg":
        let rgb = (0..<(16 * 8 * 3)).map { UInt8(($0 * 53) % 256) }, gray = (0..<64).map { UInt8($0 * 4) }
        return [try! ImageFolder.encodeJPEG(rgb, width: 16, height: 8, channels: 3), try! ImageFolder.encodeJPEG(gray, width: 8, height: 8, channels: 1)]
    case "weights-index":
        _ = Reader.weightsData  // writes the files
        return [FileManager.default.contents(atPath: Reader.weightsPath + ".json")].compactMap { $0 }
    default:
        return []
    }
}

/// Byte-level and token-level mutations, seeded.
struct Mutator {
    var rng: SplitMix64
    static let interestingBytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 0x2d, 0x2e, 0x30, 0x39, 0x65, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x0a, 0x3a]
    static let interestingTokens = ["-1", "0", "99999999999999999999", "9223372036854775807", "-9223372036854775808", "1e308", "nan", ".inf",
                                    "-0", "4294967295", "65536", "\"\"", "null", "true", "[]", "{}"]

    mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }

    mutating func mutate(_ input: Data, corpus: [Data]) -> Data {
        var bytes = [UInt8](input)
        for _ in 0...int(4) {
            switch int(8) {
            case 0 where !bytes.isEmpty: bytes[int(bytes.count)] ^= UInt8(1 << int(8))
            case 1 where !bytes.isEmpty: bytes[int(bytes.count)] = Self.interestingBytes[int(Self.interestingBytes.count)]
            case 2: bytes.insert(contentsOf: (0..<(1 + int(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: int(bytes.count + 1))
            case 3 where !bytes.isEmpty:
                let start = int(bytes.count), length = 1 + int(min(32, bytes.count - start))
                bytes.removeSubrange(start..<min(bytes.count, start + length))
            case 4 where !bytes.isEmpty: bytes.removeSubrange(int(bytes.count)...)
            case 5 where !bytes.isEmpty:
                let start = int(bytes.count), length = 1 + int(min(64, bytes.count - start))
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + length)], at: int(bytes.count + 1))
            case 6 where !corpus.isEmpty:
                let other = [UInt8](corpus[int(corpus.count)])
                if !other.isEmpty { let cut = int(other.count); bytes = Array(bytes.prefix(int(bytes.count + 1))) + other[cut...] }
            default:
                // Replace a run of digits with an extreme number or a JSON/YAML token.
                let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
                guard !digits.isEmpty else { continue }
                var start = digits[int(digits.count)], end = start
                while start > 0 && (0x30...0x39).contains(bytes[start - 1]) { start -= 1 }
                while end < bytes.count && (0x30...0x39).contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(start..<end, with: Array(Self.interestingTokens[int(Self.interestingTokens.count)].utf8))
            }
        }
        return Data(bytes)
    }
}

/// One line on standard output, unbuffered (a crash must not lose the lines before it).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let options = parseOptions()
if options.writeCorpus {
    for name in options.readers {
        let folder = (options.corpus as NSString).appendingPathComponent(name)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (i, seed) in builtInSeeds(name).enumerated() {
            _ = FileManager.default.createFile(atPath: (folder as NSString).appendingPathComponent("seed-\(i + 1)"), contents: seed)
        }
    }
    say("wrote the seeds of \(options.readers.joined(separator: ", ")) into \(options.corpus)")
    exit(0)
}
try? FileManager.default.createDirectory(atPath: options.crashDirectory, withIntermediateDirectories: true)
var total = 0
for name in options.readers {
    let reader = Reader.all.first { $0.name == name }!
    let folder = (options.corpus as NSString).appendingPathComponent(name)
    var corpus = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        .compactMap { FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent($0)) }
    if corpus.isEmpty { corpus = builtInSeeds(name) }
    guard !corpus.isEmpty else { fail("no seeds for \(name) in \(folder)") }
    let current = (options.crashDirectory as NSString).appendingPathComponent("\(name).current")
    let fd = open(current, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write \(current)") }
    var mutator = Mutator(rng: SplitMix64(seed: options.seed &+ Digest.fnv1a64(name)))
    let start = Date()
    var runs = 0, errors = 0
    while Date().timeIntervalSince(start) < options.seconds {
        let input = runs < corpus.count ? corpus[runs] : mutator.mutate(corpus[mutator.int(corpus.count)], corpus: corpus)
        input.withUnsafeBytes { raw in
            _ = ftruncate(fd, 0)
            _ = pwrite(fd, raw.baseAddress, raw.count, 0)
        }
        do { try reader.run(input) } catch { errors += 1 }
        runs += 1
    }
    close(fd)
    unlink(current)
    total += runs
    say("\(name): \(runs) inputs in \(String(format: "%.0f", options.seconds)) s, \(errors) refused with an error, 0 crashes")
}
say("\(options.readers.count) reader(s), \(total) inputs, 0 crashes")
