#if NATS
import Foundation
import TickRouter
import TickRouterConfig

/// The `nats` sink's YAML options and their decoding, with positions for every error.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `servers` | `[nats://127.0.0.1:4222]` | `nats://` or `tls://` URLs, `user:pass@` allowed (prefer `${VAR}`) |
/// | `subject` | `md.{market}.{channel}.{symbol}` | subject template |
/// | `payload` | `event` | `event`: one message per event; `batch`: one JSON array per subject per drained set |
/// | `connection_name` | `tickrouter` | the client name the server shows (`name` is the sink's own name) |
/// | `credentials` / `token` | — | a `.creds` file, or a token (write `${NATS_TOKEN}`) |
/// | `tls` | — | `{ca_file, cert_file, key_file, verify: true, hostname}` |
/// | `reconnect` | `{wait: 250ms, jitter: 100ms, max_attempts: -1, buffer: 8MiB}` | |
/// | `connect_timeout`, `write_deadline`, `flush_timeout` | `2s`, none, `5s` | |
/// | `queue_bytes` | `64MiB` | the sink's inlet budget |
/// | `jetstream` | — | `{stream, subjects, max_age: 24h, max_msgs_per_subject: 1, storage: file, replicas: 1}` |
enum NATSSinkOptions {
    static let all: [PluginOption] = [
        PluginOption("servers", "list of URLs", default: "[nats://127.0.0.1:4222]", "nats:// or tls:// server URLs (a cluster's seed list)"),
        PluginOption("subject", "template", default: SubjectTemplate.defaultText, "subject per event; {symbol} is escaped (BRK.B → BRK%2EB)"),
        PluginOption("payload", "event | batch", default: "event", "one message per event, or one JSON array per subject per drained set"),
        PluginOption("connection_name", "string", default: "tickrouter", "client name shown by the server"),
        PluginOption("credentials", "path", "NATS .creds file (JWT + NKey seed)"),
        PluginOption("token", "string", "auth token; write ${NATS_TOKEN}"),
        PluginOption("tls", "{ca_file, cert_file, key_file, verify, hostname}", "TLS towards the servers (implied by tls:// URLs)"),
        PluginOption("reconnect", "{wait, jitter, max_attempts, buffer}", default: "{wait: 250ms, jitter: 100ms, max_attempts: -1, buffer: 8MiB}",
            "reconnect pacing and the bounded buffer that holds publishes while disconnected"),
        PluginOption("connect_timeout", "duration", default: "2s", "per-server connect timeout"),
        PluginOption("write_deadline", "duration", "fail a socket write that blocks this long (default: block)"),
        PluginOption("flush_timeout", "duration", default: "5s", "how long shutdown waits for the server to take what is buffered"),
        PluginOption("queue_bytes", "byte size", default: "64MiB", "most bytes queued for this sink before the oldest batches are dropped"),
        PluginOption("jetstream", "{stream, subjects, max_age, max_msgs_per_subject, storage, replicas}",
            "create or bind a stream over the subjects so late joiners get the last value per subject"),
    ]

    @Sendable static func decode(_ reader: OptionsReader, _ context: PluginContext) -> (any SinkSpec)? {
        let errorsBefore = reader.diagnostics.errors.count
        var connection = NATSConnectionSettings()
        if let servers = reader.stringList("servers") {
            if servers.isEmpty { reader.error("servers is empty", key: "servers", hint: "e.g. servers: [nats://127.0.0.1:4222]") }
            for server in servers where !(server.hasPrefix("nats://") || server.hasPrefix("tls://")) {
                reader.error("server URL must start with nats:// or tls://", key: "servers", hint: "e.g. nats://nats-1.internal:4222")
            }
            connection.servers = servers
        }
        var template = try! SubjectTemplate(parsing: SubjectTemplate.defaultText)
        if let text = reader.string("subject") {
            do throws(SubjectTemplate.Problem) {
                template = try SubjectTemplate(parsing: text)
            } catch {
                reader.error(error.description, key: "subject", hint: error.hint)
            }
        }
        let payload = reader.choice("payload", ["event": NATSPublisher.Payload.event, "batch": .batch]) ?? .event
        if let name = reader.string("connection_name") { connection.connectionName = name }
        if let file = reader.string("credentials") {
            let path = context.resolvePath(file)
            if !FileManager.default.isReadableFile(atPath: path) {
                reader.error("credentials file \(path) is not readable", key: "credentials")
            }
            connection.credentialsFile = path
        }
        if let token = reader.interpolated("token") {
            if token.text.isEmpty { reader.error("token is empty", key: "token", hint: "write token: ${NATS_TOKEN}") }
            if !token.usedEnvironment { reader.warning("a literal token in the config file", key: "token", hint: "write token: ${NATS_TOKEN}") }
            if connection.credentialsFile != nil { reader.error("give either credentials or token, not both", key: "token") }
            connection.token = Secret(token.text)
        }
        if let tls = reader.mapping("tls") {
            connection.tls = decodeTLS(tls, context)
        } else if connection.servers.contains(where: { $0.hasPrefix("tls://") }) {
            connection.tls = .init()
        }
        if let reconnect = reader.mapping("reconnect") {
            connection.reconnectWait = reconnect.duration("wait") ?? connection.reconnectWait
            connection.reconnectJitter = reconnect.duration("jitter") ?? connection.reconnectJitter
            connection.maxReconnects = reconnect.int("max_attempts", range: -1...1_000_000) ?? connection.maxReconnects
            connection.reconnectBufferBytes = reconnect.byteSize("buffer").map {
                if $0 < 1 << 10 || $0 > Int(Int32.max) {
                    reconnect.error("buffer must be between 1KiB and 2GiB", key: "buffer")
                }
                return $0
            } ?? connection.reconnectBufferBytes
            reconnect.finish()
        }
        connection.connectTimeout = reader.duration("connect_timeout") ?? connection.connectTimeout
        connection.writeDeadline = reader.duration("write_deadline")
        let flushTimeout = reader.duration("flush_timeout") ?? .seconds(5)
        let queueBytes = reader.byteSize("queue_bytes") ?? (64 << 20)

        let market = context.configuration.feed.market.rawValue
        var jetstream: JetStreamSettings?
        var streamSubjects: [String] = []
        if let section = reader.mapping("jetstream") {
            let stream = section.requiredString("stream", hint: "e.g. stream: MARKET_LAST") ?? ""
            if !stream.isEmpty, !JetStreamSettings.isValidStreamName(stream) {
                section.error("stream name may not contain '.', '*', '>', '/', '\\' or spaces", key: "stream")
            }
            var settings = JetStreamSettings(stream: stream)
            if let subjects = section.stringList("subjects") { settings.subjects = subjects }
            if section.has("max_age") { settings.maxAge = section.duration("max_age").flatMap { $0 == .zero ? nil : $0 } }
            settings.maxMessagesPerSubject = section.int("max_msgs_per_subject", range: -1...1_000_000_000) ?? 1
            settings.storage = section.choice("storage", ["file": JetStreamSettings.Storage.file, "memory": .memory]) ?? .file
            settings.replicas = section.int("replicas", range: 1...5) ?? 1
            section.finish()
            jetstream = settings
            streamSubjects = settings.subjects.isEmpty ? [template.wildcardSubject(market: market)] : settings.subjects
        }
        guard reader.diagnostics.errors.count == errorsBefore else { return nil }
        return NATSSink.Spec(
            connection: connection, template: template, payload: payload, jetstream: jetstream, streamSubjects: streamSubjects,
            flushTimeout: flushTimeout, queueBytes: queueBytes
        )
    }

    private static func decodeTLS(_ reader: OptionsReader, _ context: PluginContext) -> NATSConnectionSettings.TLS {
        var tls = NATSConnectionSettings.TLS()
        for key in ["ca_file", "cert_file", "key_file"] {
            guard let file = reader.string(key) else { continue }
            let path = context.resolvePath(file)
            if !FileManager.default.isReadableFile(atPath: path) { reader.error("\(key) \(path) is not readable", key: key) }
            switch key {
            case "ca_file": tls.caFile = path
            case "cert_file": tls.certificateFile = path
            default: tls.keyFile = path
            }
        }
        if (tls.certificateFile == nil) != (tls.keyFile == nil) {
            reader.error("cert_file and key_file go together", key: tls.certificateFile == nil ? "cert_file" : "key_file")
        }
        tls.verify = reader.bool("verify") ?? true
        if !tls.verify { reader.warning("TLS certificate verification is off", key: "verify") }
        tls.hostname = reader.string("hostname")
        reader.finish()
        return tls
    }
}
#endif
