import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

@Suite struct NSGA2Tests {
    /// Fronts and crowding by hand: (accuracy ↑, latency ↓).
    @Test func frontsAndCrowdingByHand() {
        let points: [[Double]] = [[0.9, 5], [0.8, 3], [0.7, 1], [0.85, 6], [0.6, 2], [0.9, 5]]
        let fronts = ParetoRanking.fronts(points, directions: [.maximize, .minimize])
        // 0 and 5 tie (neither dominates), 1 and 2 trade off with them; 3 is dominated by 0,
        // 4 by 2.
        #expect(fronts == [[0, 1, 2, 5], [3, 4]])
        #expect(ParetoRanking.dominates([0.9, 5], [0.85, 6], directions: [.maximize, .minimize]))
        #expect(!ParetoRanking.dominates([0.9, 5], [0.9, 5], directions: [.maximize, .minimize]))
        // Crowding of front [a, b, c] on a line: extremes infinite, the middle the normalised gap
        // (2/2 in the first objective + 2/2 in the second = 2).
        let line: [[Double]] = [[0, 4], [1, 2], [2, 0]]
        let crowding = ParetoRanking.crowding([0, 1, 2], points: line)
        #expect(crowding[0] == .infinity && crowding[2] == .infinity && abs(crowding[1] - 2) < 1e-12)
        #expect(ParetoRanking.fronts(points, directions: [.maximize, .minimize], limit: 3).count == 1)
    }

    /// Ranks and crowding on seeded random point sets (2 and 3 objectives, mixed directions,
    /// integer values so that ties and duplicates occur), against a brute force written here:
    /// a point's rank is the number of times it survives peeling off the non-dominated points.
    @Test func ranksAndCrowdingMatchABruteForce() {
        var rng = SplitMix64(seed: 2024)
        for trial in 0..<60 {
            let m = trial % 2 == 0 ? 2 : 3, n = 5 + trial % 25
            let directions: [Direction] = (0..<m).map { _ in rng.next() & 1 == 0 ? .maximize : .minimize }
            let points = (0..<n).map { _ in (0..<m).map { _ in Double(rng.next() % 7) } }
            func better(_ a: [Double], _ b: [Double]) -> Bool {  // a dominates b, spelled out
                var strictly = false
                for k in 0..<m {
                    let (x, y) = directions[k] == .maximize ? (a[k], b[k]) : (-a[k], -b[k])
                    if x < y { return false }
                    if x > y { strictly = true }
                }
                return strictly
            }
            var rank = Array(repeating: -1, count: n)
            var left = Set(0..<n), level = 0
            while !left.isEmpty {
                let front = left.filter { i in !left.contains { j in better(points[j], points[i]) } }
                for i in front { rank[i] = level }
                left.subtract(front)
                level += 1
            }
            let fronts = ParetoRanking.fronts(points, directions: directions)
            var got = Array(repeating: -1, count: n)
            for (r, front) in fronts.enumerated() { for i in front { got[i] = r } }
            #expect(got == rank, "trial \(trial): ranks \(got), brute force \(rank)")
            // Crowding on distinct values (ties would make the extremes a matter of sort order).
            var distinct: [[Double]] = []
            for i in 0..<n {
                var row: [Double] = []
                for k in 0..<m {
                    let jitter = Double(rng.next() % 1000) / 1e6
                    row.append(Double((i * 41 + k * 17) % 101) + jitter)
                }
                distinct.append(row)
            }
            let front = Array(0..<n)
            let crowding = ParetoRanking.crowding(front, points: distinct)
            for i in 0..<n where n > 2 {
                var expected = 0.0
                for k in 0..<m {
                    let values = distinct.map { $0[k] }
                    let lo = values.min()!, hi = values.max()!
                    let v = distinct[i][k]
                    if v == lo || v == hi { expected = .infinity; break }
                    let below = values.filter { $0 < v }.max()!, above = values.filter { $0 > v }.min()!
                    expected += (above - below) / (hi - lo)
                }
                let agrees = crowding[i] == expected || abs(crowding[i] - expected) < 1e-9
                #expect(agrees, "trial \(trial) point \(i): \(crowding[i]) against \(expected)")
            }
        }
    }

    /// A bi-objective problem over 8 decisions of 5 choices: each choice adds a random amount of
    /// accuracy and a correlated amount of latency. Over 20 seeds of 150 trials, NSGA-II's
    /// front covers more (2-D hypervolume) than random search's.
    @Test func coversMoreOfTheFrontThanRandomSearch() throws {
        let values = (0..<5).map(String.init).joined(separator: ", ")
        let names = (0..<8).map { "d\($0): [\(values)]" }.joined(separator: ", ")
        let space = try SearchSpace.parse(yaml: "name: trade\nkind: categorical\ndecisions: {\(names)}")
        var table = SplitMix64(seed: 99)
        let gain = (0..<8).map { _ in (0..<5).map { _ in Double(abs(table.uniform(1))) } }
        let cost = gain.map { row in row.map { $0 * 4 + Double(abs(table.uniform(1))) } }
        func objectives(_ arch: Architecture) -> (Double, Double) {
            let v = arch.values.map { Int($0)! }
            return ((0..<8).map { gain[$0][v[$0]] }.reduce(0, +) / 8, (0..<8).map { cost[$0][v[$0]] }.reduce(0, +))
        }
        func hypervolume(_ history: [Member]) -> Double {
            // Reference point (accuracy 0, latency 40): integrate, over latency, the best accuracy
            // reachable within it.
            let front = history.map { ($0.objectives[0].value, $0.objectives[1].value) }.sorted { $0.1 < $1.1 }
            var area = 0.0
            let latencies = front.map(\.1).filter { $0 < 40 } + [40]
            var reach = 0.0
            for (i, (a, _)) in front.enumerated() where front[i].1 < 40 {
                reach = max(reach, a)
                area += reach * (latencies[i + 1] - latencies[i])
            }
            return area
        }
        func run(_ strategy: any SearchStrategy, seed: UInt64) -> [Member] {
            var history: [Member] = []
            for t in 0..<150 {
                var rng = SplitMix64(seed: seed &* 1000 &+ UInt64(t))
                let arch = strategy.propose(history: history, pending: [], rng: &rng).arch
                let (a, l) = objectives(arch)
                history.append(Member(trial: t, arch: arch, reward: a, objectives: [ObjectiveValue(.accuracy, a), ObjectiveValue(.latency, l)]))
            }
            return history
        }
        var nsga = 0.0, random = 0.0
        for seed in 1...20 {
            nsga += hypervolume(run(NSGA2(space: space, population: 20), seed: UInt64(seed)))
            random += hypervolume(run(RandomSearch(space: space), seed: UInt64(seed)))
        }
        #expect(nsga > random * 1.01, "mean hypervolume NSGA-II \(nsga / 20), random \(random / 20)")
    }

    /// Stateless: the same history and seed give the same proposal (what resume relies on);
    /// a child differs from its first parent and names it.
    @Test func proposalsAreAFunctionOfTheHistory() throws {
        let space = try nasbench201()
        var rng = SplitMix64(seed: 3)
        let history = (0..<30).map { t -> Member in
            let arch = Architecture.random(in: space, using: &rng)
            let a = Double(t % 7) / 7, l = Double(t % 5)
            return Member(trial: t, arch: arch, reward: a, objectives: [ObjectiveValue(.accuracy, a), ObjectiveValue(.latency, l)])
        }
        let strategy = NSGA2(space: space, population: 10)
        var r1 = SplitMix64(seed: 5), r2 = SplitMix64(seed: 5)
        let a = strategy.propose(history: history, pending: [], rng: &r1), b = strategy.propose(history: history, pending: [], rng: &r2)
        #expect(a.arch == b.arch && a.parent == b.parent)
        let parent = try #require(a.parent)
        #expect(history[parent].arch != a.arch)
        #expect(NSGA2.survivors(history, population: 10).count == 10)
    }
}
