import Foundation

/// Where a study is: a folder holding `study.sqlite`, or a PostgreSQL database
/// (`postgresql://USER@HOST[:PORT]/DB?study=NAME`). `--study` text is parsed into one of these,
/// and the store is opened from it.
public enum StudyLocator: Sendable, Equatable, CustomStringConvertible {
    case folder(String)
    case postgres(PostgresAddress)

    /// Parses `--study` text: a path or a `postgresql://` URL; another scheme is refused with
    /// what is supported.
    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw SearchError.study(text, "--study needs a folder or a postgresql:// URL") }
        if let range = text.range(of: "://"), !text[..<range.lowerBound].contains("/") {
            let scheme = text[..<range.lowerBound]
            guard scheme == "postgresql" || scheme == "postgres" else {
                throw SearchError.study(text, "'\(scheme)://' studies are not supported; give a folder (a SQLite study is created in it) or postgresql://USER@HOST[:PORT]/DB?study=NAME")
            }
            self = .postgres(try PostgresAddress(parsing: text))
            return
        }
        self = .folder(text)
    }

    public var description: String {
        switch self {
        case let .folder(path): return path
        case let .postgres(address): return address.description
        }
    }

    /// The folder reports (and evaluator files, checkpoints) are written into by default: the
    /// study folder, or `runs/pg-NAME` for a database study.
    public var reportDirectory: String {
        switch self {
        case let .folder(path): return path
        case let .postgres(address): return "runs/pg-\(address.study)"
        }
    }

    /// Makes this process the study's owner (see `StudyOwnership`); take it before opening the
    /// study for a search, so that nothing is written while another process owns it.
    public func acquireOwnership() throws -> StudyOwnership {
        switch self {
        case let .folder(path):
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw SearchError.study(path, "cannot create the study folder: \(error.localizedDescription)")
            }
            return try StudyOwnership(lockFile: SQLiteStudyStore.lockPath(path), study: path)
        case .postgres:
            return StudyOwnership(releasing: {})  // shared by many workers: see PostgresStudyStore
        }
    }

    /// Opens the study for a search: created when absent, resumed when present (its settings
    /// must equal `settings` unless `forceResume`).
    public func open(settings: StudySettings, forceResume: Bool = false) throws -> any StudyStore {
        switch self {
        case let .folder(path): return try SQLiteStudyStore(directory: path, settings: settings, forceResume: forceResume)
        case let .postgres(address): return try PostgresStudyStore(address: address, settings: settings, forceResume: forceResume)
        }
    }

    /// Opens an existing study read-only (reports).
    public func openExisting() throws -> any StudyStore {
        switch self {
        case let .folder(path): return try SQLiteStudyStore(existing: path)
        case let .postgres(address): return try PostgresStudyStore(existing: address)
        }
    }
}
