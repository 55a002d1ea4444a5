import Foundation

/// A one-line progress bar with ETA on standard error (redrawn in place on a terminal, one
/// line per ~5% otherwise, so logs stay readable).
struct ProgressLine {
    let label: String
    let total: Int
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPrinted = -1

    init(label: String, total: Int) {
        self.label = label; self.total = total
    }

    mutating func update(done: Int, elapsed: Double, eta: Double?, detail: String = "") {
        let percent = total > 0 ? 100 * done / total : 100
        if !isTerminal && percent / 5 == lastPrinted / 5 && done != total { return }
        lastPrinted = percent
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let etaText = eta.map { "ETA \(Self.clock($0))" } ?? "ETA --:--"
        let line = "\(label) [\(bar)] \(done)/\(total) \(percent)% \(Self.clock(elapsed)) elapsed, \(etaText)" + (detail.isEmpty ? "" : "  \(detail)")
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + line + (isTerminal ? "" : "\n")).utf8))
        if isTerminal && done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
