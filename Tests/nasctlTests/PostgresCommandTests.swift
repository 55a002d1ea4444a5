import Foundation
import Testing
@testable import NASSearch

/// `search --study postgresql://…` and `pareto --study URL --output DIR` against the server
/// scripts/test-postgres.sh starts.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["NASCTL_TEST_POSTGRES"] != nil, "needs a PostgreSQL server: run under scripts/test-postgres.sh"))
struct PostgresCommandTests {
    @Test func aSearchOnPostgreSQLResumesAndReports() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-pg-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "name: hp\nkind: decisions\ndecisions: {a: {ordinal: [1, 2, 3, 4]}, b: [x, y, z]}\n".write(toFile: dir + "/hp.yaml", atomically: true, encoding: .utf8)
        var csv = "a,b,accuracy\n"
        for a in 1...4 { for (j, b) in ["x", "y", "z"].enumerated() { csv += "\(a),\(b),0.\(a)\(j)\n" } }
        try csv.write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        let url = ProcessInfo.processInfo.environment["NASCTL_TEST_POSTGRES"]! + "?study=cli-\(UUID().uuidString.prefix(8))"
        let base = ["search", "--space", dir + "/hp.yaml", "--evaluator", "table:\(dir)/t.csv", "--strategy", "tpe", "--workers", "1", "--seed", "2",
                    "--study", url, "--workdir", dir + "/work", "--json"]
        #expect(commandFailure(base + ["--cycles", "6"]) == nil)
        #expect(try PostgresStudyStore(existing: try PostgresAddress(parsing: url)).trials().count == 6)
        #expect(commandFailure(base + ["--cycles", "10"])?.contains("cycles: study has 6, now 10") == true)
        #expect(commandFailure(base + ["--cycles", "10", "--force-resume"]) == nil)
        let trials = try PostgresStudyStore(existing: try PostgresAddress(parsing: url)).trials()
        #expect(trials.map(\.number) == Array(0..<10))
        #expect(FileManager.default.fileExists(atPath: dir + "/work/trials.csv"))
        #expect(commandFailure(["pareto", "--study", url, "--space", dir + "/hp.yaml", "--output", dir + "/out", "--json"]) == nil)
        let lines = try String(contentsOfFile: dir + "/out/trials.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 11)
        // Another machine, without the space file: the study's stored space is used.
        try FileManager.default.removeItem(atPath: dir + "/hp.yaml")
        #expect(commandFailure(["pareto", "--study", url, "--output", dir + "/elsewhere", "--json"]) == nil)
        #expect(try String(contentsOfFile: dir + "/elsewhere/trials.csv", encoding: .utf8) == String(contentsOfFile: dir + "/out/trials.csv", encoding: .utf8))
    }
}
