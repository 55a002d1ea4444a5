import NASEngine
import Testing
@testable import NASLatency

/// The profile's settling on one speed, on synthetic reference checks: a host that runs at
/// two speeds (a busy neighbour for some of the time) and a clock that drifts for good.
@Suite struct LevelSettlingTests {
    /// Two speeds, 2.0 ms for 70% of the checks and 2.6 ms (30% slower) for the rest, in
    /// spells: the level is the common speed, and exactly the timings next to a slow check
    /// are off it.
    @Test func aTwoSpeedHostSettlesOnItsCommonSpeed() {
        var rng = SplitMix64(seed: 3)
        let spell = [false, false, false, false, false, false, false, true, true, true]  // slow 3 checks of 10
        let checks = (0..<60).map { i in (spell[i % 10] ? 2.6 : 2.0) * (1 + Double(rng.uniform(0.02))) }
        let settling = LevelSettling(checksMs: checks, tolerancePct: 10)
        #expect(abs(settling.levelMs / 2.0 - 1) < 0.03)
        let brackets = (1..<checks.count).map { (before: checks[$0 - 1], after: checks[$0]) }
        let off = Set(settling.offLevel(brackets))
        for (k, b) in brackets.enumerated() {
            let slow = b.before > 2.3 || b.after > 2.3
            #expect(off.contains(k) == slow, "timing \(k) between \(b.before) and \(b.after)")
        }
        #expect(off.count == 23)  // per spell: the three slow checks and the fast one after them (the last spell ends the run)
    }

    /// A clock that settles 30% slower for good after a fifth of the profile: the level is the
    /// speed of most of the profile, the slow one, and only the early timings are off it.
    @Test func aLastingDriftSettlesOnTheSpeedOfMostOfTheProfile() {
        let checks = Array(repeating: 2.0, count: 10) + Array(repeating: 2.6, count: 40)
        let settling = LevelSettling(checksMs: checks, tolerancePct: 10)
        #expect(settling.levelMs == 2.6)
        #expect(settling.offLevel([(2.0, 2.0), (2.0, 2.6), (2.6, 2.6), (2.6, 2.7)]) == [0, 1])
    }

    /// Once nothing more can be timed an entry keeps its timings at the level when it has any,
    /// else all of them: never a mixture of two speeds.
    @Test func anEntryKeepsItsTimingsAtTheLevelWhenItHasAny() {
        let settling = LevelSettling(checksMs: [2.0], tolerancePct: 10)
        #expect(settling.kept([(2.0, 2.0), (2.6, 2.6), (2.05, 1.95), (2.0, 2.5)]) == [0, 2])
        #expect(settling.kept([(2.6, 2.6), (2.5, 2.0)]) == [0, 1])
        #expect(settling.kept([(2.6, 2.6), (2.1, 2.0)]) == [1])
        #expect(settling.kept([]).isEmpty)
    }

    /// The tolerance is the edge, on both sides of the level.
    @Test func theToleranceIsTheEdge() {
        let settling = LevelSettling(checksMs: [2.0], tolerancePct: 10)
        #expect(!settling.isOffLevel(before: 2.19, after: 1.81))
        #expect(settling.isOffLevel(before: 2.0, after: 2.21))
        #expect(settling.isOffLevel(before: 1.79, after: 2.0))
    }
}
