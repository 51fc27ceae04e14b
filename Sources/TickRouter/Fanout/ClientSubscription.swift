public import TickRouterConfig

/// What a downstream client (Unix socket, WebSocket) asked for, in the provider's own terms:
/// `T.*` (a whole channel) or `T.AAPL` (one symbol). Immutable; a change builds a new value.
public struct ClientSubscription: Sendable, Hashable {
    /// Bit per `FeedChannel.rawValue` subscribed with `*`.
    public private(set) var wildcards: UInt32 = 0
    /// Per channel, the symbols subscribed one by one.
    public private(set) var symbols: [Set<SymbolID>] = Array(repeating: [], count: FeedChannel.count)

    public init() {}

    public var isEmpty: Bool { wildcards == 0 && symbols.allSatisfy(\.isEmpty) }

    /// Whether the client wants this event. Unknown `ev` values are never delivered to clients.
    @inline(__always)
    public func matches(_ record: EventRecord) -> Bool {
        guard record.channelCode < FeedChannel.count else {
            // Router status objects (gaps) go to every client that subscribed to anything.
            return record.channelCode == EventRecord.statusChannel && !isEmpty
        }
        if wildcards & (1 << UInt32(record.channelCode)) != 0 { return true }
        let set = symbols[Int(record.channelCode)]
        return !set.isEmpty && set.contains(record.symbol)
    }

    /// Whether any event of the mask's channels could match.
    @inline(__always)
    public func mayMatch(channelMask: UInt32) -> Bool {
        var perSymbol: UInt32 = 0
        for (index, set) in symbols.enumerated() where !set.isEmpty { perSymbol |= 1 << UInt32(index) }
        return (wildcards | perSymbol | (perSymbol | wildcards == 0 ? 0 : EventBatch.statusMask)) & channelMask != 0
    }

    public mutating func add(_ topic: ClientTopic) {
        switch topic.symbol {
        case nil: wildcards |= 1 << UInt32(topic.channel.rawValue)
        case let symbol?: symbols[Int(topic.channel.rawValue)].insert(symbol)
        }
    }

    public mutating func remove(_ topic: ClientTopic) {
        switch topic.symbol {
        case nil:
            wildcards &= ~(1 << UInt32(topic.channel.rawValue))
            symbols[Int(topic.channel.rawValue)].removeAll()
        case let symbol?: symbols[Int(topic.channel.rawValue)].remove(symbol)
        }
    }
}

/// One `CH.SYMBOL` or `CH.*` item of a subscribe/unsubscribe action.
public struct ClientTopic: Sendable, Hashable {
    public var channel: FeedChannel
    /// nil for `*`.
    public var symbol: SymbolID?
    /// The item as the client wrote it, for acknowledgements.
    public var text: String
}

/// A client → router action in the provider's syntax: `{"action":"subscribe","params":"T.AAPL,AM.*"}`.
public struct ClientAction: Sendable {
    public enum Kind: String, Sendable { case auth, subscribe, unsubscribe }

    public var kind: Kind
    public var params: String

    /// Longest action line accepted, in bytes.
    public static let maxLineBytes = 1 << 20

    /// Parses one action line; returns a provider-style error message on failure.
    public static func parse(_ line: some Collection<UInt8>) -> Result<ClientAction, ClientActionError> {
        guard line.count <= maxLineBytes else { return .failure(.init("action longer than \(maxLineBytes) bytes")) }
        var bytes = Array(line)
        let parsed: (String?, String?)? = bytes.withUnsafeMutableBytes { raw in
            var scanner = JSONScanner(UnsafeRawBufferPointer(raw))
            return Self.scan(&scanner)
        }
        guard let (action, params) = parsed else { return .failure(.init("malformed action: expected {\"action\":...,\"params\":...}")) }
        guard let action, let kind = Kind(rawValue: action) else {
            return .failure(.init("unknown action: \(action ?? "(none)")"))
        }
        return .success(ClientAction(kind: kind, params: params ?? ""))
    }

    private static func scan(_ s: inout JSONScanner) -> (String?, String?)? {
        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "{") else { return nil }
        var action: String?
        var params: String?
        let start = s.index
        do throws(FrameError) {
            try s.skipValue(depth: 1)
        } catch {
            return nil
        }
        s.skipWhitespace()
        guard s.atEnd else { return nil }
        // Second pass over the validated object: pick the two string fields.
        var pass = JSONScanner(s.bytes)
        pass.index = start + 1
        while true {
            pass.skipWhitespace()
            guard pass.peek() == UInt8(ascii: "\""), let key = try? pass.scanString() else { break }
            pass.skipWhitespace()
            pass.index += 1  // ':'
            pass.skipWhitespace()
            guard let value = try? pass.scanValue() else { return nil }
            let name = pass.text(key)
            if name == "action", value.kind == .string { action = pass.text(value) }
            if name == "params", value.kind == .string { params = pass.text(value) }
            pass.skipWhitespace()
            guard pass.peek() == UInt8(ascii: ",") else { break }
            pass.index += 1
        }
        return (action, params)
    }

    /// Splits `params` into topics: comma-separated, trimmed, split on the first dot (`T.BRK.A`).
    /// Items that name no channel of `market` come back as errors.
    public func topics(market: Market, symbols: SymbolTable) -> (topics: [ClientTopic], errors: [String]) {
        var topics: [ClientTopic] = []
        var errors: [String] = []
        let valid = Set(market.allChannels)
        for rawItem in params.split(separator: ",") {
            let item = rawItem.trimmingCharacters(in: " \t")
            guard !item.isEmpty else { continue }
            guard let dot = item.firstIndex(of: ".") else {
                errors.append("invalid topic: \(item)")
                continue
            }
            let code = String(item[..<dot])
            let symbol = String(item[item.index(after: dot)...])
            guard let channel = FeedChannel(code: code), valid.contains(channel), !symbol.isEmpty else {
                errors.append("unknown channel: \(item)")
                continue
            }
            guard symbol.utf8.count <= FrameDecoder.maxSymbolLength else {
                errors.append("symbol too long: \(item.prefix(80))")
                continue
            }
            topics.append(ClientTopic(channel: channel, symbol: symbol == "*" ? nil : symbols.intern(symbol), text: item))
        }
        return (topics, errors)
    }
}

/// Why a client action was refused; sent back as a provider-style `error` status.
public struct ClientActionError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
