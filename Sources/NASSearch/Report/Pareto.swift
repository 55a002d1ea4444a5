/// Non-dominated sets and hypervolume over (accuracy up, latency down).
public enum Pareto {
    public struct Point: Sendable, Equatable {
        public var accuracy: Double
        public var latencyMs: Double
        public init(accuracy: Double, latencyMs: Double) { self.accuracy = accuracy; self.latencyMs = latencyMs }

        /// At least as accurate and as fast, and strictly better in one.
        public func dominates(_ other: Point) -> Bool {
            accuracy >= other.accuracy && latencyMs <= other.latencyMs && (accuracy > other.accuracy || latencyMs < other.latencyMs)
        }
    }

    /// Indices of the points no other point dominates (equal points all stay), sorted by
    /// latency then accuracy descending.
    /// - Complexity: O(n log n): a sweep by latency keeping the best accuracy so far.
    public static func front(_ points: [Point]) -> [Int] {
        let order = points.indices.sorted {
            points[$0].latencyMs != points[$1].latencyMs ? points[$0].latencyMs < points[$1].latencyMs : points[$0].accuracy > points[$1].accuracy
        }
        var result: [Int] = []
        var bestAccuracy = -Double.infinity
        var bestAtLatency: (latency: Double, accuracy: Double)?
        for i in order {
            let p = points[i]
            if let last = bestAtLatency, last.latency == p.latencyMs, last.accuracy == p.accuracy {
                result.append(i)  // duplicate of a front point
            } else if p.accuracy > bestAccuracy {
                result.append(i)
                bestAccuracy = p.accuracy
                bestAtLatency = (p.latencyMs, p.accuracy)
            }
        }
        return result
    }

    /// Area dominated by `points` within accuracy [0, 1] and latency [0, referenceMs], divided
    /// by `referenceMs` (so a perfect, instant model scores 1). Points slower than the reference
    /// add nothing.
    public static func hypervolume(_ points: [Point], referenceMs: Double) -> Double {
        let front = self.front(points).map { points[$0] }.filter { $0.latencyMs < referenceMs }
        var area = 0.0
        var previousAccuracy = 0.0
        for p in front where p.accuracy > previousAccuracy {  // sorted by latency; accuracy rises along the front
            area += (referenceMs - p.latencyMs) * (p.accuracy - previousAccuracy)
            previousAccuracy = p.accuracy
        }
        return area / referenceMs
    }
}
