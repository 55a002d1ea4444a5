import Testing
@testable import NASLatency

/// `validate`'s re-timing of drifted groups on a synthetic machine: a clock that switches
/// between the profile's speed and a 25% slower one (a busy neighbour), as on shared hosts.
@Suite struct DriftRetimingTests {
    /// A fake machine: its speed factor at each group measurement.
    final class Machine {
        var speeds: [Double]
        var step = 0
        init(_ speeds: [Double]) { self.speeds = speeds }
        func next() -> Double { defer { step += 1 }; return speeds[min(step, speeds.count - 1)] }
    }

    /// Each group's true time is 10 ms; a measurement returns it times the speed of its step,
    /// with the 20 ms reference timed interleaved with it at the same speed.
    func run(_ speeds: [Double], groups: Int, passes: Int) -> (kept: [Double], first: [Double], report: DriftRetiming.Report) {
        let machine = Machine(speeds)
        let retiming = DriftRetiming(profileMs: 20, tolerancePct: 10, passes: passes)
        return retiming.run(groups: groups, measure: { _ in let s = machine.next(); return (10 * s, 20 * s) })
    }

    @Test func aSteadyMachineIsMeasuredOnce() {
        let r = run(Array(repeating: 1.0, count: 50), groups: 4, passes: 3)
        #expect(r.kept == [10, 10, 10, 10] && r.first == r.kept)
        #expect(r.report == .init(groups: 4, driftedFirst: 0, retimings: 0, driftedKept: 0, groupDriftPct: [0, 0, 0, 0]))
    }

    /// The machine slow while group 1 is measured, steady again later: group 1 alone is
    /// measured again after the first pass, and that steady measurement is kept.
    @Test func aSlowSpellIsRetimedAndTheSteadyMeasurementKept() {
        // steps: g0, g1 (slow), g2, [retime] g1
        let r = run([1.0, 1.25, 1.0, 1.0], groups: 3, passes: 3)
        #expect(r.first == [10, 12.5, 10])
        #expect(r.kept == [10, 10, 10])
        #expect(r.report.driftedFirst == 1 && r.report.retimings == 1 && r.report.driftedKept == 0)
        #expect(r.report.groupDriftPct == [0, 0, 0])
    }

    /// A machine slow for good: every group drifts, each is re-timed `passes` times, the
    /// work stays bounded, and the drift is reported instead of hidden.
    @Test func aLastingSlowdownIsBoundedAndReported() {
        let r = run(Array(repeating: 1.3, count: 100), groups: 3, passes: 2)
        #expect(r.report.retimings == 6)  // 3 groups x 2 passes, then it stops
        #expect(r.report.driftedKept == 3 && r.report.driftedFirst == 3)
        #expect(r.kept.allSatisfy { abs($0 - 13) < 1e-9 })
        #expect(r.report.groupDriftPct.allSatisfy { abs($0 - 30) < 1e-9 })
    }

    /// Of a group's attempts the least drifted is kept, even when none is steady; a machine
    /// faster than when profiled is drift too (signed negative).
    @Test func theLeastDriftedAttemptIsKept() {
        // g0 at +40%, [pass 1] +20% (better: kept), [pass 2] −15% (better: kept, still drifted)
        let r = run([1.4, 1.2, 0.85], groups: 1, passes: 2)
        #expect(r.first == [14])
        #expect(abs(r.kept[0] - 8.5) < 1e-9)
        #expect(abs(r.report.groupDriftPct[0] + 15) < 1e-9 && r.report.driftedKept == 1)
        #expect(r.report.retimings == 2)
        // A worse attempt does not replace a better one.
        let worse = run([1.2, 1.4], groups: 1, passes: 1)
        #expect(worse.kept == [12] && abs(worse.report.groupDriftPct[0] - 20) < 1e-9)
    }

    @Test func noPassesKeepsTheFirstMeasurements() {
        let r = run([1.3, 1.0], groups: 2, passes: 0)
        #expect(r.kept == r.first && r.report.retimings == 0 && r.report.driftedKept == 1)
    }
}

/// A network's time in `validate` from its rounds of passes, when the reference passes around
/// some rounds showed the machine at another speed than the table's level.
@Suite struct OffLevelRoundsTests {
    /// Four rounds of three passes at 10 ms, round 1 at 13.5 ms (a slow spell): left out, the
    /// time is the steady 10 ms and the noise between the halves is 0.
    @Test func anOffLevelRoundIsLeftOut() {
        let times = [[10.0, 10.1, 9.9], [13.5, 13.4, 13.6], [10.0, 10.0, 10.2], [9.9, 10.0, 10.1]]
        let r = Validation.measuredOverRounds(times, steady: [true, false, true, true])
        #expect(r.ms == 10.0)
        #expect(r.noisePct == 0)
        // Kept, the slow round moves the median and the halves apart.
        let all = Validation.measuredOverRounds(times, steady: [true, true, true, true])
        #expect(all.ms > 10.0 && all.noisePct > 2)
    }

    /// With fewer than half the rounds steady the machine was mostly at another speed: every
    /// round counts (the group's reference drift then has it re-timed).
    @Test func mostlyOffLevelKeepsEveryRound() {
        let times = [[10.0], [13.0], [13.0], [13.0]]
        let r = Validation.measuredOverRounds(times, steady: [true, false, false, false])
        #expect(r.ms == 13.0)
        // Exactly half steady is enough; a half without kept rounds gives no noise figure.
        let half = Validation.measuredOverRounds(times, steady: [true, false, true, false])
        #expect(half.ms == 11.5 && half.noisePct == 0)
    }
}
