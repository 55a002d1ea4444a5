import Foundation
import NASEngine
import NASSpace
@testable import NASSearch

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func nasbench201() throws -> SearchSpace { try SearchSpace.load(file: repositoryRoot.appendingPathComponent("Configs/nasbench201.yaml").path) }

func temporaryDirectory(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-search-\(name)-\(UUID().uuidString)").path
}

/// A synthetic but complete NAS-Bench-201-shaped table: accuracy grows with the number of
/// convolution edges, latency with their cost (seeded noise on top).
func syntheticTableCSV(space: SearchSpace, latency: Bool, seed: UInt64 = 1) -> String {
    var rng = SplitMix64(seed: seed)
    var lines = [space.decisions.map(\.name).joined(separator: ",") + ",accuracy" + (latency ? ",latency_ms" : "")]
    func rows(_ prefix: [String], _ depth: Int) {
        if depth == space.decisions.count {
            let convs = prefix.filter { $0.hasPrefix("nor_conv") }.count
            let acc = 0.5 + 0.07 * Double(convs) + Double(rng.uniform(0.01))
            let ms = 1 + Double(prefix.filter { $0 == "nor_conv_3x3" }.count) * 2 + Double(prefix.filter { $0 == "nor_conv_1x1" }.count)
            lines.append(prefix.joined(separator: ",") + String(format: ",%.5f", acc) + (latency ? String(format: ",%.3f", ms) : ""))
            return
        }
        for c in space.decisions[depth].choices { rows(prefix + [c], depth + 1) }
    }
    rows([], 0)
    return lines.joined(separator: "\n") + "\n"
}

func settings(_ space: SearchSpace, strategy: String = "evolution", budget: Int, seed: UInt64 = 1, evaluator: String = "test") -> StudySettings {
    StudySettings(space: space.name, spaceDigest: space.digest, spaceFile: space.source, table: nil, evaluator: evaluator,
                  strategy: strategy, reward: .soft(targetMs: 5), population: 10, sample: 3, budget: budget, seed: seed)
}

/// `base`, after sleeping `seconds` per evaluation.
struct SlowEvaluator: Evaluator {
    let base: any Evaluator
    let seconds: Double
    var name: String { base.name }
    func evaluate(_ request: EvaluationRequest) -> Evaluation {
        usleep(UInt32(seconds * 1e6))
        return base.evaluate(request)
    }
}
