import Foundation
import NASEngine
import NASSpace

/// Where a device's tables live in a folder (`LatencyTables/` by default): the first one made
/// on a device is `<device id>.json`; tables for other settings sit beside it, named after
/// them (`<device id>-<space>-t<threads>-<space digest>.json`, `-2`, `-3`… when re-profiled).
/// A table is never overwritten by nasctl's defaults.
public enum LatencyTableFiles {
    /// Every table file of `device` in `directory`.
    public static func files(in directory: String, device: DeviceIdentity) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0 == "\(device.id).json" || ($0.hasPrefix("\(device.id)-") && $0.hasSuffix(".json")) }
            .sorted().map { (directory as NSString).appendingPathComponent($0) }
    }

    /// The newest (last modified) table of `device` in `directory` that fits `space`,
    /// `threads` and `backend`, or nil. A file that cannot be read as a table is an error
    /// naming it: it is neither skipped nor replaced.
    public static func newestFitting(in directory: String, device: DeviceIdentity, space: SearchSpace, threads: Int,
                                     backend: InferenceBackend = .nasctl) throws -> String? {
        var best: (path: String, modified: Date)?
        for path in files(in: directory, device: device) {
            let table = try LatencyTable.load(file: path)
            guard table.mismatches(device: device, space: space, threads: threads, backend: backend).isEmpty else { continue }
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            if best == nil || modified >= best!.modified { best = (path, modified) }
        }
        return best?.path
    }

    /// A path for a new table of these settings that no file has yet (an XNNPACK table's
    /// name always says so: `<device id>-<space>-t<threads>-<digest>-xnnpack.json`).
    public static func newPath(in directory: String, device: DeviceIdentity, space: SearchSpace, threads: Int,
                               backend: InferenceBackend = .nasctl) -> String {
        let first = (directory as NSString).appendingPathComponent("\(device.id).json")
        if backend == .nasctl && !FileManager.default.fileExists(atPath: first) { return first }
        let stem = "\(device.id)-\(space.name)-t\(threads)-\(space.digest.prefix(8))" + (backend == .nasctl ? "" : "-\(backend.rawValue)")
        for n in 1... {
            let path = (directory as NSString).appendingPathComponent(n == 1 ? "\(stem).json" : "\(stem)-\(n).json")
            if !FileManager.default.fileExists(atPath: path) { return path }
        }
        fatalError("unreachable")
    }

    /// 16-hex-digit FNV-1a of a table file's bytes: what a study records to notice another table.
    public static func contentDigest(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw LatencyError.tableNotFound(path) }
        let value = String(Digest.fnv1a64(bytes: data), radix: 16)
        return String(repeating: "0", count: 16 - value.count) + value
    }
}
