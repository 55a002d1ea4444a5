import Foundation

/// Where a study is: a folder holding `study.sqlite` today; a database URL is for a later
/// store. `--study` text is parsed into one of these, and the store is opened from it.
public enum StudyLocator: Sendable, Equatable, CustomStringConvertible {
    case folder(String)

    /// Parses `--study` text: a path. A URL (`scheme://…`) is refused with what is supported.
    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw SearchError.study(text, "--study needs a folder") }
        if let range = text.range(of: "://"), !text[..<range.lowerBound].contains("/") {
            let scheme = text[..<range.lowerBound]
            throw SearchError.study(text, "'\(scheme)://' studies are not supported by this build; give a folder (a SQLite study is created in it)")
        }
        self = .folder(text)
    }

    public var description: String {
        switch self {
        case let .folder(path): return path
        }
    }

    /// The folder reports are written into by default.
    public var reportDirectory: String {
        switch self {
        case let .folder(path): return path
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
        }
    }

    /// Opens the study for a search: created when absent, resumed when present (its settings
    /// must equal `settings` unless `forceResume`).
    public func open(settings: StudySettings, forceResume: Bool = false) throws -> any StudyStore {
        switch self {
        case let .folder(path): return try SQLiteStudyStore(directory: path, settings: settings, forceResume: forceResume)
        }
    }

    /// Opens an existing study read-only (reports).
    public func openExisting() throws -> any StudyStore {
        switch self {
        case let .folder(path): return try SQLiteStudyStore(existing: path)
        }
    }
}
