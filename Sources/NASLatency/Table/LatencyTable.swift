import Foundation
import NASEngine
import NASSpace

/// Measured latency of every layer a search space can produce, on one device, with one engine
/// configuration: what `nasctl profile` writes and the predictor reads.
public struct LatencyTable: Codable, Sendable {
    public static let currentSchema = 1

    public struct Engine: Codable, Sendable, Equatable {
        /// What runs the networks (`InferenceBackend`: `nasctl` or `xnnpack`); tables written
        /// before backends existed are `nasctl`.
        public var backend: String
        public var threads: Int
        /// `release` or `debug` (a debug build's timings are meaningless).
        public var build: String
        /// GEMM backend (`native`, `openblas`, or `auto`: chosen per entry, see `Entry.gemm`;
        /// `xnnpack` in an XNNPACK table, whose operators bring their own) and OpenBLAS's kernel family.
        public var gemm: String
        public var blasCore: String
        /// The native backend's microkernel family (`KernelFamily`); tables written before
        /// families existed were measured with the 16-lane kernels, `avx512`.
        public var family: String
        /// How layers were timed in context.
        public var measurement: ProfileSettings

        public init(backend: String = InferenceBackend.nasctl.rawValue, threads: Int, build: String, gemm: String, blasCore: String,
                    family: String, measurement: ProfileSettings) {
            self.backend = backend; self.threads = threads; self.build = build; self.gemm = gemm; self.blasCore = blasCore
            self.family = family; self.measurement = measurement
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            backend = try c.decodeIfPresent(String.self, forKey: .backend) ?? InferenceBackend.nasctl.rawValue
            threads = try c.decode(Int.self, forKey: .threads)
            build = try c.decode(String.self, forKey: .build)
            gemm = try c.decode(String.self, forKey: .gemm)
            blasCore = try c.decode(String.self, forKey: .blasCore)
            family = try c.decodeIfPresent(String.self, forKey: .family) ?? KernelFamily.avx512.rawValue
            measurement = try c.decode(ProfileSettings.self, forKey: .measurement)
        }

        enum CodingKeys: String, CodingKey { case backend, threads, build, gemm, blasCore, family, measurement }
    }

    public struct Space: Codable, Sendable, Equatable {
        public var name: String
        public var digest: String
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var signature: String
        public var role: String
        /// Median time of this layer measured inside whole networks (over every context it
        /// was timed in), milliseconds.
        public var medianMs: Double
        /// Interquartile range across contexts over the median, in percent.
        public var spreadPct: Double
        /// Networks (contexts) the layer was timed in.
        public var contexts: Int
        /// The spread stayed above the target.
        public var noisy: Bool
        public var macs: Int
        /// Every context's time for this layer (milliseconds) and that context network's total
        /// multiply-adds, in the same order: the predictor fits the layer's time against the
        /// size of the network around it.
        public var samplesMs: [Double]
        public var contextMacs: [Int]
        /// The GEMM backend this layer runs on (`native` or `openblas`; tables with one backend
        /// for every layer leave it out): with `engine.gemm = auto` the profiler timed both in
        /// its first contexts and kept the faster.
        public var gemm: String?
        /// Median of the backend not chosen, in the same first contexts (milliseconds).
        public var alternativeMs: Double?
        /// Half-width of the median's approximate 95% interval over the contexts (percent).
        public var intervalPct: Double?
        /// Each sample's bracketing reference passes `[before, after]` (ms), in the order of
        /// `samplesMs`: the machine's speed when that context was timed, against `noise.level_ms`
        /// (tables before 2026-12-07: nil).
        public var contextReferenceMs: [[Double]]?

        public init(signature: String, role: String, medianMs: Double, spreadPct: Double, contexts: Int, noisy: Bool, macs: Int,
                    samplesMs: [Double], contextMacs: [Int], gemm: String? = nil, alternativeMs: Double? = nil,
                    intervalPct: Double? = nil, contextReferenceMs: [[Double]]? = nil) {
            self.signature = signature; self.role = role; self.medianMs = medianMs; self.spreadPct = spreadPct
            self.contexts = contexts; self.noisy = noisy; self.macs = macs; self.samplesMs = samplesMs
            self.contextMacs = contextMacs; self.gemm = gemm; self.alternativeMs = alternativeMs; self.intervalPct = intervalPct
            self.contextReferenceMs = contextReferenceMs
        }

        enum CodingKeys: String, CodingKey {
            case signature, role, medianMs = "median_ms", spreadPct = "spread_pct", contexts, noisy, macs,
                 samplesMs = "samples_ms", contextMacs = "context_macs", gemm, alternativeMs = "alternative_ms",
                 intervalPct = "interval_pct", contextReferenceMs = "context_reference_ms"
        }
    }

    /// What the profile saw of the machine's noise (tables from before it was measured: nil).
    public struct Noise: Codable, Sendable, Equatable {
        /// The reference network's median and coefficient of variation over the profile's checks
        /// (since 2026-12-06 each check is the median of the passes after `reference_every`
        /// networks; before, a warm median of 7 passes).
        public var referenceMedianMs: Double
        public var referenceCVPct: Double
        public var referenceChecks: Int
        /// Checks that found the reference drifted, and lasting shifts of its speed.
        public var driftedChecks: Int
        public var shifts: Int
        /// Networks whose timings were thrown away (the reference passes around them off the level).
        public var discardedNetworks: Int
        /// Extra networks timed for entries with a wide interval, and entries still wider
        /// than the target at the cap.
        public var retimedEntries: Int
        public var wideEntries: Int
        /// Networks timed while the reference had drifted but kept, the re-timing budget spent
        /// (their timings off the final level are still dropped where enough remain at it).
        public var keptDriftedNetworks: Int? = nil
        /// The machine was too noisy for a trustworthy table (`isTooNoisy`). Re-profile on a
        /// quieter machine. (Before 2026-12-07 also when more than a tenth of the entries
        /// stayed wide; before `levelMs` existed, any lasting shift of the reference's speed.)
        public var tooNoisy: Bool
        /// Where the profile's time went: networks built and timed, seconds spent building them
        /// (random weights, packing) and timing the reference; the rest is timing layers.
        public var networks: Int?
        public var buildSeconds: Double?
        public var referenceSeconds: Double?
        /// The reference network's time at the level the profile settled on (ms; the lower
        /// quartile of its single passes, one after every network, `LevelSettling`): the speed every kept
        /// timing was made at, within the drift tolerance. `validate` compares the machine's
        /// speed with this, timed the same way.
        public var levelMs: Double? = nil
        /// Timings dropped because they were made at another speed than the level, and the
        /// networks timed for entries left with too few; off-level timings kept once the budget
        /// was spent (since 2026-12-07 only by entries with no timing at the level).
        public var offLevelDropped: Int? = nil
        public var offLevelKept: Int? = nil
        public var resettledNetworks: Int? = nil
        /// Every reference check of the profile in order (ms): how the machine's speed moved.
        public var referenceChecksMs: [Double]? = nil
        /// Single reference passes timed, one after every network (their lower quartile is `levelMs`).
        public var referencePasses: Int? = nil
        /// How precisely the table predicts a whole network: the median over random
        /// architectures of the space of their predictions' 95% half-width (percent,
        /// `PredictionInterval`); nil when no entry has an interval.
        public var networkIntervalPct: Double? = nil
        /// Seconds spent making the networks' executors (packing weights, XNNPACK's operators).
        public var setupSeconds: Double? = nil

        /// Whether a profile was too noisy for a trustworthy table: timings made at another
        /// speed than the settled level had to be kept (`offLevelKept`, the budget spent), or
        /// whole networks are predicted less precisely than `targetPct` (their median 95%
        /// half-width). Without any entry interval (fewer than 3 contexts everywhere): more
        /// than a tenth of the entries wider than the target.
        ///
        /// Whole networks, not entries: on a shared host many entries stay wider than ±5%
        /// (single layers of 0.05 ms, entries thinned to their timings at the level) while
        /// their sums predict networks within 2-3% (Benchmarks/README.md, 2026-12-07).
        public static func isTooNoisy(networkIntervalPct: Double?, offLevelKept: Int, wideEntries: Int, entries: Int,
                                      targetPct: Double) -> Bool {
            if offLevelKept > 0 { return true }
            guard let network = networkIntervalPct else { return wideEntries * 10 > entries }
            return network > targetPct
        }

        /// The reference time validation compares the machine with: the settled level, or for
        /// tables from before it, the median of the checks.
        public var referenceLevelMs: Double { levelMs ?? referenceMedianMs }

        enum CodingKeys: String, CodingKey {
            case referenceMedianMs = "reference_median_ms", referenceCVPct = "reference_cv_pct", referenceChecks = "reference_checks",
                 driftedChecks = "drifted_checks", shifts, discardedNetworks = "discarded_networks", retimedEntries = "retimed_entries",
                 wideEntries = "wide_entries", keptDriftedNetworks = "kept_drifted_networks", tooNoisy = "too_noisy", networks, buildSeconds = "build_seconds",
                 referenceSeconds = "reference_seconds", levelMs = "level_ms", offLevelDropped = "off_level_dropped",
                 offLevelKept = "off_level_kept", resettledNetworks = "resettled_networks", referenceChecksMs = "reference_checks_ms",
                 referencePasses = "reference_passes", networkIntervalPct = "network_interval_pct", setupSeconds = "setup_seconds"
        }
    }

    public var schema: Int
    public var deviceID: String
    public var device: DeviceIdentity
    public var engine: Engine
    public var space: Space
    /// ISO 8601, UTC.
    public var createdAt: String
    public var seconds: Double
    public var entries: [Entry]
    public var noise: Noise? = nil

    enum CodingKeys: String, CodingKey {
        case schema, deviceID = "device_id", device, engine, space, createdAt = "created_at", seconds, entries, noise
    }

    /// Reads a table, with errors naming the file and what is wrong.
    public static func load(file path: String) throws -> LatencyTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LatencyError.tableNotFound(path)
        }
        return try parse(data, source: path)
    }

    /// Parses a table's JSON (`source` names it in errors).
    public static func parse(_ data: Data, source path: String) throws -> LatencyTable {
        let table: LatencyTable
        do {
            table = try JSONDecoder().decode(LatencyTable.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw LatencyError.badTable(path, "missing field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw LatencyError.badTable(path, "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw LatencyError.badTable(path, "not a latency table JSON (\(error))")
        }
        guard table.schema == currentSchema else {
            throw LatencyError.badTable(path, "schema \(table.schema) is not supported (this nasctl reads schema \(currentSchema)); re-run `nasctl profile`")
        }
        guard KernelFamily(rawValue: table.engine.family) != nil else {
            throw LatencyError.badTable(path, "field 'engine.family' is '\(table.engine.family)', not one of \(KernelFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let backend = InferenceBackend(rawValue: table.engine.backend) else {
            throw LatencyError.badTable(path, "field 'engine.backend' is '\(table.engine.backend)', not one of \(InferenceBackend.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard backend == .xnnpack || table.engine.gemm == "auto" || GEMMBackend(rawValue: table.engine.gemm) != nil else {
            throw LatencyError.badTable(path, "field 'engine.gemm' is '\(table.engine.gemm)', not one of auto, \(GEMMBackend.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (i, entry) in table.entries.enumerated() {
            if let gemm = entry.gemm, GEMMBackend(rawValue: gemm) == nil {
                throw LatencyError.badTable(path, "field 'entries.\(i).gemm' is '\(gemm)', not one of \(GEMMBackend.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        return table
    }

    /// What ran the networks the table was measured with.
    public var backend: InferenceBackend { InferenceBackend(rawValue: engine.backend) ?? .nasctl }

    /// The native backend's kernel family the table was measured with.
    public var family: KernelFamily { KernelFamily(rawValue: engine.family) ?? .avx512 }

    /// The backend of layers the table has no per-entry choice for.
    public var defaultBackend: GEMMBackend { GEMMBackend(rawValue: engine.gemm) ?? .native }

    /// The engine configuration the table describes, at its thread count.
    public var executionContext: ExecutionContext {
        ExecutionContext(threads: engine.threads, gemm: defaultBackend, family: family)
    }

    /// One GEMM backend per layer, as the table measured it: the entry's choice for a layer
    /// with one, else `defaultBackend`. Pass to `NetworkExecutor(layerBackends:)` so a measured
    /// network runs as the table describes it.
    /// - Complexity: O(entries + layers).
    public func backends(for layers: [BuiltLayer]) -> [GEMMBackend] {
        var chosen: [String: GEMMBackend] = [:]
        for entry in entries { if let gemm = entry.gemm.flatMap(GEMMBackend.init(rawValue:)) { chosen[entry.signature] = gemm } }
        return layers.map { chosen[$0.signature] ?? defaultBackend }
    }

    /// Writes the table as pretty JSON, atomically (a crash never leaves half a table).
    public func write(file path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// Differences that make this table unfit for `device`, `space`, `threads` and (when
    /// given) `backend`; empty if fit.
    public func mismatches(device: DeviceIdentity, space: SearchSpace, threads: Int, backend: InferenceBackend? = nil) -> [String] {
        var problems: [String] = []
        if let backend, backend != self.backend {
            problems.append("backend: table was measured on \(self.backend.rawValue), this run uses \(backend.rawValue)")
        }
        if deviceID != device.id {
            problems.append("device: table was measured on \(deviceID) (\(self.device.packageName)), this is \(device.id) (\(device.packageName))")
        }
        if self.space.name != space.name {
            problems.append("space: table is for '\(self.space.name)', the space in use is '\(space.name)'")
        } else if self.space.digest != space.digest {
            problems.append("space digest: table has \(self.space.digest), '\(space.name)' now has \(space.digest) (the space file changed)")
        }
        if engine.threads != threads {
            problems.append("threads: table was measured at \(engine.threads), this run uses \(threads)")
        }
        return problems
    }
}
