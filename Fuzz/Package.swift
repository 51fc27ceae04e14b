// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// libFuzzer targets for TickRouter's parsers of untrusted input. A package of its own so the main
/// package's builds are never instrumented: `scripts/fuzz` builds it with
/// `swift build -c release --sanitize=fuzzer -Xcc -fno-sanitize=fuzzer` (coverage counters in the
/// Swift modules, none in the C ones, libFuzzer's `main` linked in), and each target exposes
/// `LLVMFuzzerTestOneInput` (`-parse-as-library`: no Swift `main` of its own).
///
/// The main package is a path dependency; its identity is its directory's name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let main = root.lastPathComponent

let settings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "TickRouterFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: root.path)],
    targets: [
        // FrameDecoder.decode / decodeEvent on provider frames, in every market.
        .executableTarget(
            name: "FuzzFrameDecoder",
            dependencies: [.product(name: "TickRouter", package: main), .product(name: "TickRouterConfig", package: main)],
            swiftSettings: settings
        ),
        // ConfigurationLoader.load(yaml:) and the planner with the built-in plugins, on YAML text.
        .executableTarget(
            name: "FuzzConfigLoader",
            dependencies: [
                .product(name: "TickRouter", package: main), .product(name: "TickRouterConfig", package: main),
                .product(name: "TickRouterPlugins", package: main),
            ],
            swiftSettings: settings
        ),
        // ClientAction.parse and topics(market:symbols:) on Unix-socket / WebSocket action lines.
        .executableTarget(
            name: "FuzzClientAction",
            dependencies: [.product(name: "TickRouter", package: main), .product(name: "TickRouterConfig", package: main)],
            swiftSettings: settings
        ),
    ]
)
