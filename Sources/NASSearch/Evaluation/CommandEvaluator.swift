import Foundation
import NASSpace

/// `--evaluator command:CMD`: runs the user's training program once per candidate.
///
/// The architecture JSON (`{"space": …, "decisions": {…}}`) is written to a file whose path is
/// passed as the last argument and in `NASCTL_ARCH` (the trial number in `NASCTL_TRIAL`); CMD
/// runs through `/bin/sh -c`. Its standard output must contain a JSON object with the study's
/// objective (`accuracy`, a fraction in [0, 1], by default; any number for another objective,
/// e.g. `{"loss": 0.31}` with `--objective loss --direction minimize`) and optionally
/// `latency_ms`; the last such line counts, and a study with several objectives reads the others
/// from the same line (`{"mse": 0.002, "params": 1200}`). A non-zero exit,
/// a crash, a time-out (`--trial-timeout`) or unreadable output fails that trial only.
///
/// Under a scheduler the command is also told the fidelity to reach (`NASCTL_FIDELITY`, in
/// the scheduler's unit: epochs by default) and given the trial's own folder
/// (`NASCTL_CHECKPOINT_DIR`, kept across the trial's rungs and a resume): a program that saves
/// its state there continues from it at the next rung; one that ignores it starts over.
///
/// Intermediate results: a line `{"fidelity": F, "accuracy": A}` (or `"epoch"` for
/// `"fidelity"`) printed while the program runs is handed to the scheduler as it appears; when
/// the scheduler stops the trial there, the program's process group is killed and that line is
/// the trial's result. The final result is the last line with the objective, as without a
/// scheduler.
public struct CommandEvaluator: Evaluator {
    public let command: String
    public let timeoutSeconds: Double
    public let space: SearchSpace
    public let objective: Objective
    public var name: String { "command:\(command)" }
    private let workDirectory: URL

    public init(command: String, timeoutSeconds: Double, space: SearchSpace, workDirectory: URL, objective: Objective = .accuracy) throws {
        guard !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SearchError.badEvaluator("command:CMD needs a command, e.g. command:'python3 train.py'")
        }
        guard timeoutSeconds > 0 else { throw SearchError.badEvaluator("--trial-timeout must be positive") }
        if let problem = Self.appendingProblem(command) { throw SearchError.badEvaluator(problem) }
        self.command = command; self.timeoutSeconds = timeoutSeconds; self.space = space
        self.workDirectory = workDirectory
        self.objective = objective
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
    }

    /// Runs the command once. Transient failures (worth a retry): files that could not be
    /// created, a shell that could not start, a time-out, death by a signal (the out-of-memory
    /// killer's SIGKILL among them). Deterministic: a non-zero exit status, unreadable output.
    public func evaluate(_ request: EvaluationRequest) -> Evaluation {
        let arch = request.arch, trial = request.trial
        let archFile = workDirectory.appendingPathComponent("trial-\(trial).json")
        let outFile = workDirectory.appendingPathComponent("trial-\(trial).out")
        let errFile = workDirectory.appendingPathComponent("trial-\(trial).err")
        defer { for f in [archFile, outFile, errFile] { try? FileManager.default.removeItem(at: f) } }
        do {
            try arch.json(in: space).write(to: archFile, atomically: true, encoding: .utf8)
            for file in [outFile, errFile] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
                return .failure("cannot create \(file.path) for the evaluator's output", kind: .transient)
            }
        } catch {
            return .failure("cannot write the architecture file: \(error)", kind: .transient)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["NASCTL_ARCH"] = archFile.path
        environment["NASCTL_TRIAL"] = "\(trial)"
        if let fidelity = request.fidelity { environment["NASCTL_FIDELITY"] = fidelity.description }
        if let dir = request.checkpointDirectory {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                return .failure("cannot create the checkpoint folder \(dir): \(error.localizedDescription)", kind: .transient)
            }
            environment["NASCTL_CHECKPOINT_DIR"] = dir
        }
        guard let out = FileHandle(forWritingAtPath: outFile.path), let err = FileHandle(forWritingAtPath: errFile.path) else {
            return .failure("cannot open output files in \(workDirectory.path)", kind: .transient)
        }
        defer { try? out.close(); try? err.close() }
        let nullInput = open("/dev/null", O_RDONLY)
        defer { if nullInput >= 0 { close(nullInput) } }
        let process: GuardedProcess
        do {
            process = try GuardedProcess(executable: "/bin/sh", arguments: ["-c", "\(command) \"$NASCTL_ARCH\"", "nasctl-evaluator"],
                                         environment: environment, stdin: nullInput, stdout: out.fileDescriptor, stderr: err.fileDescriptor)
        } catch {
            return .failure("cannot start /bin/sh: \(error)", kind: .transient)
        }
        let stream = IntermediateLines(file: outFile.path, objective: objective)
        var stoppedAt: Evaluation?
        let outcome = process.wait(seconds: timeoutSeconds) {
            if request.shouldStop() { return true }
            for (fidelity, metrics) in stream.newResults() where !request.intermediate(fidelity, metrics) {
                var evaluation = Evaluation(metrics: metrics, fidelity: fidelity)
                evaluation.stoppedByScheduler = true
                stoppedAt = evaluation
                return true
            }
            return false
        }
        // Lossy: a program that prints other encodings still gets its JSON line read.
        let stdout = (try? Data(contentsOf: outFile)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let stderr = (try? Data(contentsOf: errFile)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let lastError = stderr.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        switch outcome {
        case .stopped:
            return stoppedAt ?? .interrupted
        case .timedOut:
            return .failure("timed out after \(timeoutSeconds) s", kind: .transient)
        case let .signalled(signal):
            return .failure("killed by signal \(signal)" + (lastError.isEmpty ? "" : ": \(lastError)"), kind: .transient)
        case let .exited(status) where status != 0:
            return .failure("exit status \(status)" + (lastError.isEmpty ? "" : ": \(lastError)"))
        case .exited:
            // Lines that appeared since the last poll still count as intermediate results.
            for (fidelity, metrics) in stream.newResults() where !request.intermediate(fidelity, metrics) {
                var evaluation = Evaluation(metrics: metrics, fidelity: fidelity)
                evaluation.stoppedByScheduler = true
                return evaluation
            }
            var evaluation = Self.parse(stdout: stdout, objective: objective)
            if evaluation.succeeded { evaluation.fidelity = Self.fidelity(ofLastResultIn: stdout, objective: objective) ?? request.fidelity }
            return evaluation
        }
    }

    /// The `fidelity` (or `epoch`) of the last line with the objective, when it names one.
    static func fidelity(ofLastResultIn stdout: String, objective: Objective = .accuracy) -> Fidelity? {
        for line in stdout.split(whereSeparator: \.isNewline).reversed() {
            guard let result = IntermediateLines.result(String(line)), result.has(objective.name) else { continue }
            return result.fidelity
        }
        return nil
    }

    /// The last stdout line that is a JSON object with the objective's key, checked: the value
    /// a number (an accuracy in [0, 1]), `latency_ms` when present a positive number. Its metrics
    /// are the objective, and `accuracy` and `loss` when the line has them too.
    static func parse(stdout: String, objective: Objective = .accuracy) -> Evaluation {
        let key = objective.name
        for line in stdout.split(whereSeparator: \.isNewline).reversed() {
            guard let result = IntermediateLines.result(String(line)), result.has(key) else { continue }
            let text = line.trimmingCharacters(in: .whitespaces)
            guard let value = result.numbers[key], value.isFinite else { return .failure("output '\(key)' is not a number: \(text.prefix(120))") }
            if objective == .accuracy, !(0...1).contains(value) { return .failure("output accuracy \(value) is outside [0, 1]") }
            var latency: Double?
            if result.has("latency_ms") {
                guard let ms = result.numbers["latency_ms"], ms.isFinite, ms > 0 else { return .failure("output 'latency_ms' is not a positive number") }
                latency = ms
            }
            return Evaluation(metrics: result.metrics(objective: objective), latencyMs: latency)
        }
        let preview = stdout.trimmingCharacters(in: .whitespacesAndNewlines).prefix(120)
        return .failure("no JSON object with '\(key)' on standard output" + (preview.isEmpty ? " (it was empty)" : ": \(preview)"))
    }

    /// Why appending the architecture path to `command` would not pass it as the last argument:
    /// a trailing `;`, `&` or `|` makes the path a command of its own, an unquoted `#` comments
    /// it out. nil when the command is fine. (A scan of sh's quoting, not a full parser.)
    static func appendingProblem(_ command: String) -> String? {
        var quote: Character?
        var escaped = false
        var previous: Character = " "
        for c in command {
            defer { previous = c }
            if escaped { escaped = false; continue }
            if c == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if c == q { quote = nil }
                continue
            }
            if c == "'" || c == "\"" { quote = c; continue }
            if c == "#" && previous.isWhitespace {
                return "command:CMD has a '#' comment; nasctl appends the architecture file's path to the command, and the comment would swallow it: remove the comment"
            }
        }
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if quote == nil, let last = trimmed.last, [";", "&", "|"].contains(last), !trimmed.hasSuffix(";;") {
            return "command:CMD ends with '\(last)'; nasctl appends the architecture file's path as the last argument, which would then run as a command of its own: end with the program that reads it, or with ':' to ignore it (the path is also in $NASCTL_ARCH)"
        }
        return nil
    }
}

/// Reads the complete lines a running program has added to its output file since the last
/// call and picks out intermediate results: JSON objects with a numeric objective (an
/// `accuracy` in [0, 1]) and a positive `fidelity` (or `epoch`). Not thread-safe (one per
/// evaluation).
final class IntermediateLines: @unchecked Sendable {
    private let file: String
    private let objective: Objective
    private var offset: UInt64 = 0
    private var partial = Data()

    init(file: String, objective: Objective = .accuracy) { self.file = file; self.objective = objective }

    func newResults() -> [(Fidelity, [String: Double])] {
        guard let handle = FileHandle(forReadingAtPath: file) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return [] }
        offset += UInt64(data.count)
        partial.append(data)
        var results: [(Fidelity, [String: Double])] = []
        while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
            partial.removeSubrange(partial.startIndex...newline)
            guard let result = Self.result(line), let fidelity = result.fidelity, let value = result.numbers[objective.name], value.isFinite,
                  objective != .accuracy || (0...1).contains(value) else {
                continue
            }
            results.append((fidelity, result.metrics(objective: objective)))
        }
        return results
    }

    /// The top-level fields of one output line: its JSON numbers (`true` is not one), and the
    /// names of every field.
    struct Line: Decodable {
        var numbers: [String: Double] = [:]
        var keys: Set<String> = []

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            for key in c.allKeys {
                keys.insert(key.stringValue)
                if let number = try? c.decode(Double.self, forKey: key) { numbers[key.stringValue] = number }
            }
        }

        func has(_ key: String) -> Bool { keys.contains(key) }

        /// `fidelity`, else `epoch`, when positive and finite.
        var fidelity: Fidelity? { (numbers["fidelity"] ?? numbers["epoch"]).flatMap { $0.isFinite && $0 > 0 ? Fidelity($0) : nil } }

        /// Every finite number of the line but its fidelity and latency (what a study with
        /// several objectives reads its secondary ones from), with `accuracy` only in [0, 1];
        /// the objective's value as given.
        func metrics(objective: Objective) -> [String: Double] {
            var metrics: [String: Double] = [:]
            for (key, value) in numbers where value.isFinite && !["fidelity", "epoch", "latency_ms"].contains(key) {
                if key == "accuracy" && !(0...1).contains(value) { continue }
                metrics[key] = value
            }
            if let value = numbers[objective.name] { metrics[objective.name] = value }
            return metrics
        }
    }

    /// `line` read as a JSON object (nil when it is not a JSON object).
    static func result(_ line: String) -> Line? {
        let text = line.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("{"), let data = text.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(Line.self, from: data)
    }
}
