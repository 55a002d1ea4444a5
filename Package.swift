// swift-tools-version: 6.1
import PackageDescription

/// Hot code is compiled for the host CPU: a latency table is per device anyway, and without
/// it Swift's SIMD types fall back to SSE2 and fused multiply-add becomes a library call.
/// Release builds keep every check (`precondition`, bounds, overflow) ...
let hostCPU: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-target-cpu", "native"], .when(configuration: .debug)),
]
/// ... except in the kernels' module (`NASKernels`), built with -Ounchecked: its inner loops
/// ran 7x slower with bounds checks (MobileNetV2 61 ms against 8.7 ms, Benchmarks/README.md).
/// Every size and index reaching it is validated where user input enters (space files,
/// architectures, data sets, weights, command-line flags).
let hotKernels: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native", "-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-target-cpu", "native"], .when(configuration: .debug)),
]

let package = Package(
    name: "nasctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nasctl", targets: ["nasctl"]),
        .library(name: "NASKernels", targets: ["NASKernels"]),
        .library(name: "NASEngine", targets: ["NASEngine"]),
        .library(name: "NASSpace", targets: ["NASSpace"]),
        .library(name: "NASLatency", targets: ["NASLatency"]),
        .library(name: "NASTraining", targets: ["NASTraining"]),
        .library(name: "NASSearch", targets: ["NASSearch"]),
        .library(name: "NASExport", targets: ["NASExport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries: a module map and a one-line shim header each.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]
        ),
        .systemLibrary(
            name: "CXNNPACK",
            providers: [.apt(["libxnnpack-dev", "libpthreadpool-dev"])]
        ),
        .systemLibrary(
            name: "CCPUInfo",
            pkgConfig: "libcpuinfo",
            providers: [.apt(["libcpuinfo-dev"])]
        ),

        // Command evaluators' guard process (fork, process group, kill on parent death): C, since
        // nothing between fork and exec may allocate.
        .target(name: "CGuardedSpawn"),
        // JPEG through libjpeg(-turbo): C, since libjpeg reports errors by longjmp.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),

        // Bottom: shapes, buffers, the thread pool and the kernels (unchecked in release), which pick
        // their family from the CPU's features (cpuinfo).
        .target(name: "NASKernels", dependencies: ["CBLAS", "CCPUInfo"], swiftSettings: hotKernels),
        // Layers and the network executors: over the kernels (re-exports NASKernels) and over
        // XNNPACK's operators.
        .target(name: "NASEngine", dependencies: ["NASKernels", "CXNNPACK"], swiftSettings: hostCPU),
        // Decisions, architectures, YAML search spaces, network builder.
        .target(name: "NASSpace", dependencies: ["NASEngine", .product(name: "Yams", package: "Yams")], swiftSettings: hostCPU),
        // Device identity, timing, profiler, latency tables, predictor, validation.
        .target(name: "NASLatency", dependencies: ["NASEngine", "NASSpace"], swiftSettings: hostCPU),
        // Data sets (IDX, gzip through zlib, PNG and JPEG image folders), trainer, layers.
        .target(name: "NASTraining", dependencies: ["NASEngine", "NASSpace", "CZlib", "CPNG", "CJPEG"], swiftSettings: hostCPU),
        // Strategies, schedulers, reward, evaluators, study stores (SQLite, PostgreSQL), Pareto reports.
        .target(name: "NASSearch", dependencies: ["NASEngine", "NASSpace", "NASLatency", "NASTraining", "CGuardedSpawn", .product(name: "GRDB", package: "GRDB.swift"),
                                                  .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
                swiftSettings: hostCPU),
        // ONNX export of trained networks, through swift-protobuf with code generated once from
        // ONNX's onnx.proto (scripts/generate-onnx-proto.sh; Generated/SHA256SUMS).
        .target(name: "NASExport", dependencies: ["NASEngine", "NASTraining", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Generated/SHA256SUMS"], swiftSettings: hostCPU),
        // Top: one subcommand per file.
        .executableTarget(
            name: "nasctl",
            dependencies: [
                "NASEngine", "NASSpace", "NASLatency", "NASTraining", "NASSearch", "NASExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hostCPU
        ),
        // Benchmark driver used by Benchmarks/*.py: times single layers and raw sgemm.
        .executableTarget(
            name: "kernel-bench",
            dependencies: ["NASEngine", "NASLatency", "NASTraining"],
            path: "Benchmarks/KernelBench",
            swiftSettings: hostCPU
        ),

        // Seeded mutation fuzzer for the readers of user files (scripts/fuzz.sh, CI).
        .executableTarget(
            name: "nasctl-fuzz",
            dependencies: ["NASEngine", "NASSpace", "NASLatency", "NASTraining", "NASSearch"],
            path: "Fuzz",
            exclude: ["corpus"],
            swiftSettings: hostCPU
        ),

        // Child processes for the tests (posix_spawn and waitpid, every wait bounded).
        .target(name: "CChildSpawn", path: "Tests/CChildSpawn"),
        .target(name: "ChildProcessSupport", dependencies: ["CChildSpawn"], path: "Tests/ChildProcessSupport"),
        .testTarget(name: "NASEngineTests", dependencies: ["NASEngine", "NASKernels"], swiftSettings: hostCPU),
        .testTarget(name: "NASSpaceTests", dependencies: ["NASSpace"], swiftSettings: hostCPU),
        .testTarget(name: "NASLatencyTests", dependencies: ["NASLatency"], swiftSettings: hostCPU),
        .testTarget(name: "NASTrainingTests", dependencies: ["NASTraining", "ChildProcessSupport"], swiftSettings: hostCPU),
        .testTarget(name: "NASSearchTests", dependencies: ["NASSearch", "ChildProcessSupport", .product(name: "GRDB", package: "GRDB.swift")], exclude: ["Fixtures"],
                    swiftSettings: hostCPU),
        .testTarget(name: "NASExportTests", dependencies: ["NASExport", .product(name: "SwiftProtobuf", package: "swift-protobuf")], swiftSettings: hostCPU),
        .testTarget(name: "nasctlTests", dependencies: ["nasctl", "ChildProcessSupport"], swiftSettings: hostCPU),
    ]
)
