#if NATS
import CNATS
import Foundation
import Logging
import TickRouter
import TickRouterConfig

/// A failed libnats call: its status code and the library's text for it.
struct NATSError: Error, CustomStringConvertible {
    var status: natsStatus
    var operation: String
    var detail: String

    init(_ status: natsStatus, _ operation: String) {
        self.status = status
        self.operation = operation
        var lastStatus = NATS_OK
        let last = nats_GetLastError(&lastStatus).map { String(cString: $0) } ?? ""
        self.detail = last.isEmpty ? String(cString: natsStatus_GetText(status)) : last
    }

    var description: String { "nats: \(operation) failed: \(detail) (status \(status.rawValue))" }
}

@inline(__always)
func check(_ status: natsStatus, _ operation: @autoclosure () -> String) throws(NATSError) {
    if status != NATS_OK { throw NATSError(status, operation()) }
}

/// How the sink connects: servers, identity, TLS, reconnect behaviour. Never prints the token.
struct NATSConnectionSettings: Sendable {
    /// TLS towards the servers.
    struct TLS: Sendable {
        var caFile: String?
        var certificateFile: String?
        var keyFile: String?
        var verify = true
        var hostname: String?
    }

    var servers: [String] = ["nats://127.0.0.1:4222"]
    var connectionName = "tickrouter"
    var credentialsFile: String?
    var token: Secret?
    var tls: TLS?
    var connectTimeout: Duration = .seconds(2)
    var reconnectWait: Duration = .milliseconds(250)
    var reconnectJitter: Duration = .milliseconds(100)
    /// -1: forever.
    var maxReconnects = -1
    var reconnectBufferBytes = 8 << 20
    /// Client-side socket write deadline; nil keeps libnats' blocking writes.
    var writeDeadline: Duration?
    var pingInterval: Duration = .seconds(20)
}

extension Duration {
    /// Whole milliseconds, for libnats' `int64_t` millisecond arguments.
    var natsMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

/// One libnats connection, owned by the sink. `publish` is thread-safe in libnats, but the sink
/// calls it from its own publishing thread only (never a NIO event loop, never the cooperative pool).
final class NATSConnection: @unchecked Sendable {
    /// `natsConnection *`.
    let handle: OpaquePointer
    let monitor: NATSLinkMonitor

    private init(handle: OpaquePointer, monitor: NATSLinkMonitor) {
        self.handle = handle
        self.monitor = monitor
    }

    /// Creates the connection. When no server answers, libnats keeps retrying in the background
    /// (the connection starts in the reconnecting state and buffers publishes), so the router starts
    /// even while NATS is down.
    static func connect(_ settings: NATSConnectionSettings, monitor: NATSLinkMonitor) throws(NATSError) -> NATSConnection {
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "natsOptions_Create")
        defer { natsOptions_Destroy(options) }
        let servers = settings.servers.map { UnsafePointer(strdup($0)) }
        defer { servers.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        var serverList = servers
        try check(natsOptions_SetServers(options, &serverList, Int32(serverList.count)), "natsOptions_SetServers")
        try check(natsOptions_SetName(options, settings.connectionName), "natsOptions_SetName")
        if let file = settings.credentialsFile {
            try check(natsOptions_SetUserCredentialsFromFiles(options, file, nil), "loading credentials file \(file)")
        }
        if let token = settings.token {
            try check(natsOptions_SetToken(options, token.value), "natsOptions_SetToken")
        }
        if let tls = settings.tls {
            try check(natsOptions_SetSecure(options, true), "natsOptions_SetSecure")
            if let file = tls.caFile { try check(natsOptions_LoadCATrustedCertificates(options, file), "loading tls.ca_file \(file)") }
            if let certificate = tls.certificateFile, let key = tls.keyFile {
                try check(natsOptions_LoadCertificatesChain(options, certificate, key), "loading tls.cert_file / tls.key_file")
            }
            if !tls.verify { try check(natsOptions_SkipServerVerification(options, true), "natsOptions_SkipServerVerification") }
            if let hostname = tls.hostname { try check(natsOptions_SetExpectedHostname(options, hostname), "natsOptions_SetExpectedHostname") }
        }
        try check(natsOptions_SetTimeout(options, settings.connectTimeout.natsMilliseconds), "natsOptions_SetTimeout")
        try check(natsOptions_SetMaxReconnect(options, Int32(settings.maxReconnects)), "natsOptions_SetMaxReconnect")
        try check(natsOptions_SetReconnectWait(options, settings.reconnectWait.natsMilliseconds), "natsOptions_SetReconnectWait")
        let jitter = settings.reconnectJitter.natsMilliseconds
        try check(natsOptions_SetReconnectJitter(options, jitter, jitter), "natsOptions_SetReconnectJitter")
        try check(natsOptions_SetReconnectBufSize(options, Int32(clamping: settings.reconnectBufferBytes)), "natsOptions_SetReconnectBufSize")
        try check(natsOptions_SetPingInterval(options, settings.pingInterval.natsMilliseconds), "natsOptions_SetPingInterval")
        if let deadline = settings.writeDeadline {
            try check(natsOptions_SetWriteDeadline(options, deadline.natsMilliseconds), "natsOptions_SetWriteDeadline")
        }
        // The closure outlives the connection: libnats may run a callback after Destroy returns,
        // so the monitor is retained for the life of the process (one small object per sink).
        let closure = Unmanaged.passRetained(monitor).toOpaque()
        try check(natsOptions_SetErrorHandler(options, natsAsyncErrorCallback, closure), "natsOptions_SetErrorHandler")
        try check(natsOptions_SetDisconnectedCB(options, natsDisconnectedCallback, closure), "natsOptions_SetDisconnectedCB")
        try check(natsOptions_SetReconnectedCB(options, natsReconnectedCallback, closure), "natsOptions_SetReconnectedCB")
        try check(natsOptions_SetClosedCB(options, natsClosedCallback, closure), "natsOptions_SetClosedCB")
        try check(natsOptions_SetRetryOnFailedConnect(options, true, natsConnectedCallback, closure), "natsOptions_SetRetryOnFailedConnect")

        var connection: OpaquePointer?
        let status = natsConnection_Connect(&connection, options)
        guard status == NATS_OK || status == NATS_NOT_YET_CONNECTED, let connection else {
            throw NATSError(status, "connecting to \(settings.servers.joined(separator: ","))")
        }
        if status == NATS_OK {
            monitor.connected(url: connectedURL(connection), reconnect: false)
        } else {
            monitor.logger.warning("nats: no server reachable yet at \(settings.servers.joined(separator: ",")); retrying, publishes go to the reconnect buffer")
        }
        return NATSConnection(handle: connection, monitor: monitor)
    }

    /// Hands one message to libnats (buffered; may write to the socket when its buffer fills).
    @inline(__always)
    func publish(subject: UnsafePointer<CChar>, bytes: UnsafeRawPointer?, count: Int) -> natsStatus {
        natsConnection_Publish(handle, subject, bytes, Int32(truncatingIfNeeded: count))
    }

    /// Whether libnats is between servers (publishes go to the reconnect buffer).
    var isReconnecting: Bool { natsConnection_IsReconnecting(handle) }

    /// Largest payload the server accepts (1 MiB by default); 0 while never connected.
    var maxPayload: Int { Int(natsConnection_GetMaxPayload(handle)) }

    /// Sends what is buffered and waits for the server's acknowledgement.
    func flush(timeout: Duration) -> natsStatus { natsConnection_FlushTimeout(handle, timeout.natsMilliseconds) }

    /// Flushes, closes and frees the connection.
    func close(timeout: Duration) {
        monitor.closing()
        if !isReconnecting { _ = flush(timeout: timeout) }
        natsConnection_Close(handle)
        natsConnection_Destroy(handle)
    }
}

/// The server URL a connection is attached to, or "?".
func connectedURL(_ connection: OpaquePointer?) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard natsConnection_GetConnectedUrl(connection, &buffer, buffer.count) == NATS_OK else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

// libnats calls these on its own threads with the monitor as closure.

private let natsAsyncErrorCallback: natsErrHandler = { connection, _, status, closure in
    guard let closure else { return }
    var text: UnsafePointer<CChar>?
    _ = natsConnection_GetLastError(connection, &text)
    let detail = text.map { String(cString: $0) } ?? String(cString: natsStatus_GetText(status))
    Unmanaged<NATSLinkMonitor>.fromOpaque(closure).takeUnretainedValue().asyncError(slowConsumer: status == NATS_SLOW_CONSUMER, detail: detail)
}

private let natsDisconnectedCallback: natsConnectionHandler = { _, closure in
    guard let closure else { return }
    Unmanaged<NATSLinkMonitor>.fromOpaque(closure).takeUnretainedValue().disconnected()
}

private let natsReconnectedCallback: natsConnectionHandler = { connection, closure in
    guard let closure else { return }
    Unmanaged<NATSLinkMonitor>.fromOpaque(closure).takeUnretainedValue().connected(url: connectedURL(connection), reconnect: true)
}

private let natsConnectedCallback: natsConnectionHandler = { connection, closure in
    guard let closure else { return }
    Unmanaged<NATSLinkMonitor>.fromOpaque(closure).takeUnretainedValue().connected(url: connectedURL(connection), reconnect: false)
}

private let natsClosedCallback: natsConnectionHandler = { _, closure in
    guard let closure else { return }
    Unmanaged<NATSLinkMonitor>.fromOpaque(closure).takeUnretainedValue().closed()
}
#endif
