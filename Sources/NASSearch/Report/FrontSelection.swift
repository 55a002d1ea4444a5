import Foundation

/// Which of a study's front models `nasctl finalize` trains to the end.
///
/// - `reward`: best reward first (the models the search itself ranks highest; under the soft
///   constraint far below the target these are the fastest).
/// - `accuracy`: best objective score first (the proxy accuracy): the front's most accurate end,
///   which is where a model more accurate than a baseline would come from.
/// - `spread`: evenly over the front's latency (fastest, slowest, and evenly spaced ranks
///   between), so the finalized models trace the whole trade-off.
public enum FrontSelection: String, CaseIterable, Sendable {
    case reward, accuracy, spread
}

extension StudyReport {
    /// The front models to finalize: at most `count` of `front` with predicted latency at most
    /// `maxMs` (every front model when nil), chosen by `selection`; in that selection's order
    /// (`spread`: by latency). Empty when no front model is fast enough.
    /// - Complexity: O(n log n) over the front's n models.
    public func finalizeCandidates(_ count: Int, by selection: FrontSelection, maxMs: Double? = nil) -> [TrialRecord] {
        let eligible = front.filter { t in maxMs.map { limit in (t.latencyMs ?? .infinity) <= limit } ?? true }
        guard count > 0, !eligible.isEmpty else { return [] }
        switch selection {
        case .reward:
            return Array(eligible.sorted { ($0.reward ?? -.infinity, -$0.number) > ($1.reward ?? -.infinity, -$1.number) }.prefix(count))
        case .accuracy:
            return Array(eligible.sorted { (score($0) ?? -.infinity, -$0.number) > (score($1) ?? -.infinity, -$1.number) }.prefix(count))
        case .spread:
            // The front is sorted along its horizontal axis (latency); take evenly spaced ranks.
            guard count < eligible.count else { return eligible }
            guard count > 1 else { return finalizeCandidates(1, by: .reward, maxMs: maxMs) }
            let last = eligible.count - 1
            let ranks = (0..<count).map { ($0 * last + (count - 1) / 2) / (count - 1) }
            return ranks.map { eligible[$0] }
        }
    }
}
