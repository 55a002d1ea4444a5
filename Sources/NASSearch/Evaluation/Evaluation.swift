import NASSpace

/// How much training an evaluation got, in the evaluator's own unit: proxy epochs for the
/// proxy, an opaque budget for a user's command. Higher is more faithful (and costlier).
public struct Fidelity: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }
    public static func < (a: Fidelity, b: Fidelity) -> Bool { a.value < b.value }
    public var description: String { value.shortText }

    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

/// Why an evaluation failed, which says what a retry would do.
public enum FailureKind: String, Codable, Sendable, CaseIterable {
    /// The architecture itself fails (bad output, a crash of the training program, no table
    /// row): evaluating it again fails again, so the failure is cached like a result.
    case deterministic
    /// The environment failed (files could not be created, the program could not start): the
    /// same architecture may succeed later.
    case transient
    /// Stopped from outside (Ctrl-C, a shutdown) before it finished: no verdict on the
    /// architecture.
    case interrupted
}

/// A failed evaluation: its kind and a message for the user.
public struct EvaluationFailure: Sendable, Equatable, Error, CustomStringConvertible {
    public var kind: FailureKind
    public var message: String
    public init(_ message: String, kind: FailureKind = .deterministic) { self.message = message; self.kind = kind }
    public var description: String { message }
}

/// What evaluating one architecture gave: named metrics (`accuracy`, a fraction in [0, 1],
/// today), the latency when the evaluator knows it, and the fidelity it was evaluated at; or a
/// failure.
public struct Evaluation: Sendable, Equatable {
    /// Metric name → value; the direction of each is its `Objective`'s.
    public var metrics: [String: Double]
    /// Latency in milliseconds when the evaluator measures it (a table's `latency_ms`).
    public var latencyMs: Double?
    /// The fidelity actually evaluated at (nil: the evaluator's one and only fidelity).
    public var fidelity: Fidelity?
    public var failure: EvaluationFailure?
    /// The evaluator ended early because `EvaluationRequest.intermediate` said stop: the result
    /// is the intermediate one it was stopped at.
    public var stoppedByScheduler = false

    public init(metrics: [String: Double], latencyMs: Double? = nil, fidelity: Fidelity? = nil, failure: EvaluationFailure? = nil) {
        self.metrics = metrics; self.latencyMs = latencyMs; self.fidelity = fidelity; self.failure = failure
    }

    public static func success(accuracy: Double, latencyMs: Double?, fidelity: Fidelity? = nil) -> Evaluation {
        Evaluation(metrics: [Objective.accuracy.name: accuracy], latencyMs: latencyMs, fidelity: fidelity)
    }

    public static func failure(_ message: String, kind: FailureKind = .deterministic) -> Evaluation {
        Evaluation(metrics: [:], failure: EvaluationFailure(message, kind: kind))
    }

    /// The failure an evaluator with one fidelity gives when a scheduler asks for another.
    public static func unsupported(_ fidelity: Fidelity, by evaluator: String) -> Evaluation {
        .failure("\(evaluator) evaluates at one fidelity only; it cannot train to fidelity \(fidelity) (use a scheduler of 'none')")
    }

    /// Stopped from outside before it finished: no verdict (the trial is re-run on resume).
    public static let interrupted = Evaluation.failure("interrupted", kind: .interrupted)

    public var accuracy: Double? { metrics[Objective.accuracy.name] }
    public var succeeded: Bool { failure == nil }
}

/// What the worker loop asks an evaluator for: an architecture, its trial number (for file
/// names and seeds) and the fidelity to reach (nil: the evaluator's full budget). An evaluator
/// polls `shouldStop` while it works (Ctrl-C) and then returns `Evaluation.interrupted`.
///
/// `checkpointDirectory` is the trial's own folder, kept across its rungs (and across a
/// resume) until the trial ends for good: an evaluator that saves its state there after
/// reaching a fidelity continues from it when asked for a higher one. It may not exist yet.
public struct EvaluationRequest: Sendable {
    public var arch: Architecture
    public var trial: Int
    public var fidelity: Fidelity?
    public var shouldStop: @Sendable () -> Bool
    public var checkpointDirectory: String?
    /// Where an evaluator that learns intermediate results while it works (a command printing
    /// one JSON line per epoch) hands each one: its fidelity and metrics. Returns false when the
    /// scheduler stops the trial there: the evaluator then ends the work and returns that
    /// result (`Evaluation.stoppedByScheduler`).
    public var intermediate: @Sendable (Fidelity, [String: Double]) -> Bool
    public init(arch: Architecture, trial: Int, fidelity: Fidelity? = nil, shouldStop: @escaping @Sendable () -> Bool = { false },
                checkpointDirectory: String? = nil, intermediate: @escaping @Sendable (Fidelity, [String: Double]) -> Bool = { _, _ in true }) {
        self.arch = arch; self.trial = trial; self.fidelity = fidelity; self.shouldStop = shouldStop
        self.checkpointDirectory = checkpointDirectory
        self.intermediate = intermediate
    }
}
