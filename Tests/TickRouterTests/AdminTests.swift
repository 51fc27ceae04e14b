import Foundation
import Hummingbird
import HummingbirdTesting
import TickRouter
import TickRouterAdmin
import TickRouterCLI
import TickRouterSimulator
import Testing

/// The admin plane against a running engine on the built-in simulator: routes in process
/// (HummingbirdTesting), and real HTTP on the port the host bound.
@Suite("Admin plane", .serialized)
struct AdminTests {
    /// Routes over the running host's engine, served in process.
    private func application(_ host: TestHost, token: String? = nil) -> some ApplicationProtocol {
        let engine = host.engine
        let routes = AdminRoutes(engine: { engine }, token: token)
        return Application(router: routes.makeRouter())
    }

    @Test func routesAnswerWithThePlanAndLiveFigures() async throws {
        let host = try await TestHost.start(config: try Self.writeConfig(extra: ""))
        defer { Task { await host.stop() } }
        let plan = host.engine.plan
        // A first read-lag sample taken while the machine was busy can say 503 for a moment.
        try await waitUntil("every connection streams") { host.engine.stats.connections.allSatisfy { $0.state == .streaming } }
        try await Task.sleep(for: .seconds(1))
        try await application(host).test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok, "all connections stream: \(String(buffer: health.body))")
            #expect(String(buffer: health.body).contains(#""status":"ok""#))

            let list = try await client.execute(uri: "/api/connections", method: .get)
            #expect(list.status == .ok)
            let connections = try JSONDecoder().decode([AdminSnapshot.ConnectionFigures].self, from: Data(list.body.readableBytesView))
            #expect(connections.map(\.name) == plan.connections.map(\.name))
            #expect(connections.allSatisfy { $0.state == "streaming" })

            let one = try await client.execute(uri: "/api/connections/primary", method: .get)
            let primary = try JSONDecoder().decode(AdminSnapshot.ConnectionFigures.self, from: Data(one.body.readableBytesView))
            #expect(primary.name == "primary")
            #expect(primary.symbols == plan.connections[0].symbols.count)

            let symbols = try await client.execute(uri: "/api/connections/primary/symbols", method: .get)
            let text = String(buffer: symbols.body)
            let expected = plan.routing.symbols(on: 0)
            #expect(!expected.isEmpty)
            #expect(text.contains(#""count":\#(expected.count)"#))
            #expect(expected.allSatisfy { text.contains(#""\#($0)""#) })

            let missing = try await client.execute(uri: "/api/connections/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(String(buffer: missing.body).contains("primary"), "the answer lists the known connections")

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let exposition = String(buffer: metrics.body)
            #expect(metrics.status == .ok)
            for name in [
                #"tickrouter_connection_events_total{connection="primary"}"#,
                #"tickrouter_connection_state{connection="secondary",state="streaming"} 1"#,
                #"tickrouter_channel_received_events_total{channel="T"}"#,
                #"tickrouter_sink_dropped_events_total{sink="unix-socket",reason="slow_client"}"#,
                #"tickrouter_sink_delivered_events_total{sink="unix-socket"}"#,
            ] {
                #expect(exposition.contains(name), "metrics have \(name)")
            }
            #expect(!exposition.contains("AAPL"), "labels are never per symbol")

            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(!String(buffer: page.body).contains("http://"), "the dashboard loads nothing from elsewhere")

            let reload = try await client.execute(uri: "/api/reload", method: .post)
            // In process the router was not started from a file, so there is nothing to reload.
            #expect(reload.status == .notImplemented)
            #expect(String(buffer: reload.body).contains("no_config_file"))
        }
    }

    @Test func postRoutesNeedTheBearerTokenWhenOneIsSet() async throws {
        let host = try await TestHost.start(config: try Self.writeConfig(extra: ""))
        defer { Task { await host.stop() } }
        try await application(host, token: "s3cret-admin").test(.router) { client in
            let anonymous = try await client.execute(uri: "/api/rebalance", method: .post)
            #expect(anonymous.status == .unauthorized)
            let wrong = try await client.execute(uri: "/api/rebalance", method: .post, headers: [.authorization: "Bearer s3cret-admiN"])
            #expect(wrong.status == .unauthorized)
            let right = try await client.execute(uri: "/api/rebalance", method: .post, headers: [.authorization: "Bearer s3cret-admin"])
            #expect(right.status == .ok, "the right token passes; round-robin has no measured rebalance to apply")
            #expect(String(buffer: right.body).contains(#""applied":false"#))
            let read = try await client.execute(uri: "/api/connections", method: .get)
            #expect(read.status == .ok, "GET routes need no token")
            #expect(!String(buffer: anonymous.body).contains("s3cret"))
        }
    }

    @Test func theAPIKeyNeverAppearsInAnyAnswer() async throws {
        let key = "KEY-never-shown-7f3a9c"
        let config = try Self.writeConfig(extra: "  api_key: ${TEST_API_KEY}\n")
        let host = try await TestHost.start(config: config, environment: ["TEST_API_KEY": key])
        defer { Task { await host.stop() } }
        let port = try await #require(host.host.admin).waitUntilListening()
        let client = AdminClient(host: "127.0.0.1", port: port)
        try await waitUntil("every connection streams") { host.engine.stats.connections.allSatisfy { $0.state == .streaming } }
        for path in ["/", "/health", "/metrics", "/api/stats", "/api/connections", "/api/connections/primary", "/api/connections/primary/symbols"] {
            let answer = try await client.request("GET", path)
            // /health may say 503 for a moment (a first read-lag sample); either way it must not show the key.
            #expect(answer.status == 200 || (path == "/health" && answer.status == 503), "\(path) answers (\(answer.status))")
            #expect(!answer.text.contains(key), "\(path) does not show the API key")
        }
        for path in ["/api/reload", "/api/rebalance"] {
            let answer = try await client.request("POST", path)
            #expect(answer.status == (path == "/api/reload" ? 501 : 200))
            #expect(!answer.text.contains(key), "\(path) does not show the API key")
        }
    }

    @Test func aScrapeWhileStreamingMovesTheCountersConsistentlyWithAReader() async throws {
        let host = try await TestHost.start(config: try Self.writeConfig(extra: ""))
        defer { Task { await host.stop() } }
        let port = try await #require(host.host.admin).waitUntilListening()
        let client = AdminClient(host: "127.0.0.1", port: port)
        let before = try Self.metrics(try await client.request("GET", "/metrics").text)
        let summary = try await TapClient(socketPath: host.socketPath, subscribe: "T.*").run(for: .seconds(3))
        let after = try Self.metrics(try await client.request("GET", "/metrics").text)
        let stats = host.engine.stats

        func delta(_ name: String) -> Double { (after[name] ?? 0) - (before[name] ?? 0) }
        let forwardedT = delta(#"tickrouter_channel_forwarded_events_total{channel="T"}"#)
        let delivered = delta(#"tickrouter_sink_delivered_events_total{sink="unix-socket"}"#)
        let eventsIn = ["primary", "secondary", "fmv"].map { delta(#"tickrouter_connection_events_total{connection="\#($0)"}"#) }.reduce(0, +)
        print("scrape: reader got \(summary.events) T events; between scrapes T forwarded \(Int(forwardedT)), socket delivered \(Int(delivered)), events in \(Int(eventsIn))")
        #expect(summary.events > 0 && summary.gaps == 0)
        #expect(eventsIn > 0, "connection counters move")
        #expect(Double(summary.events) <= forwardedT, "every trade the reader got was forwarded between the scrapes")
        #expect(Double(summary.events) <= delivered, "and delivered by the socket sink")
        #expect(forwardedT <= eventsIn)
        #expect((after[#"tickrouter_connection_events_total{connection="primary"}"#] ?? 0) <= Double(stats.connections[0].events.load))
        #expect(after[#"tickrouter_sink_clients{sink="unix-socket"}"#] != nil)
    }

    @Test func metricsHaveASinkLatencyHistogramThatMovesAndClientQueueDepthsWhileStreaming() async throws {
        let host = try await TestHost.start(config: try Self.writeConfig(extra: ""))
        defer { Task { await host.stop() } }
        let port = try await #require(host.host.admin).waitUntilListening()
        let client = AdminClient(host: "127.0.0.1", port: port)
        let count = #"tickrouter_sink_latency_seconds_count{sink="unix-socket"}"#
        let reader = Task { try await TapClient(socketPath: host.socketPath, subscribe: "T.*,Q.*").run(for: .seconds(5)) }
        defer { reader.cancel() }
        try await waitUntil("the reader is connected") { (host.engine.stats.sink(named: "unix-socket")?.clients.load ?? 0) > 0 }
        let first = try await client.request("GET", "/metrics").text
        let before = try Self.metrics(first)
        try await waitUntilAsync("the histogram count moves between scrapes", limit: .seconds(60)) {
            let now = try Self.metrics(try await client.request("GET", "/metrics").text)
            return (now[count] ?? 0) > (before[count] ?? 0)
        }
        let text = try await client.request("GET", "/metrics").text
        let after = try Self.metrics(text)
        #expect(text.contains("# TYPE tickrouter_sink_latency_seconds histogram"))
        let infinity = #"tickrouter_sink_latency_seconds_bucket{sink="unix-socket",le="+Inf"}"#
        #expect(after[infinity] == after[count], "+Inf bucket equals the count")
        let small = #"tickrouter_sink_latency_seconds_bucket{sink="unix-socket",le="0.00001"}"#
        let large = #"tickrouter_sink_latency_seconds_bucket{sink="unix-socket",le="10"}"#
        #expect((after[small] ?? -1) <= (after[large] ?? -2), "buckets are cumulative")
        #expect((after[#"tickrouter_sink_latency_seconds_sum{sink="unix-socket"}"#] ?? 0) > 0)
        #expect(after[#"tickrouter_sink_latency_seconds_count{sink="stdout"}"#] != nil, "every sink has a histogram")
        #expect(after[#"tickrouter_sink_client_queued_events{sink="unix-socket"}"#] != nil)
        // Per-event write latency from the HDR histogram: a summary whose quantiles are ordered.
        #expect(text.contains("# TYPE tickrouter_sink_write_latency_seconds summary"))
        let written = after[#"tickrouter_sink_write_latency_seconds_count{sink="unix-socket"}"#] ?? 0
        #expect(written > 0, "events written to the reader are timed")
        let p50 = after[#"tickrouter_sink_write_latency_seconds{sink="unix-socket",quantile="0.5"}"#] ?? -1
        let p99 = after[#"tickrouter_sink_write_latency_seconds{sink="unix-socket",quantile="0.99"}"#] ?? -1
        #expect(p50 > 0 && p50 <= p99, "p50 \(p50) s ≤ p99 \(p99) s")
        #expect(after[#"tickrouter_sink_write_latency_seconds_count{sink="stdout"}"#] == nil, "only sinks with client sockets time writes")
        // A window: what was written since the previous window, then a fresh one.
        let windowJSON = try await client.request("POST", "/api/latency/window").text
        let windows = try JSONSerialization.jsonObject(with: Data(windowJSON.utf8)) as? [[String: Any]] ?? []
        let socketWindow = try #require(windows.first { $0["sink"] as? String == "unix-socket" }?["figures"] as? [String: Any])
        #expect((socketWindow["count"] as? Int ?? 0) > 0)
        #expect(after[#"tickrouter_sink_client_queue_deepest_events{sink="unix-socket"}"#] != nil)
        // A client that subscribes and never reads: its queue shows in the deepest-queue gauge.
        let stalled = try RawSocketClient(path: host.socketPath)
        stalled.send(#"{"action":"subscribe","params":"T.*,Q.*"}"#)
        let deepest = #"tickrouter_sink_client_queue_deepest_events{sink="unix-socket"}"#
        var depths: [String: Double] = [:]
        try await waitUntilAsync("a stalled client's queue shows in /metrics", limit: .seconds(60)) {
            depths = try Self.metrics(try await client.request("GET", "/metrics").text)
            return (depths[deepest] ?? 0) > 0
        }
        let queuedTotal = depths[#"tickrouter_sink_client_queued_events{sink="unix-socket"}"#] ?? 0
        #expect(queuedTotal >= depths[deepest] ?? 0, "the total over clients is at least the deepest queue")
        #expect(!text.contains("AAPL"), "labels are never per symbol")
        let latency = try #require(host.engine.stats.sink(named: "unix-socket")).latency.snapshot
        func milliseconds(_ q: Double) -> String {
            guard let bound = latency.quantile(q) else { return "-" }
            return bound == .max ? ">10 s" : "≤\(Double(bound) / 1e6) ms"
        }
        print(
            "sink latency unix-socket: \(latency.count) batches, p50 \(milliseconds(0.5)), p99 \(milliseconds(0.99)), p99.9 \(milliseconds(0.999)), "
                + "mean \(Double(latency.sumNanoseconds) / Double(max(1, latency.count)) / 1e6) ms; "
                + "count between scrapes \(Int((before[count] ?? 0)))→\(Int(after[count] ?? 0)); "
                + "with a stalled client: client queues total \(Int(queuedTotal)), deepest \(Int(depths[deepest] ?? -1))"
        )
        withExtendedLifetime(stalled) {}
    }

    @Test func latencyBucketsAreInclusiveUpperBoundsAndQuantilesNameABucket() {
        let histogram = LatencyHistogram()
        #expect(histogram.snapshot.quantile(0.5) == nil, "no sample, no quantile")
        histogram.record(nanoseconds: 10_000)  // exactly on the first bound: counted in it
        histogram.record(nanoseconds: 10_001)
        histogram.record(nanoseconds: 3_000_000)
        histogram.record(nanoseconds: 20_000_000_000)  // above the last bound (10 s)
        let snapshot = histogram.snapshot
        #expect(snapshot.counts.count == LatencyHistogram.boundsNanoseconds.count + 1)
        #expect(snapshot.counts[0] == 1 && snapshot.counts[1] == 1 && snapshot.counts.last == 1)
        #expect(snapshot.count == 4)
        #expect(snapshot.sumNanoseconds == 10_000 + 10_001 + 3_000_000 + 20_000_000_000)
        #expect(snapshot.quantile(0.25) == 10_000)
        #expect(snapshot.quantile(0.75) == 5_000_000)
        #expect(snapshot.quantile(1) == .max)
    }

    @Test func healthTurns503WhenTheSimulatorDropsAConnectionAnd200AfterRecovery() async throws {
        let host = try await TestHost.start(config: try Self.writeConfig(extra: ""))
        defer { Task { await host.stop() } }
        let port = try await #require(host.host.admin).waitUntilListening()
        let client = AdminClient(host: "127.0.0.1", port: port)
        let reconnectsBefore = host.engine.stats.connections.map { $0.reconnects.load }.reduce(0, +)
        // Healthy once the first health refresh has seen everything streaming (on a loaded machine the
        // first read-lag sample can be late); the loop only guards against a hang.
        var initial = try await client.request("GET", "/health").status
        for _ in 0..<600 where initial != 200 {
            try await Task.sleep(for: .milliseconds(100))
            initial = try await client.request("GET", "/health").status
        }
        #expect(initial == 200)
        try #require(host.host.simulator).faults.dropConnections()
        var down: AdminClient.Answer?
        try await waitUntilAsync("health reports the dropped connection") {
            let answer = try await client.request("GET", "/health")
            if answer.status == 503 { down = answer }
            return answer.status == 503
        }
        let reasons = try JSONDecoder().decode(HealthReport.self, from: Data(down?.body ?? []))
        print("health while down: \(down?.text ?? "")")
        #expect(reasons.reasons.contains { $0.code == "connection_down" })
        try await waitUntilAsync("health recovers after the reconnect", limit: .seconds(60)) {
            try await client.request("GET", "/health").status == 200
        }
        #expect(host.engine.stats.connections.map { $0.reconnects.load }.reduce(0, +) > reconnectsBefore)
    }

    @Test func theDashboardRendersTheConnectionTableInHeadlessChromium() async throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("SKIPPED dashboard test: chromium is not installed here (apt-get install -y chromium; .ci/run installs it)")
            return
        }
        let host = try await TestHost.start(config: try Self.writeConfig(extra: ""))
        defer { Task { await host.stop() } }
        let port = try await #require(host.host.admin).waitUntilListening()
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-chromium-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile.path)",
            "--virtual-time-budget=5000", "--dump-dom", "http://127.0.0.1:\(port)/",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A hang guard: a browser that never finishes is killed, and the assertions below fail.
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        // Read off the cooperative pool: the read blocks until the browser exits.
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            DispatchQueue.global().async { continuation.resume(returning: output.fileHandleForReading.readDataToEndOfFile()) }
        }
        watchdog.cancel()
        process.waitUntilExit()
        let dom = String(decoding: data, as: UTF8.self)
        print("dashboard DOM: \(dom.utf8.count) bytes")
        for name in host.engine.plan.connections.map(\.name) {
            #expect(dom.contains("<td>\(name)</td>"), "the connection table has a row for \(name)")
        }
        #expect(dom.contains(#"class="l state-streaming">streaming</td>"#))
        #expect(dom.contains("<td>unix-socket</td>"), "the sink table is filled")
        #expect(dom.contains("<td>≤ "), "a sink shows its latency percentiles")
    }

    // MARK: helpers

    /// The default config at a lighter rate (these tests share two cores with every other suite),
    /// with `extra` lines added to its `feed` section, in a temporary file.
    static func writeConfig(extra: String) throws -> String {
        let text = try String(contentsOfFile: TestHost.repositoryRoot + "/config/tickrouter.yaml", encoding: .utf8)
            .replacingOccurrences(of: "feed:\n", with: "feed:\n" + extra)
            .replacingOccurrences(of: "rate: 60000", with: "rate: 12000")
            .replacingOccurrences(of: "files: [config/universes/top100.yaml]", with: "files: [\(TestHost.repositoryRoot)/config/universes/top100.yaml]")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-admin-\(UUID().uuidString.prefix(8)).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `name{labels} value` lines of a Prometheus exposition.
    static func metrics(_ text: String) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }
}

/// Polls an async `condition` every 100 ms for up to `limit` (a hang guard, not a timing assertion).
func waitUntilAsync(_ what: String, limit: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(100))
    }
}
