public import NIOCore
public import TickRouterConfig

/// Decodes provider frames (`[{"ev":...}, ...]`) into ``EventRecord``s by scanning bytes in place.
///
/// No Foundation, no `String` and no allocation per event: keys are matched by length and bytes,
/// integers parsed by hand, symbols interned through a decoder-local ``SymbolCache``. The scanner is
/// strict JSON (it rejects what `JSONSerialization` rejects, checked by a property test) so a frame
/// either decodes completely or fails with a ``FrameError`` and is quarantined whole.
///
/// Which field holds the symbol, sequence and time depends on the event type within the market
/// (`sym` for trades, `T` for LULD/NOI/index values, `pair` for forex bars and crypto, `p` for forex
/// quotes; `s` for bar window starts), so events are routed on (market, `ev`).
public struct FrameDecoder {
    /// The market of the connection; `ev` codes are interpreted within it.
    public let market: Market
    /// Symbol interning front.
    public var symbols: SymbolCache
    private let channelIsValid: [Bool]
    /// The keys of the last plain event of each kind (the plain path's prediction). Copies of a
    /// decoder share it: use one decoder, and its copies, from one thread at a time.
    let keyMemo = KeyMemo()
    /// Where the frame's last object is copied for the plain path (see ``PaddedTail``); shared by
    /// copies like `keyMemo`.
    let paddedTail = PaddedTail()

    /// Longest symbol accepted, in bytes.
    public static let maxSymbolLength = 64

    public init(market: Market, symbols: SymbolTable) {
        self.market = market
        self.symbols = SymbolCache(table: symbols)
        var valid = [Bool](repeating: false, count: FeedChannel.count)
        for channel in market.allChannels { valid[Int(channel.rawValue)] = true }
        self.channelIsValid = valid
    }

    /// Decodes one frame, appending its events to `records` and its status messages to `statuses`.
    ///
    /// On failure `records` and `statuses` are restored to their previous length.
    public mutating func decode(
        _ frame: ByteBuffer, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) -> FrameError? {
        let recordCount = records.count
        let statusCount = statuses.count
        let error: FrameError? = frame.withUnsafeReadableBytes { bytes in
            guard bytes.count < Int(UInt32.max) else { return FrameError(.tooLarge, at: 0) }
            var scanner = JSONScanner(bytes)
            do throws(FrameError) {
                try decodeArray(&scanner, into: &records, statuses: &statuses)
                return nil
            } catch {
                return error
            }
        }
        if error != nil {
            records.removeSubrange(recordCount...)
            statuses.removeSubrange(statusCount...)
        }
        return error
    }

    /// Decodes a single event object (one line of the Unix-socket stream, for example).
    public mutating func decodeEvent(_ bytes: UnsafeRawBufferPointer) -> Result<EventRecord?, FrameError> {
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        if let error = decodeEvent(bytes, into: &records, statuses: &statuses) { return .failure(error) }
        return .success(records.first)
    }

    /// Decodes a single event object, appending its record (or, for a status object, its status)
    /// without allocating when the arrays have room. On failure nothing is appended.
    public mutating func decodeEvent(
        _ bytes: UnsafeRawBufferPointer, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) -> FrameError? {
        let recordCount = records.count
        let statusCount = statuses.count
        var scanner = JSONScanner(bytes)
        do throws(FrameError) {
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "{") else { throw FrameError(.elementNotObject, at: scanner.index) }
            if !decodePlainObject(&scanner, into: &records, statuses: &statuses) { try decodeObject(&scanner, into: &records, statuses: &statuses) }
            scanner.skipWhitespace()
            guard scanner.atEnd else { throw FrameError(.trailingData, at: scanner.index) }
            return nil
        } catch {
            records.removeSubrange(recordCount...)
            statuses.removeSubrange(statusCount...)
            return error
        }
    }

    /// Decodes the single event object that occupies `range` of `buffer` (one line of the
    /// Unix-socket stream read into a larger buffer). Bytes of `buffer` outside `range` are
    /// never interpreted, only loaded ahead by the fast path; record offsets are relative to
    /// `buffer`. On failure nothing is appended.
    public mutating func decodeEvent(
        in buffer: UnsafeRawBufferPointer, range: Range<Int>, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) -> FrameError? {
        var scanner = JSONScanner(buffer)
        scanner.index = range.lowerBound
        if buffer[range.lowerBound] == UInt8(ascii: "{") {
            let recordCount = records.count
            let statusCount = statuses.count
            if decodePlainObject(&scanner, into: &records, statuses: &statuses) {
                // The plain path never passes a newline, so the object ends inside the line.
                while scanner.index < range.upperBound, buffer[scanner.index] <= 0x20,
                    [0x20, 0x09, 0x0D].contains(buffer[scanner.index])
                {
                    scanner.index += 1
                }
                if scanner.index == range.upperBound { return nil }
                records.removeSubrange(recordCount...)
                statuses.removeSubrange(statusCount...)
            }
        }
        let recordCount = records.count
        let error = decodeEvent(UnsafeRawBufferPointer(rebasing: buffer[range]), into: &records, statuses: &statuses)
        for index in recordCount..<records.count { records[index].start += UInt32(range.lowerBound) }
        return error
    }

    private mutating func decodeArray(
        _ s: inout JSONScanner, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) throws(FrameError) {
        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "[") else { throw FrameError(.notAnArray, at: s.index) }
        s.index += 1
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "]") {
            s.index += 1
        } else {
            while true {
                s.skipWhitespace()
                guard s.peek() == UInt8(ascii: "{") else {
                    if s.atEnd { throw FrameError(.unexpectedEnd, at: s.index) }
                    // A non-object element: validate it so "not JSON" and "JSON, wrong shape" stay distinct.
                    try s.skipValue(depth: 1)
                    throw FrameError(.elementNotObject, at: s.index)
                }
                if !decodePlainObject(&s, into: &records, statuses: &statuses),
                    s.bytes.count &- s.index > PaddedTail.capacity || !decodePlainTail(&s, into: &records, statuses: &statuses)
                {
                    try decodeObject(&s, into: &records, statuses: &statuses)
                }
                s.skipWhitespace()
                switch s.peek() {
                case UInt8(ascii: ","): s.index += 1
                case UInt8(ascii: "]"): s.index += 1
                    s.skipWhitespace()
                    guard s.atEnd else { throw FrameError(.trailingData, at: s.index) }
                    return
                case nil: throw FrameError(.unexpectedEnd, at: s.index)
                default: throw FrameError(.unexpectedByte, at: s.index)
                }
            }
        }
        s.skipWhitespace()
        guard s.atEnd else { throw FrameError(.trailingData, at: s.index) }
    }

    /// The plain path over a padded copy of the frame's last bytes (from `s.index`, at most
    /// ``PaddedTail/capacity``), for the object the plain path gave up on in place because it
    /// ends too near the frame's end. Returns false, with nothing appended, if the object is not
    /// plain; on success the records' offsets are the frame's and `s.index` is after the object.
    /// Out of line: once per frame, and the loop above stays small.
    @inline(never)
    private mutating func decodePlainTail(
        _ s: inout JSONScanner, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) -> Bool {
        let start = s.index
        let count = s.bytes.count &- start
        var tail = JSONScanner(paddedTail.copy(UnsafeRawBufferPointer(rebasing: s.bytes[start...])))
        let recordCount = records.count, statusCount = statuses.count
        guard decodePlainObject(&tail, into: &records, statuses: &statuses) else { return false }
        // An object that ran on into the padding is not the frame's: the general path reports it.
        guard tail.index <= count else {
            records.removeSubrange(recordCount...)
            statuses.removeSubrange(statusCount...)
            return false
        }
        for index in recordCount..<records.count { records[index].start &+= UInt32(start) }
        s.index = start &+ tail.index
        return true
    }

    /// Spans of the fields the router reads; everything else is validated and skipped.
    struct Fields {
        var ev = JSONSpan.absent
        var sym = JSONSpan.absent
        var ticker = JSONSpan.absent  // "T"
        var pair = JSONSpan.absent
        var p = JSONSpan.absent
        var q = JSONSpan.absent
        var i = JSONSpan.absent
        var t = JSONSpan.absent
        var s = JSONSpan.absent
        var status = JSONSpan.absent
        var message = JSONSpan.absent
    }

    private mutating func decodeObject(
        _ s: inout JSONScanner, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) throws(FrameError) {
        let objectStart = s.index
        s.index += 1  // '{'
        var fields = Fields()
        s.skipWhitespace()
        if s.peek() == UInt8(ascii: "}") {
            s.index += 1
        } else {
            fields: while true {
                s.skipWhitespace()
                guard s.peek() == UInt8(ascii: "\"") else {
                    throw FrameError(s.atEnd ? .unexpectedEnd : .unexpectedByte, at: s.index)
                }
                let key = try s.scanString()
                s.skipWhitespace()
                guard s.peek() == UInt8(ascii: ":") else {
                    throw FrameError(s.atEnd ? .unexpectedEnd : .unexpectedByte, at: s.index)
                }
                s.index += 1
                s.skipWhitespace()
                let value = try s.scanValue()
                assign(key: key, value: value, scanner: s, to: &fields)
                s.skipWhitespace()
                switch s.peek() {
                case UInt8(ascii: ","): s.index += 1
                case UInt8(ascii: "}"):
                    s.index += 1
                    break fields
                case nil: throw FrameError(.unexpectedEnd, at: s.index)
                default: throw FrameError(.unexpectedByte, at: s.index)
                }
            }
        }
        emit(fields, objectStart: objectStart, end: s.index, scanner: s, into: &records, statuses: &statuses)
    }

    @inline(__always)
    private func assign(key: JSONSpan, value: JSONSpan, scanner s: JSONScanner, to fields: inout Fields) {
        if key.hasEscape {
            // Keys with escapes never occur in provider data; match them on their decoded bytes.
            let decoded = s.unescaped(key)
            decoded.withUnsafeBytes { assignKnown(key: $0, value: value, to: &fields) }
        } else {
            assignKnown(key: s.slice(key), value: value, to: &fields)
        }
    }

    @inline(__always)
    private func assignKnown(key: UnsafeRawBufferPointer, value: JSONSpan, to fields: inout Fields) {
        switch key.count {
        case 1:
            switch key[0] {
            case UInt8(ascii: "p"): fields.p = value
            case UInt8(ascii: "q"): fields.q = value
            case UInt8(ascii: "i"): fields.i = value
            case UInt8(ascii: "t"): fields.t = value
            case UInt8(ascii: "s"): fields.s = value
            case UInt8(ascii: "T"): fields.ticker = value
            default: break
            }
        case 2 where key[0] == UInt8(ascii: "e") && key[1] == UInt8(ascii: "v"):
            fields.ev = value
        case 3 where key[0] == UInt8(ascii: "s") && key[1] == UInt8(ascii: "y") && key[2] == UInt8(ascii: "m"):
            fields.sym = value
        case 4 where Self.matches(key, "pair"):
            fields.pair = value
        case 6 where Self.matches(key, "status"):
            fields.status = value
        case 7 where Self.matches(key, "message"):
            fields.message = value
        default:
            break
        }
    }

    mutating func emit(
        _ fields: Fields, objectStart: Int, end: Int, scanner s: JSONScanner,
        into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) {
        var record = EventRecord(
            channelCode: EventRecord.unknownChannel, symbol: SymbolTable.none,
            start: UInt32(objectStart), length: UInt32(end - objectStart)
        )
        guard fields.ev.kind == .string else {
            record.invalidReason = InvalidReason.missingEventType.rawValue
            records.append(record)
            return
        }
        let escapedEv = fields.ev.hasEscape ? s.unescaped(fields.ev) : nil
        let channel: FeedChannel?
        if let escapedEv {
            if escapedEv.withUnsafeBytes({ Self.matches($0, "status") }) {
                statuses.append(ProviderStatus(status: s.text(fields.status), message: s.text(fields.message)))
                return
            }
            channel = escapedEv.withUnsafeBytes { Self.channel($0) }
        } else {
            let ev = s.slice(fields.ev)
            if Self.matches(ev, "status") {
                statuses.append(ProviderStatus(status: s.text(fields.status), message: s.text(fields.message)))
                return
            }
            channel = Self.channel(ev)
        }
        guard let channel, channelIsValid[Int(channel.rawValue)] else {
            records.append(record)  // unknown `ev` for this market: passed through raw and counted
            return
        }
        record.channelCode = channel.rawValue

        let symbolSpan: JSONSpan
        let sequenceSpan: JSONSpan
        var timeSpan = fields.t
        switch channel {
        case .T, .Q, .FMV, .LV: symbolSpan = fields.sym; sequenceSpan = fields.q
        case .A, .AM: symbolSpan = fields.sym; sequenceSpan = fields.q; timeSpan = fields.s
        case .LULD, .V: symbolSpan = fields.ticker; sequenceSpan = fields.q
        case .NOI: symbolSpan = fields.ticker; sequenceSpan = fields.i
        case .C: symbolSpan = fields.p; sequenceSpan = .absent
        case .XT, .XQ, .XL2: symbolSpan = fields.pair; sequenceSpan = .absent
        case .CA, .CAS, .XA, .XAS: symbolSpan = fields.pair; sequenceSpan = .absent; timeSpan = fields.s
        }

        switch symbolSpan.kind {
        case .absent: record.invalidReason = InvalidReason.missingSymbol.rawValue
        case .string:
            if symbolSpan.length == 0 {
                record.invalidReason = InvalidReason.missingSymbol.rawValue
            } else if symbolSpan.hasEscape {
                let decoded = s.unescaped(symbolSpan)
                if decoded.count > Self.maxSymbolLength {
                    record.invalidReason = InvalidReason.symbolTooLong.rawValue
                } else {
                    record.symbol = decoded.withUnsafeBytes { symbols.id(for: $0) }
                }
            } else if symbolSpan.length > Self.maxSymbolLength {
                record.invalidReason = InvalidReason.symbolTooLong.rawValue
            } else if symbolSpan.length <= 8, symbolSpan.start &+ 8 <= s.bytes.count {
                // The common case: a ticker packed straight from the frame's word.
                let key = SymbolKey(a: ByteWord.prefix(s.word(at: symbolSpan.start), count: symbolSpan.length), b: 0, c: 0, length: symbolSpan.length)
                record.symbol = symbols.id(for: key, bytes: s.slice(symbolSpan))
            } else {
                record.symbol = symbols.id(for: s.slice(symbolSpan))
            }
        default: record.invalidReason = InvalidReason.badSymbolType.rawValue
        }

        if sequenceSpan.kind != .absent {
            if let value = s.integer(sequenceSpan) {
                record.sequence = value
                record.flags |= EventRecord.Flags.hasSequence
            } else if record.invalidReason == 0 {
                record.invalidReason = InvalidReason.badSequence.rawValue
            }
        }
        if timeSpan.kind != .absent {
            if let value = s.integer(timeSpan) {
                record.timestamp = value
                record.flags |= EventRecord.Flags.hasTimestamp
            } else if record.invalidReason == 0 {
                record.invalidReason = InvalidReason.badTimestamp.rawValue
            }
        }
        records.append(record)
    }

    /// Whether `bytes` equal an ASCII literal (byte by byte, no String machinery).
    @inline(__always)
    static func matches(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let pointer = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != pointer[index] { return false }
        return true
    }

    /// Maps an `ev` code to a channel by length and bytes.
    @inline(__always)
    static func channel(_ ev: UnsafeRawBufferPointer) -> FeedChannel? {
        switch ev.count {
        case 1:
            switch ev[0] {
            case UInt8(ascii: "T"): return .T
            case UInt8(ascii: "Q"): return .Q
            case UInt8(ascii: "A"): return .A
            case UInt8(ascii: "C"): return .C
            case UInt8(ascii: "V"): return .V
            default: return nil
            }
        case 2:
            switch (ev[0], ev[1]) {
            case (UInt8(ascii: "A"), UInt8(ascii: "M")): return .AM
            case (UInt8(ascii: "L"), UInt8(ascii: "V")): return .LV
            case (UInt8(ascii: "C"), UInt8(ascii: "A")): return .CA
            case (UInt8(ascii: "X"), UInt8(ascii: "T")): return .XT
            case (UInt8(ascii: "X"), UInt8(ascii: "Q")): return .XQ
            case (UInt8(ascii: "X"), UInt8(ascii: "A")): return .XA
            default: return nil
            }
        case 3:
            if matches(ev, "FMV") { return .FMV }
            if matches(ev, "NOI") { return .NOI }
            if matches(ev, "CAS") { return .CAS }
            if matches(ev, "XAS") { return .XAS }
            if matches(ev, "XL2") { return .XL2 }
            return nil
        case 4:
            return matches(ev, "LULD") ? .LULD : nil
        default:
            return nil
        }
    }
}
