// swift-tools-version: 6.2
import PackageDescription

// A TickRouter Unix-socket consumer in Swift with Foundation only: `swift run TickConsumer --help`.
let package = Package(
    name: "TickConsumer",
    targets: [.executableTarget(name: "TickConsumer")]
)
