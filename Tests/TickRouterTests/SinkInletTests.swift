import NIOCore
import TickRouter
import TickRouterConfig
import Testing

@Suite("Sink inlet")
struct SinkInletTests {
    /// A batch of `count` events of one channel with consecutive sequence numbers.
    func batch(_ channel: FeedChannel, sequences: Range<Int64>, bytesPerEvent: Int = 10) -> EventBatch {
        let frame = ByteBuffer(repeating: UInt8(ascii: "x"), count: sequences.count * bytesPerEvent)
        let records = sequences.enumerated().map { index, sequence in
            EventRecord(
                channelCode: channel.rawValue, flags: EventRecord.Flags.hasSequence, symbol: 1,
                start: UInt32(index * bytesPerEvent), length: UInt32(bytesPerEvent), sequence: sequence
            )
        }
        var batch = EventBatch(frame: frame, records: records)
        batch.recomputeChannelMask()
        return batch
    }

    func inlet(bytes: Int = 1 << 30, mask: UInt32 = .max, symbols: Set<SymbolID>? = nil) -> (SinkInlet, SinkStats) {
        let stats = SinkStats(name: "test")
        return (SinkInlet(channelMask: mask, symbolFilter: symbols, byteLimit: bytes, stats: stats), stats)
    }

    @Test func drainReturnsEverythingQueuedInOrder() async {
        let (inlet, stats) = inlet()
        inlet.push(batch(.T, sequences: 1..<4))
        inlet.push(batch(.T, sequences: 4..<6))
        let drained = await inlet.drain()
        #expect(drained?.flatMap { $0.records.map(\.sequence) } == [1, 2, 3, 4, 5])
        #expect(stats.accepted.load == 5)
        #expect(stats.dropped.total == 0)
    }

    @Test func aSymbolFilterKeepsOnlyItsSymbols() async {
        let (inlet, stats) = inlet(symbols: [2])
        var mixed = batch(.T, sequences: 1..<4)
        mixed.records[1].symbol = 2
        inlet.push(mixed)
        inlet.push(batch(.T, sequences: 4..<6))  // all symbol 1: nothing queued
        let drained = await inlet.drain() ?? []
        #expect(drained.flatMap { $0.records.map(\.sequence) } == [2])
        #expect(stats.accepted.load == 1)
    }

    @Test func theByteBudgetDropsWholeOldestBatches() async {
        let (inlet, stats) = inlet(bytes: 250)
        inlet.push(batch(.T, sequences: 1..<11))  // 100 bytes
        inlet.push(batch(.T, sequences: 11..<21))
        inlet.push(batch(.T, sequences: 21..<31))  // 300 bytes > 250: the first batch goes
        let drained = await inlet.drain() ?? []
        #expect(drained.flatMap { $0.records.map(\.sequence) } == Array(11...30))
        #expect(stats.dropped.snapshot.first { $0.reason == "sink_bytes_full" }?.count == 10)
    }

    @Test func filteredChannelsNeverEnterTheQueue() async {
        let (inlet, stats) = inlet(mask: 1 << UInt32(FeedChannel.T.rawValue))
        inlet.push(batch(.Q, sequences: 1..<5))
        var mixed = batch(.T, sequences: 1..<3)
        mixed.records.append(EventRecord(channelCode: FeedChannel.Q.rawValue, symbol: 1, start: 0, length: 1))
        mixed.recomputeChannelMask()
        inlet.push(mixed)
        let drained = await inlet.drain() ?? []
        #expect(drained.flatMap(\.records).allSatisfy { $0.channel == .T })
        #expect(stats.accepted.load == 2)
    }

    @Test func aWaitingDrainWakesOnPushAndEndsOnClose() async {
        let (inlet, _) = inlet()
        async let first = inlet.drain()
        try? await Task.sleep(for: .milliseconds(50))
        inlet.push(batch(.T, sequences: 1..<2))
        #expect(await first?.count == 1)
        inlet.push(batch(.T, sequences: 2..<3))
        inlet.close()
        #expect(await inlet.drain()?.count == 1, "what was accepted before close is still delivered")
        #expect(await inlet.drain() == nil)
    }

    @Test func aFullQueueShedsTheLeastImportantChannelFirstOldestFirst() async {
        let (inlet, stats) = inlet(bytes: 300)
        var mixed = batch(.T, sequences: 1..<6)  // 5 trades, 50 bytes
        mixed.records += batch(.Q, sequences: 1..<11).records  // 10 quotes, 100 bytes
        mixed.records += batch(.FMV, sequences: 1..<6).records  // 5 fair values, 50 bytes
        mixed.recomputeChannelMask()
        inlet.push(mixed)  // 200 bytes
        inlet.push(batch(.LULD, sequences: 1..<4))  // 30 bytes: 230
        inlet.push(batch(.Q, sequences: 11..<21))  // 100 bytes: 330 > 300 → the 5 FMV go (280)
        var drained = (await inlet.drain() ?? []).flatMap(\.records)
        #expect(drained.filter { $0.channel == .FMV }.isEmpty, "FMV is shed first")
        #expect(drained.filter { $0.channel == .Q }.count == 20)
        #expect(stats.dropped.snapshot.first { $0.reason == "sink_bytes_full" }?.count == 5)

        inlet.push(mixed)  // 200
        inlet.push(batch(.Q, sequences: 21..<37))  // 160: 360 > 300 → FMV (50), still 310 → the oldest batch's quotes (100)
        drained = (await inlet.drain() ?? []).flatMap(\.records)
        #expect(drained.filter { $0.channel == .T }.count == 5, "trades outlive quotes")
        #expect(drained.filter { $0.channel == .Q }.map(\.sequence) == Array(21...36), "the oldest batch's quotes went first")
        #expect(drained.filter { $0.channel == .FMV }.isEmpty)
    }

    @Test func theClassOrderIsConfigurable() async {
        let stats = SinkStats(name: "test")
        // Quotes before trades here: trades are shed first.
        let order = BackpressureConfiguration(classOrder: [.Q, .T]).shedOrder
        let inlet = SinkInlet(channelMask: .max, byteLimit: 100, stats: stats, shedOrder: order)
        inlet.push(batch(.Q, sequences: 1..<6))
        inlet.push(batch(.T, sequences: 1..<6))
        inlet.push(batch(.Q, sequences: 6..<11))  // 150 > 100: the 5 trades go
        let drained = (await inlet.drain() ?? []).flatMap(\.records)
        #expect(drained.map(\.channel) == Array(repeating: FeedChannel.Q, count: 10))
    }
}
