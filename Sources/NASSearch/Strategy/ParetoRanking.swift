/// Non-dominated sorting and crowding distance (Deb et al. 2002) over points with several
/// objectives, each with its direction.
public enum ParetoRanking {
    /// True when `a` is at least as good as `b` in every objective and better in one.
    public static func dominates(_ a: [Double], _ b: [Double], directions: [Direction]) -> Bool {
        var better = false
        for (i, d) in directions.enumerated() {
            if d.prefers(b[i], over: a[i]) { return false }
            if d.prefers(a[i], over: b[i]) { better = true }
        }
        return better
    }

    /// The indices of `points` in non-dominated fronts, best first; stops once `limit` points
    /// are ranked (the rest would not be used).
    /// - Complexity: O(M · N²) for N points and M objectives.
    public static func fronts(_ points: [[Double]], directions: [Direction], limit: Int = .max) -> [[Int]] {
        let n = points.count
        var dominatedBy = Array(repeating: 0, count: n)
        var dominates = Array(repeating: [Int](), count: n)
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                if Self.dominates(points[i], points[j], directions: directions) {
                    dominates[i].append(j); dominatedBy[j] += 1
                } else if Self.dominates(points[j], points[i], directions: directions) {
                    dominates[j].append(i); dominatedBy[i] += 1
                }
            }
        }
        var fronts: [[Int]] = []
        var current = (0..<n).filter { dominatedBy[$0] == 0 }
        var ranked = 0
        while !current.isEmpty && ranked < limit {
            fronts.append(current)
            ranked += current.count
            var next: [Int] = []
            for i in current {
                for j in dominates[i] {
                    dominatedBy[j] -= 1
                    if dominatedBy[j] == 0 { next.append(j) }
                }
            }
            current = next.sorted()
        }
        return fronts
    }

    /// Crowding distance of each point of one front (same order as `front`): the sum over
    /// objectives of the normalised gap between its two neighbours; the extremes are infinite.
    public static func crowding(_ front: [Int], points: [[Double]]) -> [Double] {
        var distance = Array(repeating: 0.0, count: front.count)
        guard front.count > 2, let m = points.first?.count else { return Array(repeating: .infinity, count: front.count) }
        for objective in 0..<m {
            let order = front.indices.sorted { points[front[$0]][objective] < points[front[$1]][objective] }
            let lo = points[front[order.first!]][objective], hi = points[front[order.last!]][objective]
            distance[order.first!] = .infinity
            distance[order.last!] = .infinity
            guard hi > lo else { continue }
            for k in 1..<(order.count - 1) {
                distance[order[k]] += (points[front[order[k + 1]]][objective] - points[front[order[k - 1]]][objective]) / (hi - lo)
            }
        }
        return distance
    }
}
