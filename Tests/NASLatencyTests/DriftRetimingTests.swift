import Testing
import NASEngine
import NASSpace
@testable import NASLatency

/// `validate`'s re-timing of drifted networks on a synthetic machine: a clock that switches
/// between the profile's speed and a 25% slower one (a busy neighbour), as on shared hosts.
@Suite struct DriftRetimingTests {
    /// A fake machine: its speed factor at each batch measurement.
    final class Machine {
        var speeds: [Double]
        var step = 0
        init(_ speeds: [Double]) { self.speeds = speeds }
        func next() -> Double { defer { step += 1 }; return speeds[min(step, speeds.count - 1)] }
    }

    /// Each network's true time is 10 ms; a measurement of a batch (one network unless said)
    /// returns it times the speed of its step, with the 20 ms reference timed interleaved with
    /// it at the same speed.
    func run(_ speeds: [Double], networks: Int, passes: Int) -> (kept: [Double], first: [Double], report: DriftRetiming.Report) {
        let machine = Machine(speeds)
        let retiming = DriftRetiming(profileMs: 20, tolerancePct: 10, passes: passes)
        return retiming.run(count: networks, batch: 1, measure: { indices in
            let s = machine.next()
            return indices.map { _ in (10 * s, 20 * s) }
        })
    }

    @Test func aSteadyMachineIsMeasuredOnce() {
        let r = run(Array(repeating: 1.0, count: 50), networks: 4, passes: 3)
        #expect(r.kept == [10, 10, 10, 10] && r.first == r.kept)
        #expect(r.report == .init(networks: 4, driftedFirst: 0, retimings: 0, driftedKept: 0, driftPct: [0, 0, 0, 0]))
    }

    /// The machine slow while network 1 is measured, steady again later: network 1 alone is
    /// measured again after the first pass, and that steady measurement is kept.
    @Test func aSlowSpellIsRetimedAndTheSteadyMeasurementKept() {
        // steps: n0, n1 (slow), n2, [retime] n1
        let r = run([1.0, 1.25, 1.0, 1.0], networks: 3, passes: 3)
        #expect(r.first == [10, 12.5, 10])
        #expect(r.kept == [10, 10, 10])
        #expect(r.report.driftedFirst == 1 && r.report.retimings == 1 && r.report.driftedKept == 0)
        #expect(r.report.driftPct == [0, 0, 0])
    }

    /// A machine slow for good: every network drifts, each is re-timed `passes` times, the
    /// work stays bounded, and the drift is reported instead of hidden.
    @Test func aLastingSlowdownIsBoundedAndReported() {
        let r = run(Array(repeating: 1.3, count: 100), networks: 3, passes: 2)
        #expect(r.report.retimings == 6)  // 3 networks x 2 passes, then it stops
        #expect(r.report.driftedKept == 3 && r.report.driftedFirst == 3)
        #expect(r.kept.allSatisfy { abs($0 - 13) < 1e-9 })
        #expect(r.report.driftPct.allSatisfy { abs($0 - 30) < 1e-9 })
    }

    /// Of a network's attempts the least drifted is kept, even when none is steady; a machine
    /// faster than when profiled is drift too (signed negative).
    @Test func theLeastDriftedAttemptIsKept() {
        // n0 at +40%, [pass 1] +20% (better: kept), [pass 2] −15% (better: kept, still drifted)
        let r = run([1.4, 1.2, 0.85], networks: 1, passes: 2)
        #expect(r.first == [14])
        #expect(abs(r.kept[0] - 8.5) < 1e-9)
        #expect(abs(r.report.driftPct[0] + 15) < 1e-9 && r.report.driftedKept == 1)
        #expect(r.report.retimings == 2)
        // A worse attempt does not replace a better one.
        let worse = run([1.2, 1.4], networks: 1, passes: 1)
        #expect(worse.kept == [12] && abs(worse.report.driftPct[0] - 20) < 1e-9)
    }

    /// Networks of different batches that drifted are measured again together, and only they:
    /// batches of 3 over 7 networks, the machine slow for the first batch and the third
    /// (networks 0-2 and 6); the re-timing measures 0, 1, 2 in one batch and 6 in another.
    @Test func driftedNetworksAreGatheredIntoBatches() {
        let machine = Machine([1.3, 1.0, 1.3, 1.0, 1.0])
        var calls: [[Int]] = []
        let retiming = DriftRetiming(profileMs: 20, tolerancePct: 10, passes: 2)
        let r = retiming.run(count: 7, batch: 3, measure: { indices in
            calls.append(indices)
            let s = machine.next()
            return indices.map { i in (Double(i) * s, 20 * s) }
        })
        #expect(calls == [[0, 1, 2], [3, 4, 5], [6], [0, 1, 2], [6]])
        #expect(r.kept == [0, 1, 2, 3, 4, 5, 6])
        #expect(r.report.driftedFirst == 4 && r.report.retimings == 4 && r.report.driftedKept == 0)
    }

    @Test func noPassesKeepsTheFirstMeasurements() {
        let r = run([1.3, 1.0], networks: 2, passes: 0)
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
    /// round counts (the network's reference drift then has it re-timed).
    @Test func mostlyOffLevelKeepsEveryRound() {
        let times = [[10.0], [13.0], [13.0], [13.0]]
        let r = Validation.measuredOverRounds(times, steady: [true, false, false, false])
        #expect(r.ms == 13.0)
        // Exactly half steady is enough; the two kept rounds are the two halves of the noise.
        let half = Validation.measuredOverRounds(times, steady: [true, false, true, false])
        #expect(half.ms == 11.5 && abs(half.noisePct - 100 * 3 / 11.5) < 1e-9 && half.kept == [true, false, true, false])
        // A single round: no noise figure.
        #expect(Validation.measuredOverRounds([[10.0, 11.0]], steady: [true]).noisePct == 0)
    }

    /// With extra rounds the bar stays half the planned rounds: 2 steady of 4 planned plus 2
    /// extra are enough, the 4 off-level ones left out.
    @Test func extraRoundsCountAgainstThePlannedOnes() {
        let times = [[13.0], [10.0], [13.0], [13.0], [13.0], [10.2]]
        let steady = [false, true, false, false, false, true]
        let r = Validation.measuredOverRounds(times, steady: steady, minimumSteady: Validation.minimumSteadyRounds(4))
        #expect(r.ms == 10.1 && r.kept == steady)
        // Judged against all six rounds (3 needed) the same rounds would all count.
        #expect(Validation.measuredOverRounds(times, steady: steady).kept == Array(repeating: true, count: 6))
    }
}

/// The order of a validation group's rounds when the machine leaves its level.
@Suite struct ExtraRoundsTests {
    /// Replays `timeRound` over a machine that is off its level on the calls in `offCalls`;
    /// returns the networks' rounds and the order of the calls.
    func replay(networks: Int, rounds: Int, offCalls: Set<Int>) -> (steady: [[Bool]], order: [Int]) {
        var order: [Int] = []
        let steady = Validation.timeRounds(networks: networks, rounds: rounds) { n in
            order.append(n)
            return !offCalls.contains(order.count - 1)
        }
        return (steady, order)
    }

    @Test func aSteadyMachineGetsThePlannedRoundsOnly() {
        let r = replay(networks: 3, rounds: 4, offCalls: [])
        #expect(r.order == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        #expect(r.steady.allSatisfy { $0 == [true, true, true, true] })
    }

    /// A slow spell over calls 3-10 leaves network 0 and 1 with one steady round of four and
    /// network 2 with two: 0 and 1 get one extra round each, in turn, and 2 none.
    @Test func networksShortOfSteadyRoundsGetExtraOnes() {
        let r = replay(networks: 3, rounds: 4, offCalls: Set(3...10))
        #expect(r.order == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1])
        #expect(r.steady[0] == [true, false, false, false, true])
        #expect(r.steady[1] == [true, false, false, false, true])
        #expect(r.steady[2] == [true, false, false, true])
    }

    /// A machine that never returns to its level: at most `rounds` extra rounds, then stop.
    @Test func extraRoundsAreCapped() {
        let r = replay(networks: 2, rounds: 4, offCalls: Set(0..<100))
        #expect(r.order.count == 2 * 8)
        #expect(r.steady.allSatisfy { $0.count == 8 && !$0.contains(true) })
    }
}

/// Each validation round starts with untimed passes of its network (at least 3, at least the
/// table's warm-up).
@Suite struct RoundWarmupTests {
    /// A machine whose caches hold one network: a pass costs 10 ms right after another
    /// network's pass, 1 ms after one of its own.
    final class Machine: @unchecked Sendable { var last: ObjectIdentifier? = nil; var lastCostMs = 0.0 }
    final class CachedRunner: NetworkRunner, @unchecked Sendable {
        let network: Network
        let input: Tensor
        let machine: Machine
        var passes = 0
        init(machine: Machine) throws {
            network = try Network(inputShape: Shape(h: 4, w: 4, c: 3),
                                  specs: [LayerSpec(op: .conv, inChannels: 3, outChannels: 4, kernel: 1, stride: 1)], seed: 0)
            input = Tensor(shape: network.inputShape)
            self.machine = machine
        }
        func run() -> UnsafeBufferPointer<Float> {
            passes += 1
            machine.lastCostMs = machine.last == ObjectIdentifier(self) ? 1 : 10
            machine.last = ObjectIdentifier(self)
            return UnsafeBufferPointer(start: input.pointer, count: 0)
        }
        func profileLayerSamples(runs: Int) -> [[Double]] { [] }
    }

    @Test func theFirstPassAfterAnotherNetworkIsNotTimed() throws {
        let machine = Machine()
        let a = try CachedRunner(machine: machine), b = try CachedRunner(machine: machine)
        let timed: (any NetworkRunner) -> Double = { r in r.run(); return machine.lastCostMs }
        _ = b.run()
        #expect(Validation.round(of: a, untimed: 1, timed: 3, timedPass: timed) == [1, 1, 1])
        #expect(a.passes == 4)
        _ = b.run()
        // Without the untimed pass the switch is timed, as validate did before.
        #expect(Validation.round(of: a, untimed: 0, timed: 3, timedPass: timed) == [10, 1, 1])
    }

    @Test func untimedPassesCoverTheTablesWarmup() throws {
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        var table = try handBuiltTable(space: space, device: try DeviceIdentity.current()) { _ in 1 }
        #expect(Validation.untimedPassesPerRound(table) == Validation.minimumUntimedPasses)
        #expect(Validation.minimumUntimedPasses >= 1)
        table.engine.measurement.warmup = Validation.minimumUntimedPasses + 2
        #expect(Validation.untimedPassesPerRound(table) == Validation.minimumUntimedPasses + 2)
    }
}
