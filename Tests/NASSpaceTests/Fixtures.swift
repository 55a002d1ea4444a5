import Foundation
@testable import NASSpace

/// The repository root, found from this file's path (tests never depend on the working directory).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func configPath(_ name: String) -> String { repositoryRoot.appendingPathComponent("Configs/\(name)").path }

func defaultSpace() throws -> SearchSpace { try SearchSpace.load(file: configPath("mnasnet.yaml")) }

/// A small network space (32x32, 10 classes, 3 blocks) for tests that build weights.
let smallSpaceYAML = """
name: tiny
kind: network
input: {resolution: 32, channels: 3}
classes: 10
stem: {filters: 16, kernel: 3, stride: 2}
head: {filters: 64}
choices:
  op: [conv, sepconv, mbconv3, mbconv6]
  kernel: [3, 5]
  se: [0, 0.25]
  skip: [identity, none]
  width: [0.75, 1.0, 1.25]
  layers: [-1, 0, 1]
blocks:
  - {filters: 16, layers: 1, stride: 1, choices: {layers: [0, 1]}}
  - {filters: 24, layers: 2, stride: 2}
  - {filters: 40, layers: 2, stride: 2}
"""
