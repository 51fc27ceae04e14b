import NIOCore
import TickRouter
import TickRouterConfig

/// libFuzzer entry: one provider frame, decoded in the market picked by the input's length (every
/// market over a run), with a fresh symbol table each time (reproducible, bounded memory). Beyond "no crash",
/// it checks the decoder's contract and traps when it is broken:
/// - a failed frame leaves the caller's arrays exactly as they were;
/// - every record of a decoded frame lies inside the frame and spans one `{...}` object;
/// - decoding is deterministic.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let frame = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    check(frame, market: Market.allCases[size % Market.allCases.count])
    // The single-event path (a line of the Unix-socket stream, as `tap` reads it).
    var decoder = FrameDecoder(market: .stocks, symbols: SymbolTable())
    frame.withUnsafeReadableBytes { bytes in
        if case .success(let record?) = decoder.decodeEvent(bytes) {
            precondition(record.byteRange.upperBound <= bytes.count, "decodeEvent record outside the line")
        }
    }
    return 0
}

private func check(_ frame: ByteBuffer, market: Market) {
    let sentinel = EventRecord(channelCode: 0, flags: 0, invalidReason: 0, symbol: 0, start: 0, length: 0, sequence: -1, timestamp: -1)
    var records = [sentinel]
    var statuses = [ProviderStatus(status: "sentinel", message: "")]
    var decoder = FrameDecoder(market: market, symbols: SymbolTable())
    let error = decoder.decode(frame, into: &records, statuses: &statuses)
    if error != nil {
        precondition(records == [sentinel] && statuses.count == 1, "a failed frame left records behind")
        return
    }
    precondition(records.first == sentinel && statuses.first?.status == "sentinel", "decode overwrote the caller's records")
    frame.withUnsafeReadableBytes { bytes in
        for record in records.dropFirst() {
            let range = record.byteRange
            precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count && range.count >= 2, "record outside the frame")
            precondition(bytes[range.lowerBound] == UInt8(ascii: "{") && bytes[range.upperBound - 1] == UInt8(ascii: "}"), "record is not one object")
        }
    }
    var again = FrameDecoder(market: market, symbols: SymbolTable())
    var second: [EventRecord] = []
    var secondStatuses: [ProviderStatus] = []
    precondition(again.decode(frame, into: &second, statuses: &secondStatuses) == nil, "decoding is not deterministic")
    precondition(second == Array(records.dropFirst()) && secondStatuses.count == statuses.count - 1, "decoding is not deterministic")
}
