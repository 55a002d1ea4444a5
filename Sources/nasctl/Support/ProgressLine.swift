import Foundation

/// A one-line progress bar with ETA on standard error (redrawn in place on a terminal, one
/// line per ~5% otherwise, so logs stay readable).
struct ProgressLine {
    let label: String
    private(set) var total: Int
    /// Printed after the counts ("232 epochs"); empty for plain counts.
    let unit: String
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPrinted = -1
    private var finished = false

    init(label: String, total: Int, unit: String = "") {
        self.label = label; self.total = total; self.unit = unit
    }

    /// `total`: a new total when the work turned out larger than planned (the bar never runs
    /// past 100%).
    mutating func update(done: Int, total newTotal: Int? = nil, elapsed: Double, eta: Double?, detail: String = "") {
        if let newTotal { total = max(total, newTotal) }
        let percent = total > 0 ? min(100, 100 * max(0, done) / total) : 100
        let complete = done >= total
        // The last line is printed once: a finished bar is not repeated by later updates.
        if complete && finished { return }
        if !isTerminal && percent / 5 == lastPrinted / 5 && !complete { return }
        lastPrinted = percent
        finished = complete
        let width = 24
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let etaText = eta.map { "ETA \(Self.clock($0))" } ?? "ETA --:--"
        let counts = "\(done)/\(total)" + (unit.isEmpty ? "" : " \(unit)")
        let line = "\(label) [\(bar)] \(counts) \(percent)% \(Self.clock(elapsed)) elapsed, \(etaText)" + (detail.isEmpty ? "" : "  \(detail)")
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + line + (isTerminal ? "" : "\n")).utf8))
        if isTerminal && complete { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
