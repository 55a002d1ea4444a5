import Foundation
import NASEngine
import Testing
@testable import NASTraining

/// Weights and checkpoints on disk: round trip, exact resumption, clear errors.
@Suite struct CheckpointTests {
    let specs = [LayerSpec(op: .conv, inChannels: 1, outChannels: 6, kernel: 3, stride: 1, activation: .relu6),
                 LayerSpec(op: .mbconv, inChannels: 6, outChannels: 6, kernel: 3, stride: 2, expansion: 3, seRatio: 0.25, skip: false, activation: .relu6),
                 LayerSpec(op: .gap, inChannels: 6, outChannels: 6),
                 LayerSpec(op: .fc, inChannels: 6, outChannels: 10)]
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nasctl-checkpoint-\(UUID().uuidString)").path

    func network(seed: UInt64) -> TrainingNetwork { TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: specs, seed: seed) }

    func state(_ n: TrainingNetwork) -> [Float] {
        n.parameters.flatMap(\.value) + n.body.buffers.flatMap(\.value) + n.parameters.flatMap(\.velocity)
    }

    @Test func resumingFromAnEpochCheckpointMatchesAnUninterruptedRun() throws {
        let data = syntheticDataset(count: 120, seed: 8)
        let settings = TrainingSettings(epochs: 3, batchSize: 20, learningRate: 0.1, seed: 9)
        let straight = network(seed: 1)
        _ = Trainer.train(straight, on: data, settings: settings)

        let interrupted = network(seed: 1)
        var saved: [Int] = []
        _ = Trainer.train(interrupted, on: data, settings: settings, epochEnd: { step in
            if step == 6 { try? TrainedModel.write(interrupted, to: path, optimizerState: true, metadata: ["step": "\(step)"]) }
            saved.append(step)
        })
        #expect(saved == [6, 12])  // after epochs 1 and 2, not after the last

        let resumed = network(seed: 99)  // other initial weights: everything must come from the file
        let metadata = try TrainedModel.read(into: resumed, from: path, optimizerState: true)
        #expect(metadata["step"] == "6")
        _ = Trainer.train(resumed, on: data, settings: settings, startStep: 6)
        #expect(state(resumed) == state(straight))
        #expect(state(resumed) != state(network(seed: 1)))
    }

    /// A budget: training 1 epoch of a 3-epoch schedule, saving, and continuing to 2 epochs is
    /// the same run as training to 2 epochs at once, and mid-epoch stops (steps 4, 9 and 15 of 6-step
    /// epochs) continues exactly too; both differ from a 2-epoch schedule.
    @Test(arguments: [[6, 12], [9, 12], [4, 9, 15]])
    func continuingABudgetMatchesTrainingToItAtOnce(stops: [Int]) throws {
        let data = syntheticDataset(count: 120, seed: 8)
        let settings = TrainingSettings(epochs: 3, batchSize: 20, learningRate: 0.1, seed: 9)
        let straight = network(seed: 1)
        let result = Trainer.train(straight, on: data, settings: settings, stopStep: stops.last!)
        #expect(result.steps == stops.last!)

        var start = 0
        for stop in stops {
            // After the first part every weight must come from the file: other initial weights.
            let continued = network(seed: start == 0 ? 1 : UInt64(100 + stop))
            if start > 0 { try TrainedModel.read(into: continued, from: path, optimizerState: true) }
            let part = Trainer.train(continued, on: data, settings: settings, startStep: start, stopStep: stop)
            #expect(part.steps == stop)
            try TrainedModel.write(continued, to: path, optimizerState: true)
            start = stop
            if stop == stops.last! { #expect(state(continued) == state(straight)) }
        }
        let shorterSchedule = network(seed: 1)
        _ = Trainer.train(shorterSchedule, on: data, settings: TrainingSettings(epochs: Double(stops.last!) / 6, batchSize: 20, learningRate: 0.1, seed: 9))
        #expect(state(shorterSchedule) != state(straight))
    }

    @Test func weightsKeepBatchNormStatistics() throws {
        let trained = network(seed: 2)
        _ = Trainer.train(trained, on: syntheticDataset(count: 60, seed: 3), settings: TrainingSettings(epochs: 1, batchSize: 20, seed: 4))
        try TrainedModel.write(trained, to: path)
        let loaded = network(seed: 5)
        try TrainedModel.read(into: loaded, from: path)
        #expect(loaded.parameters.flatMap(\.value) == trained.parameters.flatMap(\.value))
        #expect(loaded.body.buffers.flatMap(\.value) == trained.body.buffers.flatMap(\.value))
        #expect(trained.body.buffers.count == 8)  // running mean and variance of 4 batch norms
        let x = syntheticDataset(count: 10, seed: 6).pixels
        #expect(loaded.forward(x, batch: 10, training: false) == trained.forward(x, batch: 10, training: false))
    }

    @Test func aFileForAnotherNetworkNamesTheTensor() throws {
        try TrainedModel.write(network(seed: 1), to: path)
        let other = TrainingNetwork(inputShape: Shape(h: 8, w: 8, c: 1), specs: [
            LayerSpec(op: .conv, inChannels: 1, outChannels: 7, kernel: 3, stride: 1, activation: .relu6),
            LayerSpec(op: .gap, inChannels: 7, outChannels: 7), LayerSpec(op: .fc, inChannels: 7, outChannels: 10)], seed: 1)
        let before = other.parameters.flatMap(\.value)
        #expect { try TrainedModel.read(into: other, from: path) } throws: { "\($0)".contains("tensors, the network needs") }
        #expect(other.parameters.flatMap(\.value) == before, "nothing changes on a failed read")
    }

    @Test func aDamagedOrMissingFileIsAClearError() throws {
        try TrainedModel.write(network(seed: 1), to: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[5] ^= 0xff
        try data.write(to: URL(fileURLWithPath: path))
        #expect { try TrainedModel.read(into: network(seed: 1), from: path) } throws: { "\($0)".contains("does not match the digest") }
        #expect { try TrainedModel.read(into: network(seed: 1), from: path + ".missing") } throws: { "\($0)".contains("no such file") }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path + ".json"))
        #expect { try TrainedModel.read(into: network(seed: 1), from: path) } throws: { "\($0)".contains("not a nasctl weights index") }
    }

    @Test(arguments: [-5, Int.min, Int.max - 3, 1_000_000])
    func anIndexOffsetOutsideTheDataIsAClearError(offset: Int) throws {
        try TrainedModel.write(network(seed: 1), to: path)
        var index = try TrainedModel.index(at: path)
        index.tensors[1].offset = offset
        try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: path + ".json"))
        let target = network(seed: 2)
        let before = state(target)
        #expect { try TrainedModel.read(into: target, from: path) } throws: { "\($0)".contains("offset \(offset)") && "\($0)".contains("do not fit") }
        #expect(state(target) == before, "nothing changes on a failed read")
    }
}
