import Foundation
import InMemoryLogging
import Logging
import NIOCore
import TickRouter
import TickRouterAdmin
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins
import TickRouterSimulator
import Testing

extension Reliability {
    /// Security defaults: a client that sends an endless action line (50 MiB, no newline) gets one
    /// error and cannot make the router buffer it. Measured on a separate `tickrouter run` process so
    /// its resident memory is not mixed with the other suites running in this one.
    @Suite("Security: action line limit", .serialized)
    struct ActionLineLimitTests {
        /// Resident set size of process `pid` in KiB (`VmRSS` of /proc/PID/status).
        static func residentKiB(_ pid: Int32) -> Int? {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
            else { return nil }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }

        @Test func aFiftyMebibyteLineWithoutNewlineIsRefusedOnceWithoutMemoryGrowth() async throws {
            guard let executable = ShutdownTests.executable() else { return }
            let configPath = try writeTemporaryConfig(SocketSecurityTests.config(sinkOptions: ""))
            let socket = (configPath as NSString).deletingLastPathComponent + "/s.sock"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", "--config", configPath]
            process.environment = ProcessInfo.processInfo.environment.merging(["TICKROUTER_SOCKET": socket]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            try await waitUntil("the socket", limit: .seconds(60)) { FileManager.default.fileExists(atPath: socket) }

            let client = try RawSocketClient(path: socket)
            #expect(await onOwnThread { client.readLines(1) }.first?.contains("connected") == true)
            // Blocking socket reads go to their own threads: the cooperative pool has two on this machine.
            // Warm up the client path (a normal subscribe), then take the baseline.
            client.send(#"{"action":"subscribe","params":"T.AAPL"}"#)
            _ = await onOwnThread { client.readLines(limit: .seconds(30)) { $0.contains("subscribed to: T.AAPL") } }
            client.send(#"{"action":"unsubscribe","params":"T.AAPL"}"#)
            _ = await onOwnThread { client.readLines(limit: .seconds(30)) { $0.contains("unsubscribed to: T.AAPL") } }
            _ = await onOwnThread { client.readLines(1000, limit: .milliseconds(500)) }
            let before = try #require(Self.residentKiB(process.processIdentifier))

            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            var peak = before
            for _ in 0..<50 {
                #expect(await onOwnThread { client.writeAll(chunk) }, "the router keeps reading")
                peak = max(peak, Self.residentKiB(process.processIdentifier) ?? 0)
            }
            let afterLine = try #require(Self.residentKiB(process.processIdentifier))
            client.send("")  // the newline that ends the refused line
            client.send(#"{"action":"subscribe","params":"T.MSFT"}"#)
            let lines = await onOwnThread { client.readLines(limit: .seconds(30)) { $0.contains("subscribed to: T.MSFT") } }
            let errors = lines.filter { $0.contains(#""status":"error""#) }
            print("50 MiB action line: RSS \(before) KiB before, peak \(peak) KiB, \(afterLine) KiB after; error lines \(errors)")
            #expect(errors.count == 1, "one refusal for one long line")
            #expect(errors.first?.contains("action longer than \(ClientAction.maxLineBytes) bytes") == true)
            #expect(lines.last?.contains("subscribed to: T.MSFT") == true, "the client is served again after the newline")
            #expect(peak - before < 16 * 1024, "resident memory grew \(peak - before) KiB for a 50 MiB line (bounded by the 1 MiB line limit)")
            kill(process.processIdentifier, SIGTERM)
            try await waitUntil("the router exits", limit: .seconds(60)) { !process.isRunning }
        }
    }
}
