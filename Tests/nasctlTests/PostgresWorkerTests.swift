import ChildProcessSupport
import Foundation
import NASLatency
import NASSpace
import Testing
@testable import NASSearch

/// `nasctl worker`: processes joining one PostgreSQL study, one of them killed with `kill -9`
/// mid-trial and started again; and the errors a user meets joining a study.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["NASCTL_TEST_POSTGRES"] != nil, "needs a PostgreSQL server: run under scripts/test-postgres.sh"))
struct PostgresWorkerTests {
    static let space = repositoryRoot.appendingPathComponent("Configs/nasbench201.yaml").path
    /// A slow evaluator whose accuracy depends on the architecture only.
    static let command = #"command:sleep 0.25; n=$(grep -c nor_conv "$NASCTL_ARCH"); echo "{\"accuracy\": 0.$((n + 1))}"; :"#

    func url(_ name: String) -> String { ProcessInfo.processInfo.environment["NASCTL_TEST_POSTGRES"]! + "?study=\(name)-\(UUID().uuidString.prefix(8))" }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-\(name)-\(UUID().uuidString)").path
    }

    /// The trial process `pid` is running now, if any (its claim token starts with its pid).
    func runningTrial(of pid: Int32, _ store: PostgresStudyStore) throws -> Int? {
        try store.session.query("SELECT number FROM nasctl_trials WHERE study = $1 AND status = 'running' AND starts_with(claim, $2)",
                                [.text(store.address.study), .text("\(pid)@")]).first?.first?.int
    }

    @Test func workersJoinDieAndComeBackWithoutLosingOrRepeatingATrial() throws {
        let study = url("workers"), work = temporary("workers")
        let budget = 30
        let search = try NasctlProcess(["search", "--space", Self.space, "--evaluator", Self.command, "--population", "5", "--sample", "2",
                                        "--cycles", "\(budget)", "--workers", "1", "--seed", "3", "--heartbeat", "1", "--study", study,
                                        "--workdir", work + "/search", "--json"])
        let address = try PostgresAddress(parsing: study)
        var store: PostgresStudyStore?
        #expect(waitUntil(seconds: 150) {
            store = try? PostgresStudyStore(existing: address)
            return (try? store?.trials().isEmpty == false) ?? false
        }, "the search did not start its study")
        let db = try #require(store)
        func worker(_ name: String) throws -> NasctlProcess {
            try NasctlProcess(["worker", "--study", study, "--workers", "1", "--heartbeat", "1", "--workdir", work + "/" + name, "--json"])
        }
        let steady = try worker("steady")
        let victim = try worker("victim")
        var killed: Int?
        #expect(waitUntil(seconds: 150) {
            guard (try? runningTrial(of: victim.pid, db)) != nil else { return false }
            // Frozen first, so that the trial it holds is read without racing its end.
            kill(victim.pid, SIGSTOP)
            killed = try? runningTrial(of: victim.pid, db)
            if killed == nil { kill(victim.pid, SIGCONT) }
            return killed != nil
        }, "the second worker never ran a trial")
        kill(victim.pid, SIGKILL)
        #expect(victim.wait().reason == .uncaughtSignal)
        let back = try worker("back")
        for (name, process) in [("search", search), ("steady", steady), ("back", back)] {
            let result = process.wait(seconds: 400)
            #expect(result.status == 0, "\(name) exited \(result.status): \(result.stderr.suffix(600))")
        }
        let trials = try db.trials()
        #expect(trials.map(\.number) == Array(0..<budget))
        #expect(trials.allSatisfy { $0.status == .done || $0.status == .cached }, "\(trials.map(\.status))")
        let attempts = try db.session.query("SELECT number, attempts FROM nasctl_trials WHERE study = $1", [.text(address.study)])
        let retaken = attempts.filter { $0[1].int! > 0 }.map { $0[0].int! }
        #expect(retaken == [killed!], "trials taken over: \(retaken), killed mid-trial: \(killed!)")
        // The same architecture was evaluated once (repeats are answered from the cache).
        let evaluated = trials.filter { $0.status == .done }.map(\.key)
        #expect(evaluated.count == Set(evaluated).count)
    }

    /// A network space: the worker predicts latency from the study's table (another device's,
    /// here), stored in the database, never from its own device's.
    @Test func aWorkerUsesTheStudysLatencyTable() throws {
        let study = url("table"), work = temporary("table")
        let tableFile = repositoryRoot.appendingPathComponent("LatencyTables/amd-epyc-x86_64-2c-9fa74a40127f.json").path
        let spaceFile = repositoryRoot.appendingPathComponent("Configs/mnasnet.yaml").path
        let search = try NasctlProcess(["search", "--space", spaceFile, "--target-ms", "30", "--table", tableFile, "--force",
                                        "--evaluator", #"command:sleep 0.3; echo '{"accuracy": 0.5}'; :"#, "--cycles", "8", "--workers", "1",
                                        "--heartbeat", "1", "--study", study, "--workdir", work + "/search", "--json"])
        let address = try PostgresAddress(parsing: study)
        #expect(waitUntil(seconds: 150) { ((try? PostgresStudyStore(existing: address).trials().isEmpty) ?? true) == false })
        let worker = try NasctlProcess(["worker", "--study", study, "--workers", "1", "--heartbeat", "1", "--workdir", work + "/worker", "--json"])
        for (name, process) in [("search", search), ("worker", worker)] {
            let result = process.wait(seconds: 400)
            #expect(result.status == 0, "\(name) exited \(result.status): \(result.stderr.suffix(600))")
        }
        #expect(FileManager.default.contents(atPath: work + "/worker/study-latency-table.json") == FileManager.default.contents(atPath: tableFile))
        let db = try PostgresStudyStore(existing: address)
        let rows = try db.session.query("SELECT number FROM nasctl_trials WHERE study = $1 AND starts_with(claim, $2)", [.text(address.study), .text("\(worker.pid)@")])
        let byWorker = Set(rows.map { $0[0].int! })
        #expect(!byWorker.isEmpty, "the worker ran no trial")
        let space = try SearchSpace.load(file: spaceFile)
        let predictor = LatencyPredictor(table: try LatencyTable.load(file: tableFile), path: tableFile)
        for t in try db.trials() where byWorker.contains(t.number) {
            let expected = try predictor.predictMs(try NetworkBuilder.layers(for: Architecture(spaceName: space.name, values: t.values), in: space))
            #expect(t.latencyMs == expected, "trial \(t.number): \(t.latencyMs ?? -1) ms, the study's table predicts \(expected)")
        }
    }

    /// The server restarted (immediate shutdown: every connection cut) in the middle of a
    /// search: the search reconnects with back-off and ends with every trial once. On a cluster
    /// of its own, so that the restart cuts no other test's connections.
    @Test func aDatabaseRestartMidSearchIsSurvived() throws {
        let binary = try nasctlBinaryOrThrow()
        let script = #"""
            set -e
            url="$NASCTL_TEST_POSTGRES?study=restart"
            "$NASCTL" search --space Configs/nasbench201.yaml --evaluator "$COMMAND" --cycles 40 --workers 2 --seed 2 --study "$url" \
                --workdir "$WORK" --json > "$WORK.out" 2> "$WORK.err" &
            pid=$!
            until [ "$(psql "$NASCTL_TEST_POSTGRES" -Atc "SELECT count(*) FROM nasctl_trials WHERE study = 'restart' AND status = 'done'" 2>/dev/null || echo 0)" -ge 8 ]; do sleep 0.1; done
            $NASCTL_TEST_POSTGRES_RESTART > /dev/null
            echo "restarted at $(psql "$NASCTL_TEST_POSTGRES" -Atc "SELECT count(*) FROM nasctl_trials WHERE study = 'restart' AND status = 'done'")"
            wait $pid
            echo "search exited $?"
            psql "$NASCTL_TEST_POSTGRES" -Atc "SELECT count(*), count(DISTINCT number), max(number), count(*) FILTER (WHERE status IN ('done', 'cached')) FROM nasctl_trials WHERE study = 'restart'"
            """#
        let work = temporary("restart")
        var environment = ProcessInfo.processInfo.environment
        environment["NASCTL_PG_PORT"] = "55439"
        environment["NASCTL"] = binary
        environment["WORK"] = work
        environment["COMMAND"] = #"command:sleep 0.1; n=$(grep -c nor_conv "$NASCTL_ARCH"); echo "{\"accuracy\": 0.$((n + 1))}"; :"#
        let process = try ChildProcess("/bin/bash", [repositoryRoot.appendingPathComponent("scripts/test-postgres.sh").path, "bash", "-c", script],
                                       environment: environment, directory: repositoryRoot.path, stdout: work + ".script")
        let ended = process.waitOrKill(seconds: 600)
        let text = (try? String(contentsOfFile: work + ".script", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: work + ".err", encoding: .utf8)) ?? ""
        #expect(ended == .exit(0), "\(text)\n\(stderr.suffix(800))")
        #expect(text.contains("search exited 0"), "\(text)")
        let restartedAt = text.split(separator: "\n").first { $0.hasPrefix("restarted at ") }.flatMap { Int($0.dropFirst("restarted at ".count)) }
        #expect((restartedAt ?? 40) < 40, "the search had ended before the restart: \(text)")
        #expect(text.contains("40|40|39|40"), "\(text)")
    }

    @Test func joiningErrorsSayWhatToDo() throws {
        let dir = temporary("worker-errors")
        #expect(commandFailure(["worker", "--study", dir])?.contains("nasctl worker joins a PostgreSQL study") == true)
        #expect(commandFailure(["worker", "--study", url("absent")])?.contains("no study 'absent-") == true)
        let unreachable = commandFailure(["worker", "--study", "postgresql://nasctl@127.0.0.1:1/nasctl?study=s"])
        #expect(unreachable?.contains("is a server running at 127.0.0.1:1") == true, "\(unreachable ?? "accepted")")
        let base = ProcessInfo.processInfo.environment["NASCTL_TEST_POSTGRES"]!
        let stranger = commandFailure(["worker", "--study", base.replacingOccurrences(of: "//nasctl@", with: "//nobody@") + "?study=s"])
        #expect(stranger?.contains("nobody") == true, "\(stranger ?? "accepted")")
        // A study made with a table evaluator, joined with another table.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "name: hp\nkind: decisions\ndecisions: {a: {ordinal: [1, 2, 3, 4]}, b: [x, y, z]}\n".write(toFile: dir + "/hp.yaml", atomically: true, encoding: .utf8)
        var csv = "a,b,accuracy\n"
        for a in 1...4 { for (j, b) in ["x", "y", "z"].enumerated() { csv += "\(a),\(b),0.\(a)\(j)\n" } }
        try csv.write(toFile: dir + "/t.csv", atomically: true, encoding: .utf8)
        try csv.write(toFile: dir + "/other.csv", atomically: true, encoding: .utf8)
        let study = url("mismatch")
        #expect(commandFailure(["search", "--space", dir + "/hp.yaml", "--evaluator", "table:\(dir)/t.csv", "--cycles", "4", "--workers", "1",
                                "--study", study, "--workdir", dir + "/w", "--json"]) == nil)
        let other = commandFailure(["worker", "--study", study, "--evaluator", "table:\(dir)/other.csv", "--workdir", dir + "/w2"])
        #expect(other?.contains("this machine's evaluator is not the study's") == true, "\(other ?? "accepted")")
        // The study's own evaluator: the budget is spent already, so the worker has nothing to do.
        #expect(commandFailure(["worker", "--study", study, "--workdir", dir + "/w3", "--json"]) == nil)
    }
}
