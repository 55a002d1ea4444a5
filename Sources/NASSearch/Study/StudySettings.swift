import Foundation

/// What a study was started with; a resume with different values is refused.
///
/// Stored as JSON in the study; fields added after wave 1 decode with their defaults, so an old
/// study opens with the settings it was started with.
public struct StudySettings: Codable, Sendable, Equatable {
    public var space: String
    public var spaceDigest: String
    /// Where the space was read from (not compared on resume: only the digest is).
    public var spaceFile: String
    public var table: String?
    /// The latency table's content digest (nil: no table, or a study from before digests).
    public var tableDigest: String?
    public var evaluator: String
    public var strategy: String
    /// The scheduler's name (`none`: every proposal evaluated once at full fidelity).
    public var scheduler: String
    public var reward: Reward
    public var population: Int
    public var sample: Int
    public var budget: Int
    public var seed: UInt64
    /// What the study optimises (accuracy, maximised, for studies from before objectives).
    public var objective: Objective = .accuracy
    /// Further objectives from the evaluator (`--objective` given more than once), traded
    /// against the first by NSGA-II and in the Pareto front; none for most studies.
    public var secondaryObjectives: [Objective] = []
    /// `--grid-points`: values per numeric range on a grid (nil: not a grid search).
    public var gridPoints: Int?

    public init(space: String, spaceDigest: String, spaceFile: String, table: String?, tableDigest: String? = nil, evaluator: String, strategy: String,
                scheduler: String = FlatScheduler.schedulerName, reward: Reward, population: Int, sample: Int, budget: Int, seed: UInt64) {
        self.space = space; self.spaceDigest = spaceDigest; self.spaceFile = spaceFile; self.table = table; self.tableDigest = tableDigest
        self.evaluator = evaluator
        self.strategy = strategy; self.scheduler = scheduler; self.reward = reward; self.population = population; self.sample = sample
        self.budget = budget; self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case space, spaceDigest, spaceFile, table, tableDigest, evaluator, strategy, scheduler, reward, population, sample, budget, seed,
             objective, gridPoints, secondaryObjectives
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        space = try c.decode(String.self, forKey: .space)
        spaceDigest = try c.decode(String.self, forKey: .spaceDigest)
        spaceFile = try c.decode(String.self, forKey: .spaceFile)
        table = try c.decodeIfPresent(String.self, forKey: .table)
        tableDigest = try c.decodeIfPresent(String.self, forKey: .tableDigest)
        evaluator = try c.decode(String.self, forKey: .evaluator)
        strategy = try c.decode(String.self, forKey: .strategy)
        scheduler = try c.decodeIfPresent(String.self, forKey: .scheduler) ?? FlatScheduler.schedulerName
        reward = try c.decode(Reward.self, forKey: .reward)
        population = try c.decode(Int.self, forKey: .population)
        sample = try c.decode(Int.self, forKey: .sample)
        budget = try c.decode(Int.self, forKey: .budget)
        seed = try c.decode(UInt64.self, forKey: .seed)
        objective = try c.decodeIfPresent(Objective.self, forKey: .objective) ?? .accuracy
        gridPoints = try c.decodeIfPresent(Int.self, forKey: .gridPoints)
        secondaryObjectives = try c.decodeIfPresent([Objective].self, forKey: .secondaryObjectives) ?? []
    }

    /// Every objective: the first, then the secondary ones.
    public var objectives: [Objective] { [objective] + secondaryObjectives }

    func differences(from other: StudySettings) -> [String] {
        var d: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { d.append("\(name): study has \(a), now \(b)") } }
        check("space", space, other.space)
        check("space digest", spaceDigest, other.spaceDigest)
        check("table", table ?? "none", other.table ?? "none")
        // A study from before table digests recorded none: nothing to compare.
        if tableDigest != nil { check("table digest (its content)", tableDigest ?? "none", other.tableDigest ?? "none") }
        check("evaluator", evaluator, other.evaluator)
        check("strategy", strategy, other.strategy)
        check("scheduler", scheduler, other.scheduler)
        check("target ms", reward.targetMs, other.reward.targetMs)
        check("alpha", reward.alpha, other.reward.alpha)
        check("beta", reward.beta, other.reward.beta)
        check("population", population, other.population)
        check("sample", sample, other.sample)
        check("cycles", budget, other.budget)
        check("seed", seed, other.seed)
        check("objective", objective.description, other.objective.description)
        check("further objectives", secondaryObjectives.map(\.description).joined(separator: ", "),
              other.secondaryObjectives.map(\.description).joined(separator: ", "))
        check("grid points", gridPoints.map(String.init) ?? "none", other.gridPoints.map(String.init) ?? "none")
        return d
    }
}
