import Foundation
import Testing

/// The `file` sink through the real binary: `tickrouter run` with a file sink at a simulator rate
/// of 60,000 events/s, stopped with SIGTERM, then every file read back (gzipped ones through
/// `gzip -dc`) and checked by sequence numbers.
@Suite("File sink", .serialized, .enabled(if: LoadTests.enabled, LoadTests.reason))
struct FileSinkTests {
    static var binary: String? {
        let candidates = [ProcessInfo.processInfo.environment["TICKROUTER_BIN"], TestHost.repositoryRoot + "/.build/debug/tickrouter"]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let config = """
        feed:
          provider: simulator
          market: stocks
          max_connections: 2
          simulator: { symbols: 100, rate: 60000, events_per_frame: 50 }
        connections:
          - { name: primary, feed: realtime, channels: [T, Q, A, AM, LULD, NOI] }
          - { name: secondary, feed: realtime, channels: [T, Q, A, AM, LULD, NOI] }
        universe:
          files: [\(TestHost.repositoryRoot)/config/universes/top100.yaml]
        routing:
          strategy: round-robin
        sinks:
          - { type: file, path: "out/{market}/{date}/{channel}.ndjson", max_bytes: 2MiB, gzip: true, fsync: rotate }
        shutdown: { timeout: 30s }   # generous for a loaded CI machine; the engine logs when it is passed
        """

    @Test func sigtermLeavesEveryAcceptedEventOnDiskWithNoMissingSequenceNumber() async throws {
        let binary = try #require(Self.binary, "build the tickrouter product (swift build --build-tests builds it)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-file-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.config.write(to: directory.appendingPathComponent("tickrouter.yaml"), atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", "tickrouter.yaml"]
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let log = LogCollector()
        output.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()

        // Run until at least two files were rotated (and so gzipped) under full load.
        let started = ContinuousClock.now
        try await waitUntil("two rotated files", limit: .seconds(120)) {
            Self.files(in: directory.path).filter { $0.hasSuffix(".gz") }.count >= 2
        }
        // A few more seconds under load, so SIGTERM lands mid-stream with files open and buffers full.
        try await Task.sleep(for: .seconds(4))
        let elapsed = ContinuousClock.now - started
        let signalled = ContinuousClock.now
        process.terminate()  // SIGTERM
        try await waitUntil("tickrouter to exit", limit: .seconds(60)) { !process.isRunning }
        let stopping = ContinuousClock.now - signalled
        output.fileHandleForReading.readabilityHandler = nil
        log.append(output.fileHandleForReading.readDataToEndOfFile())
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0, "\(log.text.suffix(2000))")
        // Within shutdown.timeout: the engine measures its own deadline and says when it passed it
        // (then it cancels the drain and counts what was left as `shutdown` drops, checked below).
        #expect(!log.text.contains("shutdown took longer than"), "drained and exited within shutdown.timeout (30s)")
        #expect(log.text.contains("engine stopped"), "the graceful shutdown ran to its end")

        let summary = try #require(log.text.split(separator: "\n").first { $0.contains("file sink closed:") }, "\(log.text.suffix(2000))")
        let numbers = summary.split(separator: ":").last?.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } ?? []
        try #require(numbers.count == 3, "\(summary)")
        let (written, accepted, dropped) = (numbers[0], numbers[1], numbers[2])

        var lines = 0
        var sequences: [String: [Int]] = [:]
        for path in Self.files(in: directory.path) where path.contains("/out/") {
            let data = path.hasSuffix(".gz") ? try Self.gunzip(path) : try Data(contentsOf: URL(fileURLWithPath: path))
            for line in data.split(separator: UInt8(ascii: "\n")) {
                lines += 1
                guard let event = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    let channel = event["ev"] as? String
                else {
                    Issue.record("unparsable line in \(path)")
                    continue
                }
                let symbol = (event["sym"] as? String) ?? (event["T"] as? String) ?? "?"
                if let sequence = (channel == "NOI" ? event["i"] : event["q"]) as? Int {
                    sequences["\(channel).\(symbol)", default: []].append(sequence)
                }
            }
        }
        var missing = 0
        for (_, list) in sequences {
            let sorted = list.sorted()
            for (a, b) in zip(sorted, sorted.dropFirst()) where b - a > 1 { missing += b - a - 1 }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("file sink: \(written) events written in about \(String(format: "%.1f", seconds)) s (\(Int(Double(written) / seconds)) events/s achieved), \(sequences.count) (channel, symbol) streams, \(missing) missing; SIGTERM to exit \(stopping) (shutdown.timeout 30s)")

        #expect(written > 10_000)
        #expect(dropped == 0)
        #expect(written == accepted, "every accepted event reached the files")
        #expect(lines == written, "the files hold exactly what the sink counted")
        #expect(missing == 0, "no sequence number missing in any (channel, symbol)")
        #expect(sequences.count > 100)
    }

    @Test func timeRotationNumbersClosedFilesAndGzipsThem() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-rotate-\(UUID().uuidString.prefix(8))").path
        let host = try await TestHost.start(config: "Tests/TickRouterTests/Fixtures/configs/file-rotation.yaml", environment: ["TR_OUT": directory])
        defer {
            // Stop the router before its output directory goes.
            Task {
                await host.stop()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        // Per (channel, symbol) file, rotated every second: AAPL trades get T-AAPL.1.ndjson.gz, .2, ...
        try await waitUntil("three rotated AAPL trade files", limit: .seconds(60)) {
            (1...3).allSatisfy { FileManager.default.fileExists(atPath: directory + "/stocks/T-AAPL.\($0).ndjson.gz") }
        }
        var sequences: [Int] = []
        for index in 1...3 {
            let data = try Self.gunzip(directory + "/stocks/T-AAPL.\(index).ndjson.gz")
            for line in data.split(separator: UInt8(ascii: "\n")) {
                let event = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
                #expect(event["ev"] as? String == "T" && event["sym"] as? String == "AAPL")
                if let q = event["q"] as? Int { sequences.append(q) }
            }
        }
        #expect(!sequences.isEmpty)
        let missing = zip(sequences, sequences.dropFirst()).reduce(0) { $0 + max(0, $1.1 - $1.0 - 1) }
        #expect(missing == 0, "consecutive across rotated files (\(missing) missing)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/stocks/T-AAPL.1.ndjson"), "the uncompressed original is removed")
    }

    static func files(in directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    static func gunzip(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gzip -dc \(path)")
        return data
    }
}

/// Output of a child process, collected from its pipe's handler thread.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
