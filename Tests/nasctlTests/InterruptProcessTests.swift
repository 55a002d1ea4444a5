import Foundation
import Testing
@testable import NASSearch

/// Ctrl-C, SIGTERM and kill -9 during a search whose command evaluator's shell starts a child of
/// its own: no evaluator process survives nasctl, and the study resumes to its budget with no
/// trial lost or run twice.
@Suite(.serialized) struct InterruptProcessTests {
    /// Processes whose command line is `sleep SECONDS` (the unique marker of one test).
    static func processes(sleeping seconds: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count == 2 && arguments[0].hasSuffix("sleep") && arguments[1] == seconds ? pid : nil
        }
    }

    /// The search: each trial's shell runs `sh -c 'sleep $NASCTL_TEST_SLEEP'` (a grandchild) then
    /// prints an accuracy that depends on the architecture.
    static func arguments(study: String) -> [String] {
        ["search", "--target-ms", "1", "--space", "Configs/nasbench201.yaml", "--evaluator",
         #"command:sh -c 'sleep $NASCTL_TEST_SLEEP'; n=$(grep -c nor_conv "$NASCTL_ARCH"); echo "{\"accuracy\": 0.$((n + 1))}"; :"#,
         "--population", "3", "--sample", "2", "--cycles", "6", "--workers", "2", "--seed", "4", "--study", study]
    }

    /// Starts a search with a unique long sleep and waits until both workers' grandchildren run.
    func startSearch(study: String) throws -> (NasctlProcess, marker: String) {
        let marker = "30.\(Int.random(in: 100_000...999_999))"
        let search = try NasctlProcess(Self.arguments(study: study), environment: ["NASCTL_TEST_SLEEP": marker])
        #expect(waitUntil(seconds: 60) { Self.processes(sleeping: marker).count == 2 }, "evaluators never started: \(search.stderrSoFar)")
        return (search, marker)
    }

    /// Resumes with a fast evaluator (same command, no sleep) and checks the finished study.
    func resumeAndCheck(study: String) throws {
        let resumed = try NasctlProcess(Self.arguments(study: study), environment: ["NASCTL_TEST_SLEEP": "0"]).wait(seconds: 120)
        #expect(resumed.reason == .exit && resumed.status == 0, "resume: \(resumed.stderr)")
        let trials = try SQLiteStudyStore(existing: study).trials()
        #expect(trials.map(\.number) == Array(0..<6))
        #expect(trials.allSatisfy { $0.status == .done || $0.status == .cached }, "\(trials.map(\.status))")
        let evaluated = trials.filter { $0.status == .done }.map(\.key)
        #expect(evaluated.count == Set(evaluated).count)
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalStopsTheSearchKillsItsEvaluatorsAndTheStudyResumes(signal: Int32, code: Int32) throws {
        let study = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-int-\(UUID().uuidString)").path
        let (search, marker) = try startSearch(study: study)
        kill(search.pid, signal)
        let result = search.wait(seconds: 30)
        #expect(result.reason == .exit && result.status == code, "status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("interrupted with 2 trial(s) to re-run"), "\(result.stderr)")
        #expect(waitUntil(seconds: 5) { Self.processes(sleeping: marker).isEmpty }, "evaluators outlived nasctl")
        let trials = try SQLiteStudyStore(existing: study).trials()
        #expect(trials.filter { $0.status == .interrupted }.count == 2)
        #expect(FileManager.default.fileExists(atPath: study + "/trials.csv"), "reports written")
        try resumeAndCheck(study: study)
    }

    @Test func aSecondCtrlCExitsAtOnce() throws {
        let study = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-int2-\(UUID().uuidString)").path
        let (search, marker) = try startSearch(study: study)
        kill(search.pid, SIGINT)
        kill(search.pid, SIGINT)
        let result = search.wait(seconds: 30)
        #expect(result.reason == .exit && result.status == 130, "status \(result.status)")
        #expect(waitUntil(seconds: 5) { Self.processes(sleeping: marker).isEmpty }, "evaluators outlived nasctl")
        try resumeAndCheck(study: study)
    }

    @Test func killNineLeavesNoEvaluatorBehind() throws {
        let study = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-kill9-\(UUID().uuidString)").path
        let (search, marker) = try startSearch(study: study)
        kill(search.pid, SIGKILL)
        _ = search.wait(seconds: 30)
        #expect(waitUntil(seconds: 5) { Self.processes(sleeping: marker).isEmpty }, "evaluators outlived nasctl's kill -9")
        try resumeAndCheck(study: study)
    }
}
