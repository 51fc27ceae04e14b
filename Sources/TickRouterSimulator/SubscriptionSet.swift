/// What one connection is subscribed to: a wildcard bit per channel plus, per channel, a bitset
/// of symbol indices. `matches` is branch-light and allocation-free for the fan-out hot path.
struct SubscriptionSet: Sendable {
    private(set) var wildcards: UInt32 = 0
    /// `bits[channel][word]`, bit `symbol % 64` of word `symbol / 64`.
    private var bits: [[UInt64]] = Array(repeating: [], count: SimChannel.count)
    private(set) var explicitCount = 0

    var isEmpty: Bool { wildcards == 0 && explicitCount == 0 }

    @inline(__always) func matches(channel: Int, symbol: Int) -> Bool {
        if wildcards & (1 << UInt32(channel)) != 0 { return true }
        let row = bits[channel]
        let word = symbol >> 6
        guard word < row.count else { return false }
        return row[word] & (1 << UInt64(symbol & 63)) != 0
    }

    mutating func addWildcard(_ channel: SimChannel) { wildcards |= channel.bit }

    mutating func removeWildcard(_ channel: SimChannel) { wildcards &= ~channel.bit }

    mutating func add(_ channel: SimChannel, symbol: Int) {
        let word = symbol >> 6
        if bits[channel.rawValue].count <= word {
            bits[channel.rawValue].append(contentsOf: repeatElement(0, count: word + 1 - bits[channel.rawValue].count))
        }
        let mask: UInt64 = 1 << UInt64(symbol & 63)
        if bits[channel.rawValue][word] & mask == 0 {
            bits[channel.rawValue][word] |= mask
            explicitCount += 1
        }
    }

    mutating func remove(_ channel: SimChannel, symbol: Int) {
        let word = symbol >> 6
        guard word < bits[channel.rawValue].count else { return }
        let mask: UInt64 = 1 << UInt64(symbol & 63)
        if bits[channel.rawValue][word] & mask != 0 {
            bits[channel.rawValue][word] &= ~mask
            explicitCount -= 1
        }
    }
}
