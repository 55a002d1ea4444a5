import Foundation
import Testing

/// Two nasctl processes on one study: the second is refused, naming the first.
@Suite struct StudyOwnershipProcessTests {
    @Test func aSecondSearchOnAStudyInUseIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-owner-\(UUID().uuidString)").path
        let arguments = ["search", "--target-ms", "1", "--space", "Configs/nasbench201.yaml", "--evaluator",
                         #"command:sleep 3; echo '{"accuracy": 0.5}'; :"#, "--cycles", "3", "--workers", "1", "--study", dir]
        let first = try NasctlProcess(arguments)
        defer { kill(first.pid, SIGKILL); _ = first.wait(seconds: 10) }
        let lockFile = dir + "/study.lock"
        #expect(waitUntil(seconds: 30) { ((try? String(contentsOfFile: lockFile, encoding: .utf8)) ?? "").contains("pid \(first.pid)") },
                "the first search never took the study: \(first.stderrSoFar)")
        let second = try NasctlProcess(arguments).wait(seconds: 60)
        #expect(second.reason == .exit && second.status != 0 && second.status < 128, "status \(second.status)")
        #expect(second.stderr.contains("in use by another nasctl process") && second.stderr.contains("pid \(first.pid)"), "\(second.stderr)")
    }
}
