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
    /// Security defaults of the admin plane: loopback unless configured otherwise (and a warning when
    /// it is opened up without a token), and the bearer token enforced on every POST route over HTTP.
    @Suite("Security: the admin plane", .serialized)
    struct AdminSecurityTests {
        static func plan(admin: String, environment: [String: String] = [:]) throws -> EnginePlan {
            let path = try writeTemporaryConfig("""
                feed: { provider: simulator, market: stocks, max_connections: 1, simulator: { symbols: 20, rate: 2000 } }
                connections: [ { name: primary, feed: realtime, channels: [T] } ]
                universe: { symbols: [AAPL] }
                sinks: [ { type: stdout, format: summary } ]
                admin: \(admin)
                """)
            return try EnginePlanner(registry: .builtin).plan(file: path, environment: environment)
        }

        /// An IPv4 address of this machine that is not loopback, if it has one.
        static func externalAddress() -> String? {
            var list: UnsafeMutablePointer<ifaddrs>?
            guard getifaddrs(&list) == 0, let first = list else { return nil }
            defer { freeifaddrs(list) }
            for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
                guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
                var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count))
                let string = String(cString: text)
                if !string.hasPrefix("127.") { return string }
            }
            return nil
        }

        @Test func theDefaultListenAddressIsLoopbackAndNothingAnswersOnOtherInterfaces() async throws {
            let plan = try Self.plan(admin: "{}")
            #expect(plan.configuration.admin?.listen == "127.0.0.1:9464")
            #expect(plan.warnings.isEmpty, "\(plan.warnings)")
            // A listen address without a host is loopback too.
            let server = AdminServer(listen: ":0", routes: AdminRoutes(engine: { nil }), logger: Logger(label: "admin"))
            #expect(server.host == "127.0.0.1")
            let task = Task { try await server.run() }
            defer { task.cancel() }
            let port = try await server.waitUntilListening()
            #expect(try await AdminClient(host: "127.0.0.1", port: port).request("GET", "/health").status == 503, "answers on loopback (starting)")
            guard let external = Self.externalAddress() else {
                print("SKIPPED external-interface check: this machine has no non-loopback IPv4 address")
                return
            }
            await #expect(throws: (any Error).self, "\(external):\(port) must refuse") {
                _ = try await AdminClient(host: external, port: port).request("GET", "/health")
            }
        }

        @Test func openingItBeyondLoopbackWithoutATokenIsAWarning() throws {
            let open = try Self.plan(admin: "{ listen: 0.0.0.0:9464 }")
            #expect(open.configuration.admin?.listen == "0.0.0.0:9464", "configured otherwise: honoured")
            #expect(open.warnings.contains { $0.keyPath == "admin.listen" && $0.message.contains("without a token") }, "\(open.warnings)")
            let guarded = try Self.plan(admin: "{ listen: 0.0.0.0:9464, token: \"${ADMIN_TOKEN}\" }", environment: ["ADMIN_TOKEN": "t"])
            #expect(!guarded.warnings.contains { $0.keyPath == "admin.listen" })
        }

        @Test func everyPostRouteAnswers401WithoutOrWithAWrongTokenOverHTTP() async throws {
            let token = "tok-3f9a1c"
            let routes = AdminRoutes(engine: { nil }, token: token)
            let server = AdminServer(listen: "127.0.0.1:0", routes: routes, logger: Logger(label: "admin"))
            let task = Task { try await server.run() }
            defer { task.cancel() }
            let client = AdminClient(host: "127.0.0.1", port: try await server.waitUntilListening())
            for path in ["/api/reload", "/api/rebalance", "/api/rebalance?force=true"] {
                for headers in [[], [("Authorization", "Bearer tok-3f9a1")], [("Authorization", "Bearer tok-3f9a1cX")], [("Authorization", token)]] {
                    let answer = try await client.request("POST", path, headers: headers)
                    #expect(answer.status == 401, "POST \(path) with \(headers.map(\.1)): \(answer.status)")
                    #expect(!answer.text.contains(token))
                }
                let right = try await client.request("POST", path, headers: [("Authorization", "Bearer \(token)")])
                #expect(right.status != 401, "POST \(path) with the token passes (then finds no engine): \(right.status)")
            }
            #expect(try await client.request("GET", "/api/connections").status != 401, "GET routes need no token")
        }
    }
}
