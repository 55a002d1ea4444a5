/// Whether higher or lower values of a metric are better.
public enum Direction: String, Codable, Sendable {
    case maximize, minimize

    /// True when `a` is strictly better than `b`.
    public func prefers(_ a: Double, over b: Double) -> Bool { self == .maximize ? a > b : a < b }
}

/// A named metric and its direction: what a study optimises.
public struct Objective: Hashable, Codable, Sendable, CustomStringConvertible {
    public var name: String
    public var direction: Direction
    public init(name: String, direction: Direction) { self.name = name; self.direction = direction }

    /// Validation accuracy, a fraction in [0, 1] (what every evaluator reports today).
    public static let accuracy = Objective(name: "accuracy", direction: .maximize)
    /// Latency of the deployment network in milliseconds.
    public static let latency = Objective(name: "latency_ms", direction: .minimize)

    public var description: String { "\(name) (\(direction.rawValue))" }
}

/// One objective's value for a trial.
public struct ObjectiveValue: Hashable, Sendable {
    public var objective: Objective
    public var value: Double
    public init(_ objective: Objective, _ value: Double) { self.objective = objective; self.value = value }
}
