import ChildProcessSupport
import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASSearch

/// The first browser on this machine nasctl's report test can drive headless.
let headlessBrowser: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// `report.html` in a real headless browser (Debian's chromium): the page's own check sorts
/// the trials table and reports what it found; a screenshot is not blank.
@Suite struct HTMLReportTests {
    /// A finished 40-trial search on a synthetic NAS-Bench-201 table with latency.
    func study() throws -> (StudyReport, String) {
        let space = try nasbench201()
        let table = try TableEvaluator(csv: syntheticTableCSV(space: space, latency: true), space: space, source: "t.csv")
        let dir = temporaryDirectory("html")
        let store = try SQLiteStudyStore(directory: dir, settings: settings(space, budget: 40))
        try WorkerLoop(space: space, strategy: RegularizedEvolution(space: space, population: 8, sample: 3), evaluator: table,
                       latency: { _ in nil }, reward: .soft(targetMs: 5), store: store, budget: 40, workers: 1, seed: 2).run()
        let report = StudyReport(space: space, settings: store.settings, trials: try store.trials())
        try report.write(to: dir)
        return (report, dir)
    }

    func run(_ browser: String, _ arguments: [String]) throws -> String {
        let out = temporaryDirectory("browser") + ".out"
        _ = try ChildProcess.run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"] + arguments,
                                 seconds: 120, stdout: out)
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    @Test func theReportIsSelfContained() throws {
        let (report, dir) = try study()
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(!html.lowercased().contains("http"), "the page must not reference anything outside itself")
        #expect(!html.contains("<link") && !html.contains("src="))
        // One table row per trial, one point per plotted trial, a tooltip naming each.
        #expect(html.components(separatedBy: "<tr data-trial=").count - 1 == report.trials.count)
        let plotted = report.done.filter { $0.latencyMs != nil }
        #expect(html.components(separatedBy: "<circle class=\"trial\"").count - 1 == plotted.count)
        #expect(html.contains("<title>trial \(plotted[0].number): accuracy"))
    }

    @Test(.enabled(if: headlessBrowser != nil, "no headless browser installed (apt-get install chromium): report.html not opened"))
    func theReportWorksInAHeadlessBrowser() throws {
        let browser = headlessBrowser!
        let (report, dir) = try study()
        let dom = try run(browser, ["--virtual-time-budget=3000", "--dump-dom", "file://\(dir)/report.html#selftest"])
        let start = try #require(dom.range(of: "<pre id=\"selftest\">"), "no self-test output in the page: \(dom.prefix(300))")
        let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let text = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        struct SelfTest: Decodable {
            var rows: Int, points: Int, firstRowTrial: String, sortedDescending: Bool, sortedValues: Int
            var pointTrial: String?, pointTooltip: String?
        }
        let result = try JSONDecoder().decode(SelfTest.self, from: Data(text.utf8))
        #expect(result.rows == report.trials.count)
        #expect(result.points == report.done.filter { $0.latencyMs != nil }.count)
        // Sorting by accuracy put the most accurate trial first, the rest in order.
        #expect(result.sortedDescending && result.sortedValues == report.trials.filter { $0.accuracy != nil }.count)
        let mostAccurate = report.trials.filter { $0.accuracy != nil }.max { $0.accuracy! < $1.accuracy! }!
        #expect(report.trials.first { String($0.number) == result.firstRowTrial }?.accuracy == mostAccurate.accuracy)
        #expect(result.pointTooltip?.hasPrefix("trial \(result.pointTrial ?? "?"):") == true)

        // A screenshot of the report is far from blank (a blank page's PNG is a few hundred bytes).
        _ = try run(browser, ["--screenshot=\(dir)/report.png", "--window-size=1000,1600", "file://\(dir)/report.html"])
        try "<!DOCTYPE html><html><body></body></html>".write(toFile: dir + "/blank.html", atomically: true, encoding: .utf8)
        _ = try run(browser, ["--screenshot=\(dir)/blank.png", "--window-size=1000,1600", "file://\(dir)/blank.html"])
        let shot = try #require(FileManager.default.contents(atPath: dir + "/report.png"))
        let blank = try #require(FileManager.default.contents(atPath: dir + "/blank.png"))
        #expect(shot.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(shot.count > 10 * blank.count, "screenshot \(shot.count) bytes, blank page \(blank.count)")
    }
}
