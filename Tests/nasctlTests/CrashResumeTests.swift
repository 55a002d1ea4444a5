import ChildProcessSupport
import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// `kill -9` at random moments during a search with a slow command evaluator, then resume.
@Suite struct CrashResumeTests {
    static let root = repositoryRoot

    @Test func killedSearchesResumeWithoutLosingOrDuplicatingTrials() throws {
        let nasctl = try nasctlBinaryOrThrow()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-kill-\(UUID().uuidString)").path
        let space = Self.root.appendingPathComponent("Configs/nasbench201.yaml").path
        // A slow evaluator whose accuracy depends on the architecture only.
        let command = #"command:sleep 0.1; n=$(grep -c nor_conv "$NASCTL_ARCH"); echo "{\"accuracy\": 0.$((n + 1))}"; :"#
        let budget = 40
        let arguments = ["search", "--target-ms", "1", "--space", space, "--evaluator", command, "--population", "5", "--sample", "2",
                         "--cycles", "\(budget)", "--workers", "2", "--seed", "3", "--study", dir, "--json"]
        var finishedBefore: [Int: TrialRecord] = [:]
        let kills = try killAndResume(nasctl, arguments, killWithin: 0.2...0.9) {
            // Everything that had finished is still there, unchanged.
            guard let store = try startedStudy(dir) else { return }
            let trials = try store.trials()
            for (number, old) in finishedBefore { #expect(trials.first { $0.number == number } == old, "trial \(number) changed") }
            for t in trials where t.status != .running { finishedBefore[t.number] = t }
        }
        let trials = try SQLiteStudyStore(existing: dir).trials()
        #expect(kills >= 1)
        #expect(trials.count == budget)
        #expect(Set(trials.map(\.number)) == Set(0..<budget))
        #expect(trials.allSatisfy { $0.status == .done || $0.status == .cached })
        // The same architecture was never evaluated twice.
        let evaluatedKeys = trials.filter { $0.status == .done }.map(\.key)
        #expect(evaluatedKeys.count == Set(evaluatedKeys).count)
    }
}

/// `kill -9` during an ASHA search whose command evaluator continues each rung from the trial's
/// checkpoint folder, then resume: every rung is recorded once, none is lost.
@Suite struct ScheduledCrashResumeTests {
    @Test func killedScheduledSearchesKeepEveryRungOnce() throws {
        let nasctl = try nasctlBinaryOrThrow()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-kill-asha-\(UUID().uuidString)").path
        let space = repositoryRoot.appendingPathComponent("Configs/nasbench201.yaml").path
        // Accuracy 0.<convolutions + 1><fidelity>: rises with the rung; the rung reached is kept
        // in the checkpoint folder, and a rung must start from the one below it.
        let command = #"command:sleep 0.05; n=$(grep -c nor_conv "$NASCTL_ARCH"); test -d "$NASCTL_CHECKPOINT_DIR" || exit 7; "# +
            #"if [ "$NASCTL_FIDELITY" != 1 ] && ! [ -f "$NASCTL_CHECKPOINT_DIR/reached" ]; then exit 8; fi; "# +
            #"echo "$NASCTL_FIDELITY" > "$NASCTL_CHECKPOINT_DIR/reached"; echo "{\"accuracy\": 0.$((n + 1))$NASCTL_FIDELITY}"; :"#
        let budget = 24
        let arguments = ["search", "--target-ms", "1", "--space", space, "--evaluator", command, "--population", "5", "--sample", "2",
                         "--cycles", "\(budget)", "--workers", "2", "--seed", "5", "--study", dir, "--json",
                         "--scheduler", "asha", "--min-epochs", "1", "--max-epochs", "9"]
        var reportsBefore: [TrialReport] = []
        let kills = try killAndResume(nasctl, arguments, killWithin: 0.2...0.8) {
            guard let store = try startedStudy(dir) else { return }
            let reports = try store.reports()
            #expect(Array(reports.prefix(reportsBefore.count)) == reportsBefore, "a recorded rung changed or vanished")
            reportsBefore = reports
        }
        #expect(kills >= 1)
        let store = try SQLiteStudyStore(existing: dir)
        let trials = try store.trials(), reports = try store.reports()
        #expect(trials.count == budget)
        #expect(trials.allSatisfy { [.done, .pruned, .cached].contains($0.status) }, "\(trials.map(\.status))")
        let pairs = reports.map { "\($0.trial)@\($0.fidelity)" }
        #expect(pairs.count == Set(pairs).count, "a rung was recorded twice")
        for trial in trials where trial.status != .cached {
            let rungs = reports.filter { $0.trial == trial.number }.map(\.fidelity)
            #expect([1.0, 3, 9].starts(with: rungs) && !rungs.isEmpty, "trial \(trial.number): \(rungs)")
            if trial.status == .done { #expect(rungs == [1, 3, 9]) }
        }
        #expect(trials.contains { $0.status == .done })
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints")) ?? []).isEmpty)
    }
}

/// The study in `dir`, or nil when a kill came before its first commit (no file, or a file
/// without settings yet: the resume creates them). Any other problem is an error.
func startedStudy(_ dir: String) throws -> SQLiteStudyStore? {
    guard FileManager.default.fileExists(atPath: dir + "/study.sqlite") else { return nil }
    do {
        return try SQLiteStudyStore(existing: dir)
    } catch let SearchError.study(_, message) where message.contains("no settings yet") {
        return nil
    }
}

/// Runs `nasctl arguments` until it exits 0, at most 40 times: the first 6 runs are killed
/// (SIGKILL) at a moment within `killWithin` seconds drawn from `seed`, later ones get 60 s.
/// `check` runs after every run. Returns how many runs were killed.
func killAndResume(_ nasctl: String, _ arguments: [String], killWithin: ClosedRange<Double>, seed: UInt64 = 1,
                   check: () throws -> Void) throws -> Int {
    var rng = SplitMix64(seed: seed)
    var kills = 0
    for attempt in 0..<40 {
        let process = try ChildProcess(nasctl, arguments)
        let ended = process.wait(seconds: attempt < 6 ? Double.random(in: killWithin, using: &rng) : 60)
        if ended == nil {
            _ = process.waitOrKill(seconds: 0)
            kills += 1
        } else {
            #expect(ended == .exit(0))
        }
        try check()
        if ended == .exit(0) { break }
    }
    return kills
}
