import Testing
@testable import NASLatency

/// `validate`'s re-timing of drifted groups on a synthetic machine: a clock that switches
/// between the profile's speed and a 25% slower one (a busy neighbour), as on shared hosts.
@Suite struct DriftRetimingTests {
    /// A fake machine: its speed factor at each step (one group measurement or one check).
    final class Machine {
        var speeds: [Double]
        var step = 0
        init(_ speeds: [Double]) { self.speeds = speeds }
        func next() -> Double { defer { step += 1 }; return speeds[min(step, speeds.count - 1)] }
    }

    /// Each group's true time is 10 ms; a measurement returns it times the speed of its step,
    /// and a check returns the 20 ms reference times the speed of its step.
    func run(_ speeds: [Double], groups: Int, passes: Int) -> (kept: [Double], first: [Double], report: DriftRetiming.Report) {
        let machine = Machine(speeds)
        let retiming = DriftRetiming(profileMs: 20, tolerancePct: 10, passes: passes)
        return retiming.run(groups: groups, firstCheck: 20 * machine.next(),
                            measure: { _ in 10 * machine.next() }, check: { 20 * machine.next() })
    }

    @Test func aSteadyMachineIsMeasuredOnce() {
        let r = run(Array(repeating: 1.0, count: 50), groups: 4, passes: 3)
        #expect(r.kept == [10, 10, 10, 10] && r.first == r.kept)
        #expect(r.report == .init(groups: 4, driftedFirst: 0, retimings: 0, driftedKept: 0, groupDriftPct: [0, 0, 0, 0]))
    }

    /// The machine slow for group 1 (and the checks around it), steady again later: group 1
    /// is measured again after the first pass, and that steady measurement is kept.
    @Test func aSlowSpellIsRetimedAndTheSteadyMeasurementKept() {
        // steps: check, g0, check, g1, check(slow), g2, check, [retime] g1, check
        let speeds = [1.0, 1.0, 1.0, 1.25, 1.25, 1.0, 1.0, 1.0, 1.0]
        let r = run(speeds, groups: 3, passes: 3)
        #expect(r.first == [10, 12.5, 10])
        #expect(r.kept == [10, 10, 10])
        // g1 lay before the slow check and g2 after it: both were re-timed once.
        #expect(r.report.driftedFirst == 2 && r.report.retimings == 2 && r.report.driftedKept == 0)
        #expect(r.report.groupDriftPct == [0, 0, 0])
    }

    /// A machine slow for good: every group drifts, each is re-timed `passes` times, the
    /// work stays bounded, and the drift is reported instead of hidden.
    @Test func aLastingSlowdownIsBoundedAndReported() {
        var speeds = [1.0]
        speeds += Array(repeating: 1.3, count: 100)
        let r = run(speeds, groups: 3, passes: 2)
        #expect(r.report.retimings == 6)  // 3 groups x 2 passes, then it stops
        #expect(r.report.driftedKept == 3 && r.report.driftedFirst == 3)
        #expect(r.kept.allSatisfy { abs($0 - 13) < 1e-9 })
        #expect(r.report.groupDriftPct.allSatisfy { abs($0 - 30) < 1e-9 })
    }

    /// Of a group's attempts the least drifted is kept, even when none is steady; an attempt's
    /// drift is its farther bracketing check, the one before it included.
    @Test func theLeastDriftedAttemptIsKept() {
        // check, g0 (1.4), check (1.4), [pass 1] g0 (1.2), check (1.2), [pass 2] g0 (0.85), check (0.85)
        let speeds = [1.0, 1.4, 1.4, 1.2, 1.2, 0.85, 0.85]
        let r = run(speeds, groups: 1, passes: 2)
        #expect(r.first == [14])
        // Pass 1 lay between the +40% and +20% checks (drift +40: not better); pass 2 between
        // +20% and −15% (drift +20): kept, still drifted.
        #expect(abs(r.kept[0] - 8.5) < 1e-9)
        #expect(abs(r.report.groupDriftPct[0] - 20) < 1e-9 && r.report.driftedKept == 1)
        #expect(r.report.retimings == 2)
        // A machine faster than when profiled is drift too (signed negative).
        let retiming = DriftRetiming(profileMs: 20, tolerancePct: 10, passes: 1)
        #expect(abs(retiming.groupDriftPct(before: 21, after: 17) + 15) < 1e-9)
    }

    @Test func noPassesKeepsTheFirstMeasurements() {
        let r = run([1.0, 1.3, 1.3, 1.0, 1.0], groups: 2, passes: 0)
        #expect(r.kept == r.first && r.report.retimings == 0 && r.report.driftedKept == 2)
    }
}
