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
    /// Fault matrix: a `wss://` provider with a self-signed certificate (made with openssl for the
    /// test, served by the simulator through NIOSSL). Verified by default, so the router refuses it —
    /// and never sends the key; `tls.verify: false` or the certificate as `tls.ca_file` let it in.
    @Suite("Fault matrix: TLS endpoint with an untrusted certificate", .serialized)
    struct TLSFeedTests {
        /// A self-signed certificate for `localhost` and its key, as PEM files in a fresh directory.
        static func selfSignedCertificate() async throws -> (certificate: String, key: String) {
            // openssl blocks while it makes the key: on its own thread, off the small cooperative pool.
            try await onOwnThread { Result { try makeSelfSignedCertificate() } }.get()
        }

        static func makeSelfSignedCertificate() throws -> (certificate: String, key: String) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-tls-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw TimedOut(what: "openssl to make a certificate (exit \(process.terminationStatus))") }
            return (directory + "/cert.pem", directory + "/key.pem")
        }

        func withTLSProvider(_ body: (StandaloneProvider, String) async throws -> Void) async throws {
            let (certificate, key) = try await Self.selfSignedCertificate()
            let provider = try await StandaloneProvider.start(SimulatorConfiguration(
                port: 0, symbolCount: 20, rate: 2000, apiKeys: ["tls-key"], tlsCertificateFile: certificate, tlsKeyFile: key
            ))
            defer { provider.stop() }
            try await body(provider, certificate)
        }

        func start(_ provider: StandaloneProvider, tls: String) async throws -> RouterUnderTest {
            try await RouterUnderTest.start(environment: ["TLS_KEY": "tls-key"]) { socket in
                RouterUnderTest.config(
                    url: "wss://localhost:\(provider.port)", keyVariable: "TLS_KEY", socket: socket,
                    feedExtra: "  reconnect: { initial: 200ms, max: 1s }\n" + tls
                )
            }
        }

        @Test func anUntrustedCertificateIsRefusedByDefaultAndTheKeyIsNeverSent() async throws {
            try await withTLSProvider { provider, _ in
                let router = try await start(provider, tls: "")
                defer { router.task.cancel() }
                let stats = router.engine.stats.connections[0]
                try await waitUntil("several refused attempts") { stats.reconnects.load >= 3 }
                let refusals = router.logs.entries.filter { $0.level == .warning && "\($0.message)".contains("cannot connect") }
                print("untrusted certificate: \(stats.reconnects.load) attempts refused; first: \(refusals.first.map { "\($0.message)" } ?? "-")")
                #expect(stats.sessions.load == 0 && stats.state != .streaming, "never streamed")
                #expect(provider.simulator.connectionsAccepted == 0, "no WebSocket upgrade over an unverified connection")
                #expect(provider.auths.isEmpty, "the API key was never sent")
                #expect(!refusals.isEmpty, "each refusal is logged")
                #expect(refusals.contains { "\($0.message)".lowercased().contains("certificate") }, "the log says why: \(refusals.first.map { "\($0.message)" } ?? "")")
            }
        }

        @Test func aWssURLWithAnIPAddressIsAConfigErrorNotAReconnectLoop() throws {
            // TLS cannot send an IP address as the server name; the TLS library would refuse every attempt.
            let path = try writeTemporaryConfig(RouterUnderTest.config(url: "wss://127.0.0.1:8443", keyVariable: "K", socket: "/tmp/x.sock"))
            #expect {
                _ = try EnginePlanner(registry: .builtin).plan(file: path, environment: ["K": "k"])
            } throws: { error in
                guard let first = (error as? ConfigError)?.errors.first else { return false }
                return first.keyPath == "feed.url" && first.message.contains("host name") && first.location.line == 4
            }
        }

        @Test func tlsVerifyFalseAcceptsItExplicitlyWithAWarning() async throws {
            try await withTLSProvider { provider, _ in
                let router = try await start(provider, tls: "  tls: { verify: false }")
                defer { router.task.cancel() }
                #expect(router.engine.plan.warnings.contains { $0.keyPath.hasPrefix("feed.tls") }, "\(router.engine.plan.warnings)")
                try await expectStreams(router, provider)
            }
        }

        @Test func theCertificateAsCAFileIsVerifiedAndAccepted() async throws {
            try await withTLSProvider { provider, certificate in
                let router = try await start(provider, tls: "  tls: { ca_file: \(certificate) }")
                defer { router.task.cancel() }
                try await expectStreams(router, provider)
            }
        }

        func expectStreams(_ router: RouterUnderTest, _ provider: StandaloneProvider) async throws {
            let stats = router.engine.stats.connections[0]
            try await waitUntil("streaming over wss") { stats.state == .streaming }
            try await waitUntil("the socket") { FileManager.default.fileExists(atPath: router.socket) }
            let (ledger, reader) = SequenceLedger.tap(socket: router.socket, subscribe: "T.*,Q.*", for: .seconds(60))
            try await waitUntil("events over wss") { ledger.events > 100 }
            reader.cancel()
            _ = try? await reader.value
            #expect(ledger.figures.gaps.isEmpty && ledger.figures.repeats == 0)
            #expect(provider.auths.count == 1 && stats.reconnects.load == 0)
        }
    }
}
