// swift-tools-version: 6.2
import PackageDescription

/// Settings shared by every target (Swift 6 language mode comes with tools 6.2).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("ExistentialAny"),
]

/// The data path and the simulator are optimized in debug builds too: `swift test` streams the
/// default config at its full rate (an unoptimized decoder and generator manage a fraction of it),
/// and what the tests measure is the code that ships.
let hotPathSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "tickrouter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tickrouter", targets: ["tickrouter"]),
        .library(name: "TickRouter", targets: ["TickRouter"]),
        .library(name: "TickRouterConfig", targets: ["TickRouterConfig"]),
        .library(name: "TickRouterPlugins", targets: ["TickRouterPlugins"]),
        .library(name: "TickRouterSimulator", targets: ["TickRouterSimulator"]),
        .library(name: "TickRouterCLI", targets: ["TickRouterCLI"]),
        .library(name: "TickRouterAdmin", targets: ["TickRouterAdmin"]),
    ],
    // `NATS` adds the `nats` sink (libnats-dev + pkg-config needed): `swift build --traits NATS`.
    // Off by default so a machine without libnats builds everything else.
    traits: [
        .trait(name: "NATS", description: "The nats sink, over the system libnats (apt: libnats-dev)")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Config vocabulary and YAML loading with exact positions; no engine, no I/O beyond reading files.
        .target(
            name: "TickRouterConfig",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // The core: event model, decoder, plugin protocols and registry, engine (feed connections, processors, fan-out).
        .target(
            name: "TickRouter",
            dependencies: [
                "TickRouterConfig",
                "CMemoryHints",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: hotPathSettings
        ),
        // A prefetch hint for the hot path (Swift cannot spell one).
        .target(name: "CMemoryHints"),
        // A stand-in for the provider: speaks its WebSocket protocol, generates realistic events. Knows nothing of the router.
        .target(
            name: "TickRouterSimulator",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: hotPathSettings
        ),
        // The NATS C client (libnats 3.x) as a system library; only built with the NATS trait.
        .systemLibrary(
            name: "CNATS",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),
        // Built-in routing strategies and sinks: one conformance per file, registered by name.
        .target(
            name: "TickRouterPlugins",
            dependencies: [
                "TickRouter",
                .target(name: "CNATS", condition: .when(traits: ["NATS"])),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "Plugins",
            swiftSettings: swiftSettings
        ),
        // The admin plane: health, Prometheus metrics, the connections API and the dashboard, over HTTP.
        // glibc's heap figures and malloc_trim, for the admin plane and the host's heap reclaimer.
        .target(name: "CProcessHeap"),
        .target(
            name: "TickRouterAdmin",
            dependencies: [
                "TickRouter",
                "TickRouterConfig",
                "CProcessHeap",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line host as a library, so a third party can build its own binary with extra plugins.
        .target(
            name: "TickRouterCLI",
            dependencies: [
                "TickRouter",
                "TickRouterPlugins",
                "TickRouterSimulator",
                "TickRouterAdmin",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tickrouter",
            dependencies: ["TickRouter", "TickRouterCLI", "TickRouterPlugins"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickRouterConfigTests",
            dependencies: ["TickRouterConfig"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickRouterSimulatorTests",
            dependencies: [
                "TickRouterSimulator",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TickRouterTests",
            dependencies: [
                "TickRouter",
                "TickRouterPlugins",
                "TickRouterSimulator",
                "TickRouterCLI",
                "TickRouterAdmin",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .target(name: "CNATS", condition: .when(traits: ["NATS"])),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
