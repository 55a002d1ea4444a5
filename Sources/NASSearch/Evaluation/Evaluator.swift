import NASSpace

/// Supplies accuracy for architectures. Implementations must be safe to call from several
/// worker threads at once.
public protocol Evaluator: Sendable {
    /// Short description for the study record (`table:FILE`, `command:CMD`).
    var name: String { get }
    /// Evaluates `request.arch` at `request.fidelity` (nil: the evaluator's full budget). An
    /// evaluator with one fidelity answers any other with `Evaluation.unsupported`.
    func evaluate(_ request: EvaluationRequest) -> Evaluation
}

extension Evaluator {
    /// Evaluates at the evaluator's full budget.
    public func evaluate(_ arch: Architecture, trial: Int) -> Evaluation {
        evaluate(EvaluationRequest(arch: arch, trial: trial))
    }
}
