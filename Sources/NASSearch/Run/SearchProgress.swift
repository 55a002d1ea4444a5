/// A search's progress, reported after each trial ends.
public struct SearchProgress: Sendable {
    /// Trials so far (evaluated and cached): what the budget counts.
    public var trials: Int
    public var evaluated: Int
    public var failed: Int
    public var budget: Int
    public var bestReward: Double?
    public var elapsedSeconds: Double
    public var etaSeconds: Double?
    /// Scheduled searches: the fidelity trained so far (per trial its highest rung, summed) and
    /// the scheduler's plan for the whole budget (`Scheduler.plannedFidelity`, raised to the
    /// trained amount if a scheduler outruns its estimate); nil for a flat search.
    public var fidelityTrained: Double? = nil
    public var fidelityPlanned: Double? = nil
}
