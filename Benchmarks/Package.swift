// swift-tools-version: 6.2
// Benchmarks for TickRouter (ordo-one/benchmark). Not part of CI: run with
//   cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "TickRouterBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tickrouter", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Frames shared by the decoder benchmark and the profiling loop.
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "TickRouter", package: "tickrouter")],
            path: "Benchmarks/BenchmarkSupport"
        ),
        // The decoder in a plain loop, for perf and callgrind.
        .executableTarget(
            name: "DecoderProfile",
            dependencies: ["BenchmarkSupport", .product(name: "TickRouter", package: "tickrouter")],
            path: "Benchmarks/DecoderProfile"
        ),
        .executableTarget(
            name: "DecoderBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TickRouter", package: "tickrouter"),
            ],
            path: "Benchmarks/DecoderBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EndToEndBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TickRouter", package: "tickrouter"),
                .product(name: "TickRouterCLI", package: "tickrouter"),
                .product(name: "TickRouterPlugins", package: "tickrouter"),
            ],
            path: "Benchmarks/EndToEndBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
