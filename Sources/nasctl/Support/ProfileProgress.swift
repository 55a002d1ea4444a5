import NASLatency

/// The progress of `Profiler.profile` on standard error: one bar for the planned passes (layers
/// with all their contexts), then one for re-timing (networks timed again, each with its ETA).
struct ProfileProgress {
    private var planned: ProgressLine
    private var retiming: ProgressLine? = nil

    init(layers: Int) { planned = ProgressLine(label: "profile", total: layers) }

    mutating func update(_ p: Profiler.Progress) {
        let detail = "\(p.networks) networks"
        switch p.phase {
        case .planned:
            planned.update(done: p.done, elapsed: p.elapsedSeconds, eta: p.etaSeconds, detail: detail)
        case .retiming:
            if retiming == nil {
                planned.update(done: planned.total, elapsed: p.elapsedSeconds, eta: 0, detail: detail)
                retiming = ProgressLine(label: "re-time", total: p.total, unit: "networks")
            }
            retiming?.update(done: p.done, total: p.total, elapsed: p.elapsedSeconds, eta: p.etaSeconds,
                             detail: "\(p.networks) in all")
        }
    }
}
