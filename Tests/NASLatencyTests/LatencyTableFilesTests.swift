import Foundation
import NASEngine
import NASSpace
import Testing
@testable import NASLatency

/// Table files in a folder: never overwritten, the newest fitting one used, a broken one named.
@Suite struct LatencyTableFilesTests {
    func folder() throws -> String {
        let dir = temporaryPath("tables")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func newTablesGoBesideExistingOnes() throws {
        let dir = try folder()
        let device = try DeviceIdentity.current()
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let first = LatencyTableFiles.newPath(in: dir, device: device, space: space, threads: 1)
        #expect(first == dir + "/\(device.id).json")
        try handBuiltTable(space: space, device: device) { _ in 1 }.write(file: first)
        let second = LatencyTableFiles.newPath(in: dir, device: device, space: space, threads: 2)
        #expect(second == dir + "/\(device.id)-micro-t2-\(space.digest.prefix(8)).json")
        try handBuiltTable(space: space, device: device, threads: 2) { _ in 2 }.write(file: second)
        let third = LatencyTableFiles.newPath(in: dir, device: device, space: space, threads: 2)
        #expect(third == dir + "/\(device.id)-micro-t2-\(space.digest.prefix(8))-2.json")
        #expect(LatencyTableFiles.files(in: dir, device: device).count == 2)
    }

    @Test func theNewestFittingTableIsChosen() throws {
        let dir = try folder()
        let device = try DeviceIdentity.current()
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        #expect(try LatencyTableFiles.newestFitting(in: dir, device: device, space: space, threads: 1) == nil)
        let one = dir + "/\(device.id).json", two = dir + "/\(device.id)-micro-t2-x.json", again = dir + "/\(device.id)-micro-t1-x.json"
        try handBuiltTable(space: space, device: device) { _ in 1 }.write(file: one)
        try handBuiltTable(space: space, device: device, threads: 2) { _ in 2 }.write(file: two)
        #expect(try LatencyTableFiles.newestFitting(in: dir, device: device, space: space, threads: 1) == one)
        #expect(try LatencyTableFiles.newestFitting(in: dir, device: device, space: space, threads: 2) == two)
        try handBuiltTable(space: space, device: device) { _ in 3 }.write(file: again)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: again)
        #expect(try LatencyTableFiles.newestFitting(in: dir, device: device, space: space, threads: 1) == again)
        #expect(try LatencyTableFiles.newestFitting(in: dir, device: device, space: try SearchSpace.load(file: repositoryConfig("nasbench201.yaml")), threads: 1) == nil)
    }

    @Test(arguments: [("{not json", "not a latency table JSON"), (#"{"schema": 99}"#, "missing field")])
    func aBrokenTableIsAnErrorNamingItNotSkipped(text: String, message: String) throws {
        let dir = try folder()
        let device = try DeviceIdentity.current()
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        let path = dir + "/\(device.id).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try LatencyTableFiles.newestFitting(in: dir, device: device, space: space, threads: 1) } throws: {
            "\($0)".hasPrefix(path) && "\($0)".contains(message)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "left as it was")
    }

    @Test func aNewerSchemaIsAnErrorNamingTheFile() throws {
        let dir = try folder()
        let device = try DeviceIdentity.current()
        let space = try SearchSpace.parse(yaml: microSpaceYAML)
        var table = try handBuiltTable(space: space, device: device) { _ in 1 }
        table.schema = LatencyTable.currentSchema + 1
        let path = dir + "/\(device.id).json"
        try table.write(file: path)
        #expect { try LatencyTableFiles.newestFitting(in: dir, device: device, space: space, threads: 1) } throws: {
            "\($0)".hasPrefix(path) && "\($0)".contains("schema \(LatencyTable.currentSchema + 1) is not supported")
        }
    }

    @Test func theContentDigestFollowsTheBytes() throws {
        let path = temporaryPath("digest.json")
        try "abc".write(toFile: path, atomically: true, encoding: .utf8)
        let a = try LatencyTableFiles.contentDigest(of: path)
        #expect(a == "e71fa2190541574b")  // FNV-1a 64 of "abc"
        try "abd".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try LatencyTableFiles.contentDigest(of: path) != a)
    }
}

func repositoryConfig(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Configs/\(name)").path
}
