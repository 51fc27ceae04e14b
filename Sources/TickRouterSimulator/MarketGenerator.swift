#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Current wall-clock time in nanoseconds since the Unix epoch.
func wallClockNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// The simulated market: per-symbol random-walk prices, day statistics and per (channel, symbol)
/// sequence counters, rendering each generated event once into an `EventBatch`.
///
/// Deterministic for a given seed and sequence of `emit` calls. Owned by a single task.
struct MarketGenerator {
    /// Realtime channel mix in per-mille: T 35%, Q 55%, A 5%, AM 2%, LULD 1.5%, NOI 1.5%.
    private static let mix: [(SimChannel, UInt64)] = [
        (.T, 350), (.Q, 900), (.A, 950), (.AM, 970), (.LULD, 985), (.NOI, 1000),
    ]
    private static let exchanges = [1, 2, 3, 4, 7, 8, 10, 11, 12, 15, 17, 19, 21]
    private static let tradeConditions: [[UInt8]] = [
        Array("[12]".utf8), Array("[37]".utf8), Array("[14,41]".utf8), Array("[12,37]".utf8),
    ]
    private static let quoteIndicators: [[UInt8]] = [Array("[]".utf8), Array("[604]".utf8)]
    private static let luldIndicators: [[UInt8]] = [Array("[]".utf8), Array("[21]".utf8)]
    private static let auctionTypes: [UInt8] = Array("OMHCPR".utf8)

    private struct SymbolState {
        var priceCents: Int64
        var dayOpenCents: Int64
        var dayVolume: UInt64 = 0
        var dayNotional4: Double = 0
        var nextTradeID: UInt64 = 1
        var tape: Int
        var exchange: Int
    }

    private var rng: SplitMix64
    private(set) var names: [[UInt8]] = []
    private var states: [SymbolState] = []
    private var cumulativeWeights: [Double] = []
    /// `sequences[channel][symbol]` = last `q` emitted.
    private var sequences: [[UInt64]] = Array(repeating: [], count: SimChannel.count)

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed ^ 0x5EED_5EED_5EED_5EED)
    }

    var symbolCount: Int { names.count }

    /// The last `q` emitted on (channel, symbol), 0 if none.
    func lastSequence(channel: SimChannel, symbol: Int) -> UInt64 {
        let row = sequences[channel.rawValue]
        return row.indices.contains(symbol) ? row[symbol] : 0
    }

    /// Picks up symbols added to the table since the last call.
    mutating func sync(with table: SymbolTable) {
        let added = table.renderedNames(from: names.count)
        guard !added.isEmpty else { return }
        for name in added {
            let priceCents = Int64(1_000 + rng.below(89_000))  // 10.00 .. 900.00
            states.append(
                SymbolState(
                    priceCents: priceCents, dayOpenCents: priceCents,
                    tape: 1 + Int(rng.below(3)),
                    exchange: Self.exchanges[Int(rng.below(UInt64(Self.exchanges.count)))]
                )
            )
            names.append(name)
        }
        for channel in 0..<SimChannel.count {
            sequences[channel].append(contentsOf: repeatElement(0, count: added.count))
        }
        // Zipf-like weights: a few heavy names, a long tail.
        cumulativeWeights.removeAll(keepingCapacity: true)
        var total = 0.0
        for rank in 0..<names.count {
            total += 1.0 / Double(rank + 1).squareRoot() / Double(rank + 1).squareRoot().squareRoot()
            cumulativeWeights.append(total)
        }
    }

    /// Appends `count` realtime events (channel mix) and `fmvCount` FMV events to `batch`.
    mutating func emit(count: Int, fmvCount: Int, nowNanos: Int64, into batch: inout EventBatch) {
        guard !names.isEmpty else { return }
        let nowMs = nowNanos / 1_000_000
        for n in 0..<count {
            let symbol = pickSymbol()
            let roll = rng.below(1000)
            var channel = SimChannel.T
            for (candidate, limit) in Self.mix where roll < limit {
                channel = candidate
                break
            }
            let start = batch.writer.count
            render(channel, symbol: symbol, nowMs: nowMs, nowNanos: nowNanos &+ Int64(n), into: &batch.writer)
            batch.commit(start: start, channel: channel, symbol: symbol)
        }
        for n in 0..<fmvCount {
            let symbol = pickSymbol()
            let start = batch.writer.count
            let state = states[symbol]
            let value4 = state.priceCents * 100 + Int64(rng.below(100)) - 50
            EventRenderer.fairValue(
                &batch.writer, symbol: names[symbol], value4: max(1, value4),
                timeNanos: nowNanos &+ Int64(n), sequence: nextSequence(.FMV, symbol)
            )
            batch.commit(start: start, channel: .FMV, symbol: symbol)
        }
    }

    private mutating func pickSymbol() -> Int {
        guard let total = cumulativeWeights.last else { return 0 }
        let target = rng.unit() * total
        var low = 0
        var high = cumulativeWeights.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeWeights[mid] <= target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    @inline(__always) private mutating func nextSequence(_ channel: SimChannel, _ symbol: Int) -> UInt64 {
        sequences[channel.rawValue][symbol] &+= 1
        return sequences[channel.rawValue][symbol]
    }

    private mutating func step(_ symbol: Int) -> Int64 {
        let roll = rng.below(16)
        var price = states[symbol].priceCents
        if roll < 3 { price -= Int64(1 + roll) } else if roll < 6 { price += Int64(roll - 2) }
        price = max(100, price)
        states[symbol].priceCents = price
        return price
    }

    private mutating func render(
        _ channel: SimChannel, symbol: Int, nowMs: Int64, nowNanos: Int64, into w: inout ByteWriter
    ) {
        let name = names[symbol]
        switch channel {
        case .T:
            let price = step(symbol)
            let sizeRoll = rng.below(10)
            let size = sizeRoll < 3 ? 1 + Int(rng.below(99)) : (sizeRoll < 8 ? 100 : 100 * (1 + Int(rng.below(10))))
            let id = states[symbol].nextTradeID
            states[symbol].nextTradeID &+= 1
            states[symbol].dayVolume &+= UInt64(size)
            states[symbol].dayNotional4 += Double(price * 100) * Double(size)
            let conditionRoll = Int(rng.below(10))
            EventRenderer.trade(
                &w, symbol: name, id: id,
                exchange: Self.exchanges[Int(rng.below(UInt64(Self.exchanges.count)))],
                priceCents: price, size: size,
                conditions: conditionRoll < Self.tradeConditions.count ? Self.tradeConditions[conditionRoll] : nil,
                timeMs: nowMs, sequence: nextSequence(.T, symbol), tape: states[symbol].tape
            )
        case .Q:
            let price = step(symbol)
            let spread = 1 + Int64(rng.below(4))
            let bid = max(1, price - spread / 2 - 1)
            EventRenderer.quote(
                &w, symbol: name,
                bidExchange: Self.exchanges[Int(rng.below(UInt64(Self.exchanges.count)))],
                bidCents: bid, bidSize: 1 + Int(rng.below(20)),
                askExchange: Self.exchanges[Int(rng.below(UInt64(Self.exchanges.count)))],
                askCents: bid + spread, askSize: 1 + Int(rng.below(20)), condition: 1,
                indicators: Self.quoteIndicators[Int(rng.below(2))], timeMs: nowMs,
                sequence: nextSequence(.Q, symbol), tape: states[symbol].tape
            )
        case .A, .AM:
            let minute = channel == .AM
            let windowMs: Int64 = minute ? 60_000 : 1_000
            let close = step(symbol)
            let open = max(1, close + Int64(rng.below(9)) - 4)
            let high = max(open, close) + Int64(rng.below(5))
            let low = max(1, min(open, close) - Int64(rng.below(5)))
            let volume = 100 * (1 + rng.below(minute ? 500 : 50))
            states[symbol].dayVolume &+= volume
            states[symbol].dayNotional4 += Double(close * 100) * Double(volume)
            let state = states[symbol]
            let start = nowMs - nowMs % windowMs
            let dayVwap = state.dayVolume > 0 ? Int64(state.dayNotional4 / Double(state.dayVolume)) : close * 100
            let bar = EventRenderer.Bar(
                volume: volume, accumulatedVolume: state.dayVolume, officialOpenCents: state.dayOpenCents,
                vwap4: low * 100 + Int64(rng.below(UInt64((high - low) * 100 + 1))),
                openCents: open, closeCents: close, highCents: high, lowCents: low,
                dayVwap4: dayVwap, averageSize: 50 + rng.below(150), startMs: start, endMs: start + windowMs
            )
            EventRenderer.aggregate(&w, minute: minute, symbol: name, bar: bar, sequence: nextSequence(channel, symbol))
        case .LULD:
            let price = states[symbol].priceCents
            EventRenderer.luld(
                &w, symbol: name, highCents: price + max(1, price / 20), lowCents: max(1, price - max(1, price / 20)),
                indicators: Self.luldIndicators[Int(rng.below(2))], tape: states[symbol].tape,
                timeMicros: nowNanos / 1_000, sequence: nextSequence(.LULD, symbol)
            )
        default:  // NOI (FMV is rendered by `emit`; the other codes are not in the stocks mix)
            let price = states[symbol].priceCents
            EventRenderer.imbalance(
                &w, symbol: name, timeNanos: nowNanos, auctionTime: rng.below(2) == 0 ? 930 : 1600,
                auctionType: Self.auctionTypes[Int(rng.below(UInt64(Self.auctionTypes.count)))],
                sequence: nextSequence(.NOI, symbol), exchange: states[symbol].exchange,
                imbalance: 100 * (1 + rng.below(500)), paired: 100 * (1 + rng.below(5000)),
                clearingCents: price
            )
        }
    }
}
