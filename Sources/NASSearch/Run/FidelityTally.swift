/// The fidelity trained so far: per trial the highest rung result recorded, summed over trials,
/// so a continued trial adds only what its new rung adds (a trial at 1, 3 and 9 epochs counts 9).
/// What the progress line counts against `Scheduler.plannedFidelity`. O(1) per result.
struct FidelityTally: Sendable {
    private var reached: [Int: Double] = [:]
    /// Sum over trials of the highest fidelity recorded (evaluator units: epochs for the proxy).
    private(set) var total = 0.0

    /// Counts `trial`'s result at `fidelity`; a result at or below one counted already adds nothing.
    mutating func add(trial: Int, fidelity: Double) {
        let before = reached[trial] ?? 0
        guard fidelity.isFinite, fidelity > before else { return }
        reached[trial] = fidelity
        total += fidelity - before
    }
}
