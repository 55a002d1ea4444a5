import ArgumentParser
import Foundation
import NASSearch
import NASSpace

/// `nasctl pareto`: rewrite and print a study's reports.
struct ParetoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pareto",
        abstract: "Write a study's Pareto report (trials.csv, pareto.csv, pareto.svg, best.json) and summary.",
        discussion: "Works on a finished or an interrupted study; the front is the non-dominated set over (accuracy up, latency down)."
    )

    @Option(help: "Study folder, or a PostgreSQL study URL (postgresql://USER@HOST[:PORT]/DB?study=NAME).")
    var study: String

    @Option(help: "Folder the reports are written to (default: the study folder; runs/pg-NAME for a PostgreSQL study).")
    var output: String?

    @Option(help: "Search-space YAML (default: the file the study recorded).")
    var space: String?

    @Flag(help: "Print one JSON summary object instead of text.")
    var json = false

    func run() throws {
        let (store, loaded, _) = try openStudy(study, space: space)
        let directory = output ?? store.locator.reportDirectory
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create \(directory): \(error.localizedDescription); pass --output DIR")
        }
        let report = StudyReport(space: loaded, settings: store.settings, trials: try store.trials(),
                                 finalized: try FinalizedModels.load(directory: directory))
        try report.write(to: directory)
        try printSummary(report.summary(studyDirectory: directory), json: json)
    }
}

/// Opens an existing study read-only with the space it ran on: `space`, or the file the study
/// recorded; a file whose digest is not the study's is refused. Returns the space file used too.
func openStudy(_ study: String, space: String?) throws -> (store: any StudyStore, space: SearchSpace, spaceFile: String) {
    let store = try StudyLocator(parsing: study).openExisting()
    let spaceFile = space ?? store.settings.spaceFile
    // A PostgreSQL study holds its space: a machine without the file reads it from there.
    if space == nil, !FileManager.default.fileExists(atPath: spaceFile), let shared = store as? PostgresStudyStore,
       let text = try shared.sharedFiles().space {
        let stored = try SearchSpace.parse(yaml: text, source: "\(shared.address) (space)")
        guard stored.digest == store.settings.spaceDigest else {
            throw ValidationError("\(shared.address): the stored space's digest \(stored.digest) is not the study's \(store.settings.spaceDigest); pass --space FILE")
        }
        return (store, stored, spaceFile)
    }
    let loaded = try SearchSpace.load(file: spaceFile)
    guard loaded.digest == store.settings.spaceDigest else {
        throw ValidationError("\(spaceFile) is not the space the study ran on (digest \(loaded.digest), study \(store.settings.spaceDigest)); pass the matching --space")
    }
    return (store, loaded, spaceFile)
}
