import ArgumentParser
import NASSearch

/// `--scheduler` and its fidelity ladder, shared by the commands that search.
struct SchedulerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Multi-fidelity scheduler: none (every architecture trained once, to the proxy's epochs), sha (synchronous successive halving), asha (asynchronous successive halving), hyperband, or median (the median stopping rule).",
                               discussion: "Rungs are max·eta^-k epochs down to --min-epochs (1, 3, 9 by default); a promoted trial continues from its checkpoint under the same number. --cycles counts architectures: a trial's rungs are one trial with several recorded results."))
    var scheduler: String = FlatScheduler.schedulerName

    @Option(help: "Lowest rung, in proxy epochs (a command evaluator's budget unit) (default 1; schedulers only).")
    var minEpochs: Double?

    @Option(help: "Top rung, in proxy epochs: the learning-rate schedule spans it (default 9; schedulers only).")
    var maxEpochs: Double?

    @Option(help: "Reduction factor between rungs: the best 1/eta go on (default 3; sha, asha, hyperband).")
    var eta: Double?

    @Option(help: "How the proxy trains a rung below the top: whole (stopped partway through the one learning-rate schedule over --max-epochs; a promoted trial continues from its checkpoint), per-rung (from scratch, annealed over the rung's own epochs; about 1.3x the training of sha 1/3/9) or restart (the one schedule with a warm restart at each rung: annealed at every rung like per-rung, continued like whole). Benchmarks/README.md compares their ranking. Default: whole; schedulers only.")
    var rungSchedule: ProxyEvaluator.RungSchedule?

    @Option(help: "What the scheduler ranks results by when it promotes or stops trials: reward (the MNasNet reward, so the fast candidates go on) or objective (the evaluator's objective alone, accuracy on the default space: the top rung's epochs go to the most accurate candidates, latency is left to the search's selection and the front). Benchmarks/README.md compares them. Default: reward; schedulers only.")
    var promoteBy: PromotionKey?

    static let names = ["none", "sha", "asha", "hyperband", "median"]

    func validate() throws {
        guard Self.names.contains(scheduler) else {
            throw ValidationError("--scheduler is '\(scheduler)'; allowed: \(Self.names.joined(separator: ", ")).")
        }
        if scheduler == FlatScheduler.schedulerName, minEpochs != nil || maxEpochs != nil || eta != nil || rungSchedule != nil || promoteBy != nil {
            throw ValidationError("--min-epochs, --max-epochs, --eta, --rung-schedule and --promote-by set a scheduler's rungs: add --scheduler sha|asha|hyperband|median (with none, --proxy-epochs sets the training).")
        }
        if scheduler == "median", eta != nil { throw ValidationError("--eta has no part in the median stopping rule (it checks every --min-epochs).") }
        do { _ = try make() } catch let error as SearchError { throw ValidationError(error.description) }
    }

    /// The epochs the top rung trains (nil: no scheduler; the proxy's own epochs).
    var topFidelity: Double? { scheduler == FlatScheduler.schedulerName ? nil : maxEpochs ?? 9 }

    /// How the proxy trains the rungs below the top (whole without a scheduler).
    var proxyRungSchedule: ProxyEvaluator.RungSchedule { rungSchedule ?? .whole }

    /// The epochs a trial can be stopped and scored at (the ladder's rungs, the median rule's
    /// steps); empty without a scheduler.
    func rungEpochs() throws -> [Double] {
        switch try make() {
        case let s as SuccessiveHalving: return s.ladder.rungs.map(\.value)
        case let s as AsynchronousSuccessiveHalving: return s.ladder.rungs.map(\.value)
        case let s as Hyperband: return s.ladder.rungs.map(\.value)
        case let s as MedianStopping: return s.steps.map(\.value)
        default: return []
        }
    }

    func make() throws -> any Scheduler {
        let low = minEpochs ?? 1, high = maxEpochs ?? 9, by = promoteBy ?? .reward
        switch scheduler {
        case "sha": return SuccessiveHalving(ladder: try FidelityLadder(minimum: low, maximum: high, eta: eta ?? 3), promoteBy: by)
        case "asha": return AsynchronousSuccessiveHalving(ladder: try FidelityLadder(minimum: low, maximum: high, eta: eta ?? 3), promoteBy: by)
        case "hyperband": return Hyperband(ladder: try FidelityLadder(minimum: low, maximum: high, eta: eta ?? 3), promoteBy: by)
        case "median": return try MedianStopping(minimum: low, maximum: high, promoteBy: by)
        default: return FlatScheduler()
        }
    }
}

extension ProxyEvaluator.RungSchedule: ExpressibleByArgument {}
extension PromotionKey: ExpressibleByArgument {}
