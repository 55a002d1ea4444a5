import Foundation

/// `pareto.svg`: every successful trial as a point (the objective, accuracy by default, against
/// predicted latency; for a study without latency, against its first secondary objective), the
/// front as a step line, the target latency as a dashed vertical line, labelled axes; after
/// `nasctl finalize`, each finalized model's test accuracy as a green diamond joined to its proxy
/// point (and the baseline's as a grey one).
struct ParetoPlot {
    let report: StudyReport

    /// `standalone`: a file of its own (with the SVG namespace); otherwise markup to embed in
    /// HTML (no namespace URL, so the page references nothing outside itself).
    func svg(standalone: Bool = true) -> String {
        let width = 720.0, height = 480.0, left = 70.0, right = 20.0, top = 30.0, bottom = 60.0
        let xAxis = report.horizontalAxis, yAxis = report.objective
        let byLatency = xAxis == .latency
        func point(_ t: TrialRecord) -> (Double, Double)? {
            guard let x = t.value(of: xAxis, primary: yAxis), let y = t.value(of: yAxis, primary: yAxis) else { return nil }
            return (x, y)
        }
        let plotted = report.done.filter { point($0) != nil }
        let points = plotted.map { point($0)! }
        // The target and the finalized models belong to an accuracy/latency plot only.
        let target = report.settings.reward.targetMs
        var finals: [FinalizedModels.Model] = byLatency && yAxis == .accuracy ? report.finalized?.models ?? [] : []
        if byLatency && yAxis == .accuracy, let baseline = report.finalized?.baseline { finals.append(baseline) }
        let finalPoints: [(Double, Double)] = finals.compactMap { m in m.latency_ms.map { ($0, m.final_test_accuracy) } }
        let latencies = points.map(\.0) + finalPoints.map(\.0)
        var maxLatency = max(latencies.max() ?? target, target) * 1.05
        var minLatency = min(latencies.min() ?? 0, target) * 0.95
        if !byLatency {
            let low = latencies.min() ?? 0, high = latencies.max() ?? 1, pad = max((high - low) * 0.05, abs(high) * 1e-3, 1e-12)
            minLatency = low - pad; maxLatency = high + pad
        }
        let accuracies = points.map(\.1) + finalPoints.map(\.1)
        var lowAcc: Double, highAcc: Double
        if yAxis == .accuracy {
            lowAcc = (accuracies.min() ?? 0) - 0.01; highAcc = (accuracies.max() ?? 1) + 0.01
            if highAcc - lowAcc < 0.02 { lowAcc -= 0.01; highAcc += 0.01 }
            lowAcc = max(0, lowAcc); highAcc = min(1, highAcc)
        } else {
            let low = accuracies.min() ?? 0, high = accuracies.max() ?? 1, pad = max((high - low) * 0.05, abs(high) * 1e-3, 1e-12)
            lowAcc = low - pad; highAcc = high + pad
        }
        let xLabel = byLatency ? "latency (ms)" : "\(xAxis.name) (\(xAxis.direction == .minimize ? "lower" : "higher") is better)"
        let yLabel = yAxis == .accuracy ? "accuracy (fraction)" : "\(yAxis.name) (\(yAxis.direction == .minimize ? "lower" : "higher") is better)"
        func tick(_ v: Double, accuracy: Bool) -> String { String(format: accuracy ? "%.3f" : "%.4g", v) }
        func x(_ l: Double) -> Double { left + (l - minLatency) / max(maxLatency - minLatency, 1e-9) * (width - left - right) }
        func y(_ a: Double) -> Double { top + (1 - (a - lowAcc) / max(highAcc - lowAcc, 1e-9)) * (height - top - bottom) }
        var s = """
        <svg \(standalone ? "xmlns=\"http://www.w3.org/2000/svg\" " : "")id="scatter" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="18" text-anchor="middle" font-size="14">\(escape(report.space.name)): \(escape(yAxis == .accuracy ? "accuracy" : yAxis.name)) against \(escape(byLatency ? "latency" : xAxis.name)) (\(report.done.count) trials, front \(report.front.count))</text>

        """
        // Axes with ticks.
        let plotBottom = height - bottom, plotRight = width - right
        s += "<line x1=\"\(left)\" y1=\"\(plotBottom)\" x2=\"\(plotRight)\" y2=\"\(plotBottom)\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(plotBottom)\" stroke=\"black\"/>\n"
        for i in 0...5 {
            let l = minLatency + (maxLatency - minLatency) * Double(i) / 5
            s += "<line x1=\"\(x(l))\" y1=\"\(plotBottom)\" x2=\"\(x(l))\" y2=\"\(plotBottom + 5)\" stroke=\"black\"/>"
            s += "<text x=\"\(x(l))\" y=\"\(plotBottom + 18)\" text-anchor=\"middle\">\(byLatency ? String(format: "%.1f", l) : tick(l, accuracy: false))</text>\n"
            let a = lowAcc + (highAcc - lowAcc) * Double(i) / 5
            s += "<line x1=\"\(left - 5)\" y1=\"\(y(a))\" x2=\"\(left)\" y2=\"\(y(a))\" stroke=\"black\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(y(a) + 4)\" text-anchor=\"end\">\(tick(a, accuracy: yAxis == .accuracy))</text>\n"
        }
        s += "<text x=\"\((left + plotRight) / 2)\" y=\"\(height - 15)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text x=\"18\" y=\"\((top + plotBottom) / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \((top + plotBottom) / 2))\">\(escape(yLabel))</text>\n"
        // Target line.
        if byLatency {
        s += "<line x1=\"\(x(target))\" y1=\"\(top)\" x2=\"\(x(target))\" y2=\"\(plotBottom)\" stroke=\"#d62728\" stroke-dasharray=\"6 4\"/>"
        let labelLeft = x(target) > plotRight - 100  // keep the label inside the plot
        s += "<text x=\"\(x(target) + (labelLeft ? -4 : 4))\" y=\"\(plotBottom - 8)\" fill=\"#d62728\" text-anchor=\"\(labelLeft ? "end" : "start")\">target \(String(format: "%g", target)) ms</text>\n"
        }
        // Points, each with a tooltip naming its trial and what it is.
        for t in plotted {
            s += "<circle class=\"trial\" data-trial=\"\(t.number)\" cx=\"\(x(point(t)!.0))\" cy=\"\(y(point(t)!.1))\" r=\"3\" fill=\"#1f77b4\" fill-opacity=\"0.5\">"
            s += "<title>\(escape(tooltip(t)))</title></circle>\n"
        }
        // Front as a step line.
        // (A front over more than two objectives is not a staircase in this plane: points only.)
        let front = report.front.compactMap(point)
        let staircase = report.settings.objectives.count + (byLatency ? 1 : 0) == 2
        if !front.isEmpty && staircase {
            var path = "M \(x(front[0].0)) \(y(front[0].1))"
            for i in 1..<front.count {
                path += " H \(x(front[i].0)) V \(y(front[i].1))"
            }
            path += " H \(x(maxLatency))"
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>\n"
        }
        for (l, a) in front { s += "<circle cx=\"\(x(l))\" cy=\"\(y(a))\" r=\"4\" fill=\"#ff7f0e\"/>\n" }
        // Finalized models: test accuracy after full training, joined to the proxy score.
        for m in finals {
            guard let l = m.latency_ms else { continue }
            let a = m.final_test_accuracy
            let colour = m.trial == nil ? "#7f7f7f" : "#2ca02c"
            if let p = m.proxy_accuracy {
                s += "<line x1=\"\(x(l))\" y1=\"\(y(p))\" x2=\"\(x(l))\" y2=\"\(y(a))\" stroke=\"\(colour)\" stroke-dasharray=\"2 2\"/>\n"
            }
            s += "<path d=\"M \(x(l)) \(y(a) - 5) L \(x(l) + 5) \(y(a)) L \(x(l)) \(y(a) + 5) L \(x(l) - 5) \(y(a)) Z\" fill=\"\(colour)\"><title>\(escape(m.name)): test accuracy \(String(format: "%.4f", a))</title></path>\n"
        }
        if !finals.isEmpty {
            s += "<text x=\"\(plotRight - 4)\" y=\"\(top + 14)\" text-anchor=\"end\" fill=\"#2ca02c\">◆ final test accuracy (\(report.finalized!.epochs.shortText) epochs)</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// What a point's tooltip says: trial, accuracy, latency, reward, parameters, MACs, decisions.
    func tooltip(_ t: TrialRecord) -> String {
        var lines = ["trial \(t.number): accuracy \(StudyReport.number(t.accuracy, 4)), latency \(StudyReport.number(t.latencyMs, 3)) ms, reward \(StudyReport.number(t.reward, 4))"]
        lines.append("parameters \(t.params.map(String.init) ?? "?"), MACs \(t.macs.map(String.init) ?? "?")" + (t.fidelity.map { ", fidelity \(Fidelity($0))" } ?? ""))
        lines += zip(report.space.decisions.map(\.name), t.values).map { "\($0) = \($1)" }
        return lines.joined(separator: "\n")
    }

    func escape(_ text: String) -> String { Self.escape(text) }

    /// `text` safe inside XML/HTML text and attribute values.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
