import TickRouter
import TickRouterConfig

/// NUL-terminated subject bytes per (channel, symbol id), built the first time a pair is seen.
///
/// Subjects live back to back in one byte array; a pair maps to a subject index through one small
/// array per channel indexed by symbol id, so the hot path does two array reads per event and
/// never builds a `String`. Pairs that render to the same subject (a template without `{symbol}`)
/// share one index, which batch mode uses to group events per subject.
struct SubjectCache {
    let template: SubjectTemplate
    let market: String
    let symbols: SymbolTable
    /// Per channel row (`FeedChannel.rawValue`, last row for unknown `ev`): subject index by symbol id, -1 if not built.
    private var indexes: [[Int32]]
    /// Every subject, NUL-terminated, back to back.
    private(set) var bytes: [CChar] = []
    /// Start of each subject in ``bytes``.
    private(set) var offsets: [Int] = []
    private var indexBySubject: [String: Int32] = [:]

    init(template: SubjectTemplate, market: Market, symbols: SymbolTable) {
        self.template = template
        self.market = market.rawValue
        self.symbols = symbols
        self.indexes = Array(repeating: [], count: FeedChannel.count + 1)
        bytes.reserveCapacity(64 << 10)
    }

    /// Number of distinct subjects built so far.
    var count: Int { offsets.count }

    /// The subject index of a record's (channel, symbol), building it on first use.
    @inline(__always)
    mutating func index(channelCode: UInt8, symbol: SymbolID) -> Int32 {
        let row = channelCode == EventRecord.unknownChannel || Int(channelCode) >= FeedChannel.count ? FeedChannel.count : Int(channelCode)
        let column = Int(symbol)
        if column < indexes[row].count {
            let index = indexes[row][column]
            if index >= 0 { return index }
        }
        return build(row: row, column: column, channelCode: channelCode, symbol: symbol)
    }

    /// The subject text of an index (control plane and tests).
    func subject(at index: Int32) -> String {
        let start = offsets[Int(index)]
        let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
        return String(decoding: bytes[start..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private mutating func build(row: Int, column: Int, channelCode: UInt8, symbol: SymbolID) -> Int32 {
        if column >= indexes[row].count {
            indexes[row].append(contentsOf: repeatElement(-1, count: max(column + 1, indexes[row].count * 2, 256) - indexes[row].count))
        }
        let channel = FeedChannel(rawValue: channelCode)?.code ?? SubjectTemplate.unknownChannelToken
        let name = symbols.name(symbol)
        let text = template.subject(market: market, channel: channel, symbol: name.isEmpty ? "_" : name)
        let index: Int32
        if let existing = indexBySubject[text] {
            index = existing
        } else {
            index = Int32(offsets.count)
            offsets.append(bytes.count)
            bytes.append(contentsOf: text.utf8.map { CChar(bitPattern: $0) })
            bytes.append(0)
            indexBySubject[text] = index
        }
        indexes[row][column] = index
        return index
    }
}
