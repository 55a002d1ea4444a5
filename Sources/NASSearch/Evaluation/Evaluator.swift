import NASSpace

/// Supplies accuracy for architectures. Implementations must be safe to call from several
/// worker threads at once.
public protocol Evaluator: Sendable {
    /// Short description for the study record (`table:FILE`, `command:CMD`).
    var name: String { get }
    /// Evaluates `request.arch` at `request.fidelity` (nil: the evaluator's full budget). An
    /// evaluator with one fidelity answers any other with `Evaluation.unsupported`.
    func evaluate(_ request: EvaluationRequest) -> Evaluation
    /// What this evaluator's result depends on, when two architectures can be the same
    /// network (a skip no layer can take, squeeze-excite on a plain convolution): equal texts
    /// mean equal networks, so the search reuses a result instead of training the network
    /// again. nil (the default): the decisions as written are the identity (a command
    /// evaluator may read any decision).
    func networkIdentity(of arch: Architecture) -> String?
}

extension Evaluator {
    public func networkIdentity(of arch: Architecture) -> String? { nil }

    /// Evaluates at the evaluator's full budget.
    public func evaluate(_ arch: Architecture, trial: Int) -> Evaluation {
        evaluate(EvaluationRequest(arch: arch, trial: trial))
    }
}
