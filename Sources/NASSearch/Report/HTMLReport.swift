import Foundation

/// `report.html`: one self-contained page (no network access: no external script, style, font
/// or link) with the study's settings and device table, the accuracy/latency scatter with the
/// front and a tooltip per trial, a table of every trial sortable by any column, the best
/// reward and the hypervolume over trial number, and the finalized accuracies when there are
/// some. Opening `report.html#selftest` makes the page check itself (it sorts the table and
/// writes what it saw into `#selftest`), which is how the headless-browser test drives it.
struct HTMLReport {
    let report: StudyReport

    func html() -> String {
        let plot = ParetoPlot(report: report)
        let settings = report.settings
        let summary = report.summary(studyDirectory: "")
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>nasctl study: \(plot.escape(report.space.name))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
        th { background: #f0f0f0; cursor: pointer; user-select: none; }
        td.text { text-align: left; font-family: monospace; font-size: 11px; }
        .facts td { text-align: left; }
        h2 { margin-top: 28px; }
        </style></head><body>
        <h1>Study of '\(plot.escape(report.space.name))'</h1>
        <table class="facts">
        \(fact("trials", "\(summary.trials) (\(summary.evaluated) evaluated, \(summary.failed) failed, \(summary.cached) cached, \(summary.pruned) stopped below the top rung)"))
        \(fact("best", summary.best.map { "trial \($0.trial): accuracy \(StudyReport.number($0.accuracy, 4)), latency \(StudyReport.number($0.latency_ms, 3)) ms, reward \(StudyReport.number($0.reward, 4))" } ?? "none yet"))
        \(fact("Pareto front", summary.paretoDescription))
        \(fact("target", "\(settings.reward.targetMs) ms, reward ACC·(LAT/T)^w with alpha \(settings.reward.alpha), beta \(settings.reward.beta)"))
        \(fact("strategy", "\(settings.strategy) (population \(settings.population), sample \(settings.sample)), \(settings.budget) cycles, seed \(settings.seed)"))
        \(fact("scheduler", settings.scheduler))
        \(fact("evaluator", settings.evaluator))
        \(fact("space", "\(settings.spaceFile) (digest \(settings.spaceDigest))"))
        \(fact("latency table", settings.table.map { "\($0) (device \(((($0 as NSString).lastPathComponent) as NSString).deletingPathExtension), content digest \(settings.tableDigest ?? "not recorded"))" } ?? "none: latency from the evaluator"))
        </table>
        <h2>Accuracy against latency</h2>
        \(plot.svg(standalone: false))
        """
        page += progressChart()
        if let finalized = report.finalized { page += finalTable(finalized) }
        page += trialsTable()
        page += "<pre id=\"selftest\" hidden></pre>\n<script>\n\(Self.script)\n</script>\n</body></html>\n"
        return page
    }

    private func fact(_ name: String, _ value: String) -> String {
        "<tr><td><b>\(ParetoPlot.escape(name))</b></td><td>\(ParetoPlot.escape(value))</td></tr>"
    }

    /// Best reward so far and hypervolume so far against trial number, as trials finished.
    /// - Complexity: O(s · n log n) for at most s = 200 sampled prefixes of n trials.
    func progressChart() -> String {
        let finished = report.trials.filter { $0.finishOrder != nil }.sorted { $0.finishOrder! < $1.finishOrder! }
        guard !finished.isEmpty else { return "" }
        let step = max(1, finished.count / 200)
        var samples: [(Int, Double?, Double)] = []
        var best: Double?
        var points: [Pareto.Point] = []
        for (i, t) in finished.enumerated() {
            if t.status == .done, let r = t.reward {
                best = max(best ?? r, r)
                if let a = t.accuracy, let l = t.latencyMs { points.append(Pareto.Point(accuracy: a, latencyMs: l)) }
            }
            if i % step == step - 1 || i == finished.count - 1 {
                samples.append((i + 1, best, Pareto.hypervolume(points, referenceMs: report.referenceMs)))
            }
        }
        let width = 720.0, height = 260.0, left = 60.0, right = 60.0, top = 20.0, bottom = 40.0
        let rewards = samples.compactMap(\.1)
        let low = (rewards.min() ?? 0) - 0.005, high = (rewards.max() ?? 1) + 0.005
        let highHV = max(samples.map(\.2).max() ?? 1, 1e-9)
        func x(_ n: Int) -> Double { left + Double(n) / Double(finished.count) * (width - left - right) }
        func yReward(_ r: Double) -> Double { top + (1 - (r - low) / max(high - low, 1e-9)) * (height - top - bottom) }
        func yHV(_ h: Double) -> Double { top + (1 - h / highHV) * (height - top - bottom) }
        var s = "<h2>Best reward and hypervolume as trials finished</h2>\n"
        s += "<svg id=\"progress\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"black\"/>\n"
        let rewardPath = samples.compactMap { n, r, _ in r.map { "\(x(n)),\(yReward($0))" } }.joined(separator: " ")
        let hvPath = samples.map { "\(x($0.0)),\(yHV($0.2))" }.joined(separator: " ")
        s += "<polyline points=\"\(rewardPath)\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        s += "<polyline points=\"\(hvPath)\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n"
        s += "<text x=\"\(left)\" y=\"\(top - 6)\" fill=\"#1f77b4\">best reward \(StudyReport.number(low + 0.005, 4))–\(StudyReport.number(high - 0.005, 4))</text>\n"
        s += "<text x=\"\(width - right)\" y=\"\(top - 6)\" text-anchor=\"end\" fill=\"#ff7f0e\">hypervolume up to \(StudyReport.number(highHV, 4))</text>\n"
        s += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">trials finished (of \(finished.count))</text>\n"
        s += "</svg>\n"
        return s
    }

    private func finalTable(_ finalized: FinalizedModels) -> String {
        var s = "<h2>Finalized models (\(finalized.epochs.shortText) epochs on the whole training set, test accuracy)</h2>\n"
        s += "<table id=\"finalized\"><tr><th>model</th><th>proxy accuracy</th><th>final test accuracy</th><th>spread over seeds</th><th>seeds</th><th>latency (ms)</th></tr>\n"
        for m in finalized.models + (finalized.baseline.map { [$0] } ?? []) {
            s += "<tr><td class=\"text\">\(ParetoPlot.escape(m.name))</td><td>\(StudyReport.number(m.proxy_accuracy, 4))</td>"
            s += "<td>\(StudyReport.number(m.final_test_accuracy, 4))</td><td>\(StudyReport.number(m.spread, 4))</td>"
            s += "<td>\(m.seeds.map(String.init).joined(separator: ", "))</td><td>\(StudyReport.number(m.latency_ms, 3))</td></tr>\n"
        }
        return s + "</table>\n"
    }

    /// Every trial; numeric columns sort as numbers (empty cells last).
    func trialsTable() -> String {
        let front = Set(report.front.map(\.number))
        let columns = ["trial", "status", "accuracy", "latency_ms", "reward", "fidelity", "params", "macs", "front", "architecture"]
        var s = "<h2>Trials (click a column to sort)</h2>\n<table id=\"trials\"><thead><tr>"
        for (i, c) in columns.enumerated() { s += "<th data-column=\"\(i)\" data-key=\"\(c)\">\(c)</th>" }
        s += "</tr></thead><tbody>\n"
        for t in report.trials {
            s += "<tr data-trial=\"\(t.number)\"><td>\(t.number)</td><td class=\"text\">\(t.status.rawValue)</td>"
            s += "<td>\(StudyReport.number(t.accuracy, 4))</td><td>\(StudyReport.number(t.latencyMs, 3))</td><td>\(StudyReport.number(t.reward, 4))</td>"
            s += "<td>\(t.fidelity.map { Fidelity($0).description } ?? "")</td><td>\(t.params.map(String.init) ?? "")</td><td>\(t.macs.map(String.init) ?? "")</td>"
            s += "<td>\(front.contains(t.number) ? "yes" : "")</td><td class=\"text\">\(ParetoPlot.escape(t.key))</td></tr>\n"
        }
        return s + "</tbody></table>\n"
    }

    /// Sorting by column header and the `#selftest` check. Plain DOM, no library.
    static let script = """
    function cellValue(row, column) {
      const text = row.children[column].textContent.trim();
      const number = parseFloat(text);
      return text === '' ? null : (isNaN(number) ? text : number);
    }
    function sortTrials(column) {
      const table = document.getElementById('trials');
      const body = table.tBodies[0];
      const header = table.tHead.rows[0].children[column];
      const descending = header.dataset.order !== 'descending';
      for (const th of table.tHead.rows[0].children) { delete th.dataset.order; }
      header.dataset.order = descending ? 'descending' : 'ascending';
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = cellValue(a, column), y = cellValue(b, column);
        if (x === null || y === null) { return (x === null) - (y === null); }
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return descending ? -order : order;
      });
      for (const row of rows) { body.appendChild(row); }
    }
    for (const th of document.querySelectorAll('#trials th')) {
      th.addEventListener('click', () => sortTrials(Number(th.dataset.column)));
    }
    if (location.hash === '#selftest') {
      const accuracyHeader = document.querySelector('#trials th[data-key="accuracy"]');
      accuracyHeader.click();
      const accuracies = Array.from(document.querySelectorAll('#trials tbody tr'))
        .map(r => cellValue(r, Number(accuracyHeader.dataset.column))).filter(v => v !== null);
      const point = document.querySelector('#scatter circle.trial');
      const result = {
        rows: document.querySelectorAll('#trials tbody tr').length,
        points: document.querySelectorAll('#scatter circle.trial').length,
        firstRowTrial: document.querySelector('#trials tbody tr').dataset.trial,
        sortedDescending: accuracies.every((v, i) => i === 0 || accuracies[i - 1] >= v),
        sortedValues: accuracies.length,
        pointTrial: point ? point.dataset.trial : null,
        pointTooltip: point ? point.querySelector('title').textContent : null
      };
      const out = document.getElementById('selftest');
      out.textContent = JSON.stringify(result);
      out.hidden = false;
    }
    """
}
