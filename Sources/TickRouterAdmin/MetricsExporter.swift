public import Prometheus
import Synchronization
public import TickRouter
import TickRouterConfig

/// Exports an engine's figures in the Prometheus text format.
///
/// The data path keeps its own relaxed atomic counters (``EngineStats``); this exporter copies
/// them into Prometheus collectors only when `/metrics` is scraped, so a scrape costs the data
/// path nothing. Labels are bounded: connection, channel, sink, state and reason, never a symbol.
/// Metrics recorded through swift-metrics (when `MetricsSystem` is bootstrapped with a
/// `PrometheusMetricsFactory` over the same ``registry``) appear in the same output.
public final class MetricsExporter: Sendable {
    /// The registry scraped by `/metrics`.
    public let registry: PrometheusCollectorRegistry
    private let exported = Mutex<[ObjectIdentifier: Exported]>([:])
    private let scrape = Mutex<Void>(())

    /// The collectors of one engine, made on its first scrape.
    private final class Exported: Sendable {
        struct Connection: Sendable {
            let states: [(FeedConnectionState, Gauge)]
            let frames, events, bytes, errors, reconnects: Prometheus.Counter
            let readLag, symbols: Gauge
        }
        struct Channel: Sendable {
            let received, forwarded: Prometheus.Counter
            let quarantined: [Prometheus.Counter]
            let shaped: [Prometheus.Counter]
        }
        struct Sink: Sendable {
            let accepted, delivered: Prometheus.Counter
            let dropped: [Prometheus.Counter]
            let clients, queued: Gauge
            let clientQueued, clientDeepest: Gauge
        }
        let connections: [Connection]
        let channels: [Channel]
        let sinks: [Sink]
        let uptime: Gauge
        let quarantineRecent: Gauge
        let heapInUse, heapFree, residentAnonymous: Gauge
        let heapReleases: Prometheus.Counter

        init(engine: Engine, registry: PrometheusCollectorRegistry) {
            func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Prometheus.Counter {
                registry.makeCounter(
                    descriptor: MetricNameDescriptor(namespace: "tickrouter", metricName: name, unitName: "total", helpText: help), labels: labels
                )
            }
            func gauge(_ name: String, _ unit: String, _ help: String, _ labels: [(String, String)]) -> Gauge {
                registry.makeGauge(
                    descriptor: MetricNameDescriptor(namespace: "tickrouter", metricName: name, unitName: unit, helpText: help), labels: labels
                )
            }
            let stats = engine.stats
            connections = zip(engine.plan.connections, stats.connections).map { plan, _ in
                let label = [("connection", plan.name)]
                let allStates: [FeedConnectionState] = [.idle, .connecting, .authenticating, .subscribing, .streaming, .backingOff, .coolingDown, .failed, .stopped]
                return Connection(
                    states: allStates.map { state in
                        (state, gauge("connection_state", "", "1 for the connection's current state, 0 for the others", label + [("state", state.description)]))
                    },
                    frames: counter("connection_frames", "WebSocket frames read", label),
                    events: counter("connection_events", "events read", label),
                    bytes: counter("connection_bytes", "frame bytes read", label),
                    errors: counter("connection_malformed_frames", "frames that could not be decoded (quarantined)", label),
                    reconnects: counter("connection_reconnects", "sessions started after the first", label),
                    readLag: gauge("connection_read_lag", "seconds", "now minus the time of the newest event read", label),
                    symbols: gauge("connection_symbols", "", "symbols routed to the connection", label)
                )
            }
            channels = stats.channels.map { channel in
                let label = [("channel", channel.channel?.code ?? "unknown")]
                return Channel(
                    received: counter("channel_received_events", "events received", label),
                    forwarded: counter("channel_forwarded_events", "events handed to sinks", label),
                    quarantined: channel.quarantined.names.map {
                        counter("channel_quarantined_events", "events quarantined, by reason", label + [("reason", $0)])
                    },
                    shaped: channel.shaped.names.map {
                        counter(
                            "channel_shaped_events", "events removed, held back or marked by the processors (dedup, throttle, rate cap, bars), by reason",
                            label + [("reason", $0)]
                        )
                    }
                )
            }
            sinks = stats.sinks.map { sink in
                let label = [("sink", sink.name)]
                return Sink(
                    accepted: counter("sink_accepted_events", "events accepted into the sink's queue", label),
                    delivered: counter("sink_delivered_events", "events delivered by the sink", label),
                    dropped: sink.dropped.names.map { counter("sink_dropped_events", "events lost, by reason", label + [("reason", $0)]) },
                    clients: gauge("sink_clients", "", "connected clients", label),
                    queued: gauge("sink_queued_events", "", "events accepted and not yet taken by the sink", label),
                    clientQueued: gauge("sink_client_queued_events", "", "events waiting in the queues of all the sink's clients", label),
                    clientDeepest: gauge("sink_client_queue_deepest_events", "", "events waiting in the sink's deepest client queue", label)
                )
            }
            uptime = gauge("uptime", "seconds", "seconds since the engine started", [])
            quarantineRecent = gauge("quarantine_recent_entries", "", "entries in the recent-quarantine ring", [])
            heapInUse = gauge("process_heap_in_use", "bytes", "bytes the process holds in malloc's heap", [])
            heapFree = gauge("process_heap_free", "bytes", "bytes malloc keeps in free chunks (resident or given back)", [])
            residentAnonymous = gauge("process_resident_anonymous", "bytes", "resident memory not backed by files", [])
            heapReleases = counter("process_heap_releases", "times the heap reclaimer gave free memory back to the kernel", [])
        }

        func update(from engine: Engine) {
            let stats = engine.stats
            let snapshot = AdminSnapshot(engine: engine)
            for (index, figures) in stats.connections.enumerated() {
                let exported = connections[index]
                let state = figures.state
                for (candidate, gauge) in exported.states { gauge.set(Int64(candidate == state ? 1 : 0)) }
                Self.set(exported.frames, figures.frames.load)
                Self.set(exported.events, figures.events.load)
                Self.set(exported.bytes, figures.bytes.load)
                Self.set(exported.errors, figures.malformedFrames.load)
                Self.set(exported.reconnects, figures.reconnects.load)
                exported.readLag.set(Double(snapshot.connections[index].readLagMillis ?? 0) / 1000)
                exported.symbols.set(Int64(snapshot.connections[index].symbols))
            }
            for (index, figures) in stats.channels.enumerated() {
                Self.set(channels[index].received, figures.received.load)
                Self.set(channels[index].forwarded, figures.forwarded.load)
                for (reasonIndex, entry) in figures.quarantined.snapshot.enumerated() {
                    Self.set(channels[index].quarantined[reasonIndex], entry.count)
                }
                for (reasonIndex, entry) in figures.shaped.snapshot.enumerated() {
                    Self.set(channels[index].shaped[reasonIndex], entry.count)
                }
            }
            for (index, figures) in stats.sinks.enumerated() {
                Self.set(sinks[index].accepted, figures.accepted.load)
                Self.set(sinks[index].delivered, figures.delivered.load)
                for (reasonIndex, entry) in figures.dropped.snapshot.enumerated() { Self.set(sinks[index].dropped[reasonIndex], entry.count) }
                sinks[index].clients.set(Int64(figures.clients.load))
                sinks[index].queued.set(Int64(snapshot.sinks[index].queuedEvents))
                let clientQueues = figures.clientQueues.aggregate
                sinks[index].clientQueued.set(Int64(clientQueues.total))
                sinks[index].clientDeepest.set(Int64(clientQueues.deepest))
            }
            uptime.set(snapshot.uptimeSeconds)
            quarantineRecent.set(Int64(stats.quarantine.recent.count))
            let heap = ProcessHeap.figures
            heapInUse.set(Int64(heap.inUse))
            heapFree.set(Int64(heap.free))
            residentAnonymous.set(Int64(heap.residentAnonymous))
            Self.set(heapReleases, ProcessHeap.releases.load(ordering: .relaxed))
        }

        /// Sets a Prometheus counter to a total kept elsewhere (scrapes are serialised by the exporter).
        private static func set(_ counter: Prometheus.Counter, _ total: Int) {
            counter.reset()
            counter.increment(by: Int64(max(0, total)))
        }
    }

    /// `tickrouter_sink_latency_seconds`: the sinks' ``LatencyHistogram``s as one Prometheus
    /// histogram family (written here: Prometheus histograms can only be recorded into, and the
    /// data path records into its own atomics).
    static func emitLatency(_ sinks: [SinkStats], into bytes: inout [UInt8]) {
        guard !sinks.isEmpty else { return }
        let name = "tickrouter_sink_latency_seconds"
        var text = "# HELP \(name) time from a frame being read to the sink having written or handed off its batch (one sample per batch)\n"
        text += "# TYPE \(name) histogram\n"
        for sink in sinks {
            let label = "sink=\"\(escaped(sink.name))\""
            let snapshot = sink.latency.snapshot
            var cumulative = 0
            for (index, bound) in LatencyHistogram.boundsNanoseconds.enumerated() {
                cumulative += snapshot.counts[index]
                text += "\(name)_bucket{\(label),le=\"\(seconds(bound))\"} \(cumulative)\n"
            }
            cumulative += snapshot.counts[LatencyHistogram.boundsNanoseconds.count]
            text += "\(name)_bucket{\(label),le=\"+Inf\"} \(cumulative)\n"
            text += "\(name)_sum{\(label)} \(Double(snapshot.sumNanoseconds) / 1e9)\n"
            text += "\(name)_count{\(label)} \(cumulative)\n"
        }
        bytes.append(contentsOf: text.utf8)
    }

    /// `tickrouter_sink_write_latency_seconds`: per event, frame read → line written to a
    /// consumer's socket, since start, as a summary from the sink's HDR histogram (sinks that
    /// write to client sockets record it).
    static func emitWriteLatency(_ sinks: [SinkStats], into bytes: inout [UInt8]) {
        let recorded = sinks.map { ($0.name, $0.writeLatency.sinceStart) }.filter { $0.1.count > 0 }
        guard !recorded.isEmpty else { return }
        let name = "tickrouter_sink_write_latency_seconds"
        var text = "# HELP \(name) time from a frame being read to each of its events being written to a consumer socket\n"
        text += "# TYPE \(name) summary\n"
        for (sink, figures) in recorded {
            let label = "sink=\"\(escaped(sink))\""
            for (quantile, value) in [("0.5", figures.p50), ("0.9", figures.p90), ("0.99", figures.p99), ("0.999", figures.p999), ("1", figures.max)] {
                text += "\(name){\(label),quantile=\"\(quantile)\"} \(seconds(value))\n"
            }
            text += "\(name)_sum{\(label)} \(figures.mean * Double(figures.count) / 1e9)\n"
            text += "\(name)_count{\(label)} \(figures.count)\n"
        }
        bytes.append(contentsOf: text.utf8)
    }

    /// Nanoseconds as decimal seconds without exponent (`2500000` → `0.0025`).
    static func seconds(_ nanoseconds: UInt64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        guard fraction > 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// A label value in the exposition format: backslash, quote and newline escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Creates an exporter over `registry` (a fresh one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Copies `engine`'s figures into the registry and renders the Prometheus text.
    public func render(engine: Engine?) -> [UInt8] {
        scrape.withLock { _ in
            if let engine {
                let key = ObjectIdentifier(engine)
                let exported = self.exported.withLock { table in
                    if let existing = table[key] { return existing }
                    let made = Exported(engine: engine, registry: registry)
                    table = [key: made]
                    return made
                }
                exported.update(from: engine)
            }
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            if let engine {
                Self.emitLatency(engine.stats.sinks, into: &bytes)
                Self.emitWriteLatency(engine.stats.sinks, into: &bytes)
            }
            return bytes
        }
    }
}
