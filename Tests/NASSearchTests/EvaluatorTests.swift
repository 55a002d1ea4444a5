import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

@Suite struct TableEvaluatorTests {
    @Test func looksUpEveryArchitecture() throws {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        #expect(table.count == 15_625 && table.hasLatency)
        var rng = SplitMix64(seed: 2)
        let arch = Architecture.random(in: space, using: &rng)
        let result = table.evaluate(arch, trial: 0)
        let accuracy = try #require(result.accuracy)
        #expect((0...1).contains(accuracy) && result.latencyMs != nil)
    }

    @Test(arguments: [
        ("edge0,edge1,edge2,edge3,edge4,accuracy\nnone,none,none,none,none,0.5\n", "t.csv:1: missing column 'edge5'"),
        ("edge0,edge1,edge2,edge3,edge4,edge5\nnone,none,none,none,none,none\n", "t.csv:1: missing column 'accuracy'"),
        ("edge0,edge1,edge2,edge3,edge4,edge5,accuracy\nnone,none,none,none,none,none,0.5\nnone,none,none,none,none,conv_9x9,0.5\n", "t.csv:3: 'conv_9x9' is not a choice of 'edge5'"),
        ("edge0,edge1,edge2,edge3,edge4,edge5,accuracy\nnone,none,none,none,none,none,high\n", "t.csv:2: accuracy 'high' is not a number"),
        ("edge0,edge1,edge2,edge3,edge4,edge5,accuracy\nnone,none,none,none,none,none,91.5\n", "t.csv:2: accuracy 91.5 is outside [0, 1]"),
        ("edge0,edge1,edge2,edge3,edge4,edge5,accuracy\nnone,none,none,none,none,0.5\n", "t.csv:2: has 6 fields, the header has 7"),
        ("edge0,edge1,edge2,edge3,edge4,edge5,accuracy,latency_ms\nnone,none,none,none,none,none,0.5,-3\n", "t.csv:2: latency_ms '-3' is not a positive number"),
        ("", "t.csv:1: empty file"),
    ])
    func malformedCSVNamesTheLine(csv: String, message: String) throws {
        let space = try nasbench201()
        #expect { try TableEvaluator(csv: csv, space: space, source: "t.csv") } throws: { "\($0)".contains(message) }
    }

    @Test func aFileThatIsNotUTF8NamesItsLine() throws {
        let path = temporaryDirectory("latin1") + ".csv"
        var data = Data("edge0,edge1,edge2,edge3,edge4,edge5,accuracy\nnone,none,none,none,none,none,0.5\n".utf8)
        data.append(contentsOf: [0x6e, 0xe9, 0x0a])  // "né" in Latin-1 on line 3
        try data.write(to: URL(fileURLWithPath: path))
        #expect { try TableEvaluator(file: path, space: try nasbench201()) } throws: { "\($0)" == "\(path):3: is not UTF-8 text; save the CSV as UTF-8" }
    }

    @Test func missingFile() throws {
        #expect { try TableEvaluator(file: "/nonexistent.csv", space: try nasbench201()) } throws: { "\($0)".contains("/nonexistent.csv") }
    }
}

@Suite struct CommandEvaluatorTests {
    func evaluate(_ command: String, timeout: Double = 10) throws -> Evaluation {
        let space = try nasbench201()
        let evaluator = try CommandEvaluator(command: command, timeoutSeconds: timeout, space: space,
                                             workDirectory: URL(fileURLWithPath: temporaryDirectory("cmd")))
        var rng = SplitMix64(seed: 1)
        return evaluator.evaluate(Architecture.random(in: space, using: &rng), trial: 7)
    }

    @Test func readsAccuracyAndLatencyAndPassesTheArchitecture() throws {
        // The script checks it got the file as $1 and in NASCTL_ARCH, and reads the trial number.
        let result = try evaluate(#"grep -q '"space" : "nasbench201"' "$NASCTL_ARCH" && echo "training..." && echo "{\"accuracy\": 0.$NASCTL_TRIAL, \"latency_ms\": 3.5}"; :"#)
        #expect(result == .success(accuracy: 0.7, latencyMs: 3.5))
        // The path is also the command's last argument.
        let argument = try evaluate(#"sh -c 'test "$1" = "$NASCTL_ARCH" && echo "{\"accuracy\": 0.25}"' check"#)
        #expect(argument == .success(accuracy: 0.25, latencyMs: nil))
    }

    @Test(arguments: [
        ("exit 3", "exit status 3"),
        ("echo boom >&2; exit 1", "exit status 1: boom"),
        ("kill -9 $$", "killed by signal 9"),
        ("echo 'not json at all'", "no JSON object with 'accuracy'"),
        ("echo '{\"accuracy\": 1.5}'", "outside [0, 1]"),
        ("echo '{\"accuracy\": \"high\"}'", "not a number"),
        ("true", "it was empty"),
        ("echo '{\"accuracy\": true}'", "output 'accuracy' is not a number: {\"accuracy\": true}"),
        ("echo '{\"accuracy\": 0.5, \"latency_ms\": \"fast\"}'", "output 'latency_ms' is not a positive number"),
        ("printf '\\377\\376 no json\\n'", "no JSON object with 'accuracy' on standard output: \u{FFFD}\u{FFFD} no json"),
    ])
    func failuresFailTheTrialWithAReason(command: String, reason: String) throws {
        let result = try evaluate(command + "; :")
        guard let message = result.failure?.message else { Issue.record("expected a failure, got \(result)"); return }
        #expect(message.contains(reason), "\(message)")
    }

    @Test func hangsAreKilledAtTheTimeout() throws {
        let start = Date()
        let result = try evaluate("sleep 30; :", timeout: 0.5)
        #expect(result == .failure("timed out after 0.5 s", kind: .transient))
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func emptyCommandIsRejected() throws {
        #expect(throws: SearchError.self) { try evaluate("  ") }
    }

    @Test func outputInAnotherEncodingStillHasItsJSONLineRead() throws {
        #expect(try evaluate(#"printf '\377 r\351sultat\n{"accuracy": 0.5}\n'; :"#) == .success(accuracy: 0.5, latencyMs: nil))
    }

    @Test(arguments: [("python3 train.py;", "ends with ';'"), ("python3 train.py &", "ends with '&'"), ("python3 train.py # tuned", "'#' comment")])
    func commandsThatWouldLoseTheAppendedPathAreRefused(command: String, message: String) throws {
        #expect { try evaluate(command) } throws: { "\($0)".contains(message) }
    }

    @Test(arguments: ["echo '# not a comment'; :", "echo a#b; :", "case x in x) echo '{\"accuracy\": 0.5}';; esac; :", "grep -c '#' \"$NASCTL_ARCH\"; :"])
    func quotedHashesAndTrailingColonsAreFine(command: String) throws {
        #expect(CommandEvaluator.appendingProblem(command) == nil)
    }
}
