import Foundation
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
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for attempt in 0..<40 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nasctl)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(attempt < 6 ? Double.random(in: 0.2...0.9, using: &rng) : 60)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                kills += 1
            } else {
                #expect(process.terminationStatus == 0)
            }
            // Everything that had finished is still there, unchanged.
            if FileManager.default.fileExists(atPath: dir + "/study.sqlite") {
                let trials = try SQLiteStudyStore(existing: dir).trials()
                for (number, old) in finishedBefore { #expect(trials.first { $0.number == number } == old, "trial \(number) changed") }
                for t in trials where t.status != .running { finishedBefore[t.number] = t }
            }
            if process.terminationReason == .exit && process.terminationStatus == 0 { break }
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
