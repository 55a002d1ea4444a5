import NASSpace

/// What evaluating one architecture gave: an accuracy (fraction in [0, 1]) and, when the
/// evaluator knows it, a latency; or the reason it failed.
public enum Evaluation: Sendable, Equatable {
    case success(accuracy: Double, latencyMs: Double?)
    case failure(String)
}

/// Supplies accuracy for architectures. Implementations must be safe to call from several
/// worker threads at once.
public protocol Evaluator: Sendable {
    /// Short description for the study record (`table:FILE`, `command:CMD`).
    var name: String { get }
    func evaluate(_ arch: Architecture, trial: Int) -> Evaluation
}
