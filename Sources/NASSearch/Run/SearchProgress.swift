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
}
