import ArgumentParser
import NASEngine

/// `nasctl`: hardware-aware multi-objective neural architecture search for CPUs.
@main
struct Nasctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nasctl",
        abstract: "Hardware-aware neural architecture search for CPUs.",
        discussion: """
        Finds the CNN with the best accuracy within a latency budget on this processor: \
        profile the device's layers into a latency table, search the MNasNet space with \
        regularized evolution, report the accuracy/latency Pareto front.
        """,
        subcommands: [DeviceCommand.self, ProfileCommand.self, PredictCommand.self, MeasureCommand.self, ValidateCommand.self, SearchCommand.self, WorkerCommand.self, FinalizeCommand.self, ParetoCommand.self, TrainCommand.self, EvaluateCommand.self, ExportCommand.self, ClassifyCommand.self]
    )

    /// OpenBLAS's kernels fixed first (re-executing with `OPENBLAS_CORETYPE` where the installed
    /// OpenBLAS does not know this CPU and fell back to SSE kernels), then the command.
    static func main() {
        OpenBLASCore.reexecWithCapableCoreIfNeeded()
        main(nil)
    }
}
