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
    /// Security defaults: the API key (and the admin token) never appear in what the `tickrouter`
    /// executable prints — trace-level logs of a whole run, `plan` in text and JSON, `validate` —
    /// nor in any admin answer of the running process.
    @Suite("Security: secrets never shown", .serialized)
    struct SecretExposureTests {
        static let key = "KEY-sekrit-94c1be07"
        static let token = "TOKEN-sekrit-2a7d"

        /// Runs the executable to completion and returns its exit code and everything it printed.
        static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        /// ``run(_:_:environment:)`` on its own thread: it blocks, and the cooperative pool is small.
        static func runOffPool(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
            try await onOwnThread { Result { try run(executable, arguments, environment: environment) } }.get()
        }

        /// A TCP port nothing listens on right now (bind to 0, read it back, close).
        static func freePort() -> Int {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        @Test func theKeyIsInNoTraceLogPlanValidateOrAdminAnswer() async throws {
            guard let executable = ShutdownTests.executable() else { return }
            let provider = try await StandaloneProvider.start(SimulatorConfiguration(port: 0, symbolCount: 20, rate: 2000, apiKeys: [Self.key]))
            defer { provider.stop() }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-secret-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let adminPort = Self.freePort()
            let configPath = directory + "/c.yaml"
            try (RouterUnderTest.config(url: "ws://127.0.0.1:\(provider.port)", keyVariable: "MASSIVE_API_KEY", socket: directory + "/s.sock", connections: 2)
                + "\nadmin: { listen: 127.0.0.1:\(adminPort), token: \"${TICKROUTER_ADMIN_TOKEN}\" }\n")
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            let environment = ["MASSIVE_API_KEY": Self.key, "TICKROUTER_ADMIN_TOKEN": Self.token]
            var printed: [String: String] = [:]

            for format in ["text", "json"] {
                let (status, output) = try await Self.runOffPool(executable, ["plan", configPath, "--format", format], environment: environment)
                #expect(status == 0, "plan --format \(format): \(output)")
                #expect(output.contains("redacted"), "plan --format \(format) says a key is set, redacted")
                printed["plan \(format)"] = output
            }
            printed["validate"] = try await Self.runOffPool(executable, ["validate", configPath], environment: environment).1

            // A whole run at trace level, with the admin plane asked everything it answers.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", "--config", configPath, "--log-level", "trace"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let output = Collected()
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            pipe.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            try await waitUntil("both connections stream", limit: .seconds(60)) { provider.auths.count == 2 && output.text.components(separatedBy: "streaming ").count > 2 }
            let admin = AdminClient(host: "127.0.0.1", port: adminPort)
            for path in ["/", "/health", "/metrics", "/api/stats", "/api/connections", "/api/connections/c1", "/api/connections/c1/symbols"] {
                let answer = try await admin.request("GET", path)
                #expect(answer.status == 200 || (path == "/health" && answer.status == 503), "\(path): \(answer.status)")
                printed["GET \(path)"] = answer.text
            }
            for path in ["/api/reload", "/api/rebalance"] {
                printed["POST \(path) without token"] = try await admin.request("POST", path).text
                let answer = try await admin.request("POST", path, headers: [("Authorization", "Bearer \(Self.token)")])
                #expect(answer.status == 200, "\(path) with the token: \(answer.text)")
                printed["POST \(path)"] = answer.text
            }
            kill(process.processIdentifier, SIGTERM)
            try await waitUntil("the router exits", limit: .seconds(60)) { !process.isRunning }
            try await Task.sleep(for: .milliseconds(200))
            pipe.fileHandleForReading.readabilityHandler = nil
            printed["run --log-level trace"] = output.text
            #expect(output.text.contains(" trace ") || output.text.contains(" debug "), "the run really logged below info")

            for (what, text) in printed.sorted(by: { $0.key < $1.key }) {
                #expect(!text.contains(Self.key), "the API key appears in \(what)")
                #expect(!text.contains(Self.token), "the admin token appears in \(what)")
            }
            print("secrets: checked \(printed.count) outputs, \(printed.values.map(\.utf8.count).reduce(0, +)) bytes; run log \(output.text.utf8.count) bytes")
        }
    }
}
