import NIOCore
import TickRouter
import TickRouterConfig
import Testing

/// The processor policies as pure state machines on a virtual clock (times are plain numbers).
@Suite("Processing policies")
struct ProcessingPolicyTests {
    static let ms: Int64 = 1_000_000

    /// Feeds `symbol` events at the given times; returns what was delivered when (passed at once or
    /// flushed by a ticker every `tick`), as (time, value).
    static func run(
        _ throttle: inout SymbolThrottle, events: [(time: Int64, symbol: SymbolID, value: Int)], until end: Int64, tick: Int64 = ms
    ) -> [(time: Int64, symbol: SymbolID, value: Int)] {
        var delivered: [(Int64, SymbolID, Int)] = []
        var pending = events[...]
        var now: Int64 = 0
        while now <= end {
            while let next = pending.first, next.time <= now {
                pending.removeFirst()
                var superseded = false
                let record = EventRecord(channelCode: FeedChannel.Q.rawValue, symbol: next.symbol, start: 0, length: 0, sequence: Int64(next.value))
                switch throttle.offer(symbol: next.symbol, now: next.time, superseded: &superseded) {
                case .pass: delivered.append((next.time, next.symbol, next.value))
                case .hold: withUnsafeBytes(of: next.value) { _ = throttle.hold(record, symbol: next.symbol, bytes: $0) }
                case .drop: break
                }
            }
            throttle.flushDue(now: now) { record, bytes in
                delivered.append((now, record.symbol, bytes.loadUnaligned(as: Int.self)))
            }
            now += tick
        }
        return delivered
    }

    @Test func conflateDeliversTheLastValueOfEveryWindowAndAtMostOnePerInterval() {
        var throttle = SymbolThrottle(interval: 100 * Self.ms, mode: .conflate)
        // Symbol 1 ticks every 7 ms for 1 s (values 0...142); symbol 2 sends three values in 5 ms.
        var events = (0..<143).map { (time: Int64($0) * 7 * Self.ms, symbol: SymbolID(1), value: $0) }
        events += [(2 * Self.ms, 2, 1000), (3 * Self.ms, 2, 1001), (4 * Self.ms, 2, 1002)]
        events.sort { $0.time < $1.time }
        let delivered = Self.run(&throttle, events: events, until: 1500 * Self.ms)

        let one = delivered.filter { $0.symbol == 1 }
        #expect(one.last?.value == 142, "the newest value is delivered at the end of its window")
        for (earlier, later) in zip(one, one.dropFirst()) {
            #expect(later.time - earlier.time >= 100 * Self.ms, "at most one event per interval")
            #expect(later.value > earlier.value, "never out of order")
        }
        #expect(one.count >= 10 && one.count <= 11)
        #expect(delivered.filter { $0.symbol == 2 }.map(\.value) == [1000, 1002], "first passes, last is delivered, middle conflated")
        #expect(throttle.heldCount == 0)
    }

    /// Held values wait in buckets of an eighth of the window: each is delivered at the first
    /// flush after its window ends (not a bucket later), and a pause longer than the whole ring
    /// delivers every held value once.
    @Test func heldValuesAreDeliveredOnTimeAndOnceEvenAfterALongPause() {
        var throttle = SymbolThrottle(interval: 100 * Self.ms, mode: .conflate)
        // 300 symbols: each passes at its own millisecond, then sends a value to hold 1 ms later.
        var events: [(time: Int64, symbol: SymbolID, value: Int)] = []
        for symbol in 1...300 {
            events.append((Int64(symbol) * Self.ms, SymbolID(symbol), 0))
            events.append((Int64(symbol + 1) * Self.ms, SymbolID(symbol), symbol))
        }
        events.sort { $0.time < $1.time }
        let delivered = Self.run(&throttle, events: events, until: 500 * Self.ms)
        for symbol in 1...300 {
            let held = delivered.filter { $0.symbol == SymbolID(symbol) && $0.value == symbol }
            #expect(held.map(\.time) == [Int64(symbol + 100) * Self.ms], "symbol \(symbol): due at the end of its window")
        }
        #expect(throttle.heldCount == 0)

        // Hold one value per symbol, then no flush for 30 s (the ring spans ~1 window).
        var later: [(time: Int64, symbol: SymbolID, value: Int)] = []
        for symbol in 1...300 {
            later.append((600 * Self.ms, SymbolID(symbol), -1))
            later.append((601 * Self.ms, SymbolID(symbol), 1000 + symbol))
        }
        var superseded = false
        var count = 0
        for event in later {
            let record = EventRecord(channelCode: FeedChannel.Q.rawValue, symbol: event.symbol, start: 0, length: 0, sequence: Int64(event.value))
            if throttle.offer(symbol: event.symbol, now: event.time, superseded: &superseded) == .hold {
                withUnsafeBytes(of: event.value) { _ = throttle.hold(record, symbol: event.symbol, bytes: $0) }
                count += 1
            }
        }
        #expect(count == 300 && throttle.heldCount == 300)
        var values: [Int] = []
        throttle.flushDue(now: 30_600 * Self.ms) { _, bytes in values.append(bytes.loadUnaligned(as: Int.self)) }
        #expect(values.sorted() == (1...300).map { 1000 + $0 }, "every held value once")
        throttle.flushDue(now: 60_000 * Self.ms) { _, _ in values.append(-1) }
        #expect(values.count == 300 && throttle.heldCount == 0)
    }

    /// One batch of 3,000 symbols new to the throttle (its state grows while the batch is
    /// admitted), then a batch that is held whole: each symbol's newest value is delivered once,
    /// from its own bytes, when the window ends.
    @Test func aBatchOfManyNewSymbolsIsThrottledAndEverySymbolsNewestValueIsDelivered() {
        let count = 3_000
        var throttle = SymbolThrottle(interval: 100 * Self.ms, mode: .conflate)
        func batch(values: (Int) -> Int) -> (ByteBuffer, [EventRecord]) {
            var frame = ByteBuffer()
            var records: [EventRecord] = []
            for symbol in 0..<count {
                records.append(EventRecord(
                    channelCode: FeedChannel.Q.rawValue, symbol: SymbolID(symbol), start: UInt32(frame.writerIndex), length: 8))
                frame.writeInteger(Int64(values(symbol)), endianness: .little)
            }
            return (frame, records)
        }
        func admit(_ values: @escaping (Int) -> Int, at now: Int64) -> SymbolThrottle.Admitted {
            let (frame, made) = batch(values: values)
            var records = made
            return records.withUnsafeMutableBufferPointer {
                throttle.admit($0, channelCode: FeedChannel.Q.rawValue, now: now, frame: frame)
            }
        }
        #expect(admit({ $0 }, at: 0).passed == count, "first values open the windows")
        let held = admit({ $0 + 10_000 }, at: 10 * Self.ms)
        #expect(held.removed == count && held.passed == 0)
        let newer = admit({ $0 + 20_000 }, at: 20 * Self.ms)
        #expect(newer.conflated == count, "each newer value supersedes the held one")
        #expect(throttle.heldCount == count)
        var delivered: [Int: Int] = [:]
        throttle.flushDue(now: 100 * Self.ms) { record, bytes in
            delivered[Int(record.symbol), default: -1] = Int(bytes.loadUnaligned(as: Int64.self))
        }
        #expect(delivered.count == count)
        #expect(delivered.allSatisfy { $0.value == $0.key + 20_000 }, "the newest value of every symbol")
        #expect(throttle.heldCount == 0)
    }

    /// A batch mixing a throttled channel with another: what the throttle takes out is gone and
    /// everything else stays, in its order, at the front of the batch.
    @Test func admittingABatchKeepsTheOtherChannelsAndThePassingEventsInOrder() {
        var throttle = SymbolThrottle(interval: 100 * Self.ms, mode: .conflate)
        let frame = ByteBuffer(repeating: 0, count: 64)
        // Symbols 1...4 open their windows first; then T and Q interleaved, Q of symbols 1...4
        // (held) and 5...8 (new: passes).
        var records = (1...4).map { EventRecord(channelCode: FeedChannel.Q.rawValue, symbol: SymbolID($0), start: 0, length: 1) }
        _ = records.withUnsafeMutableBufferPointer { throttle.admit($0, channelCode: FeedChannel.Q.rawValue, now: 0, frame: frame) }
        records = (1...8).flatMap { symbol in
            [
                EventRecord(channelCode: FeedChannel.T.rawValue, symbol: SymbolID(symbol), start: 0, length: 1, sequence: Int64(symbol)),
                EventRecord(channelCode: FeedChannel.Q.rawValue, symbol: SymbolID(symbol), start: 0, length: 1, sequence: Int64(100 + symbol)),
            ]
        }
        let admitted = records.withUnsafeMutableBufferPointer {
            throttle.admit($0, channelCode: FeedChannel.Q.rawValue, now: 10 * Self.ms, frame: frame)
        }
        #expect(admitted.removed == 4 && admitted.passed == 4 && admitted.kept == 12)
        let expected: [(UInt8, Int64)] =
            (1...4).map { (FeedChannel.T.rawValue, Int64($0)) }
            + (5...8).flatMap { [(FeedChannel.T.rawValue, Int64($0)), (FeedChannel.Q.rawValue, Int64(100 + $0))] }
        let kept = records[..<admitted.kept].map { ($0.channelCode, $0.sequence) }
        #expect(kept.map(\.0) == expected.map(\.0) && kept.map(\.1) == expected.map(\.1))
        #expect(throttle.heldCount == 4)
    }

    /// ``SymbolThrottle/admit(_:channelCode:now:frame:)`` (the batch path: gathered, decided,
    /// compacted; on frames small enough to share and on frames too large to share) against the
    /// event-by-event API (``SymbolThrottle/offer(symbol:now:superseded:)`` and `hold`), on the
    /// same random batches of two channels: the same events stay, in the same order, with the
    /// same counts, and the same values come out when due.
    @Test(arguments: [ThrottleMode.conflate, .sample], [nil, 40] as [Int?])
    func theBatchPathDecidesAsTheEventByEventPathDoes(mode: ThrottleMode, maxRate: Int?) {
        var random = SplitMix64(seed: 11)
        let priority: [SymbolID] = [3, 17]
        func make() -> SymbolThrottle { SymbolThrottle(interval: 50 * Self.ms, mode: mode, maxRate: maxRate, priority: priority) }
        var shared = make(), copying = make(), reference = make()
        var now: Int64 = 1_000 * Self.ms
        var value: Int64 = 0, passed = 0
        for round in 0..<400 {
            // A batch: 1...60 events of T and Q, 300 symbols (ids 1...300), each event 8 bytes:
            // its value.
            var frame = ByteBuffer()
            var records: [EventRecord] = []
            for _ in 0..<Int(random.next() % 60 + 1) {
                value += 1
                let channel = random.next() % 10 < 6 ? FeedChannel.Q : FeedChannel.T
                records.append(EventRecord(
                    channelCode: channel.rawValue, symbol: SymbolID(random.next() % 300 + 1), start: UInt32(frame.writerIndex),
                    length: 8, sequence: value))
                frame.writeInteger(value, endianness: .little)
            }
            var large = frame
            large.writeRepeatingByte(0, count: HeldEvent.sharedFrameLimit)
            var stayed: [Int64] = []
            var expected = SymbolThrottle.Admitted()
            for record in records {
                guard record.channelCode == FeedChannel.Q.rawValue else {
                    stayed.append(record.sequence)
                    continue
                }
                var superseded = false
                switch reference.offer(symbol: record.symbol, now: now, superseded: &superseded) {
                case .pass:
                    stayed.append(record.sequence)
                    expected.passed += 1
                    if superseded { expected.conflated += 1 }
                case .hold:
                    expected.removed += 1
                    if withUnsafeBytes(of: record.sequence, { reference.hold(record, symbol: record.symbol, bytes: $0) }) {
                        expected.conflated += 1
                    }
                case .drop:
                    expected.removed += 1
                    expected.sampled += 1
                }
            }
            passed += expected.passed
            var sharedRecords = records, copyingRecords = records
            let a = sharedRecords.withUnsafeMutableBufferPointer {
                shared.admit($0, channelCode: FeedChannel.Q.rawValue, now: now, frame: frame)
            }
            let b = copyingRecords.withUnsafeMutableBufferPointer {
                copying.admit($0, channelCode: FeedChannel.Q.rawValue, now: now, frame: large)
            }
            for (admitted, kept) in [(a, sharedRecords), (b, copyingRecords)] {
                #expect(admitted.kept == stayed.count && admitted.removed == expected.removed && admitted.passed == expected.passed, "round \(round)")
                #expect(admitted.conflated == expected.conflated && admitted.sampled == expected.sampled, "round \(round)")
                #expect(kept[..<admitted.kept].map(\.sequence) == stayed, "round \(round)")
            }
            #expect(shared.heldCount == reference.heldCount && copying.heldCount == reference.heldCount, "round \(round)")
            now += Int64(random.next() % 40) * Self.ms
            if round % 3 == 0 {
                var delivered: [[Int64]] = [[], [], []]
                shared.flushDue(now: now) { _, bytes in delivered[0].append(bytes.loadUnaligned(as: Int64.self)) }
                copying.flushDue(now: now) { _, bytes in delivered[1].append(bytes.loadUnaligned(as: Int64.self)) }
                reference.flushDue(now: now) { _, bytes in delivered[2].append(bytes.loadUnaligned(as: Int64.self)) }
                // One value per symbol, all due: their order within a flush is the wheel's.
                #expect(delivered[0] == delivered[1] && delivered[0].sorted() == delivered[2].sorted(), "round \(round)")
            }
        }
        #expect(value > 10_000)
        #expect(passed > 100, "enough events pass for the rate cap to count")
    }

    @Test func sampleDropsInsideTheIntervalAndKeepsNothing() {
        var throttle = SymbolThrottle(interval: 100 * Self.ms, mode: .sample)
        let events = (0..<50).map { (time: Int64($0) * 10 * Self.ms, symbol: SymbolID(3), value: $0) }
        let delivered = Self.run(&throttle, events: events, until: 1000 * Self.ms)
        #expect(delivered.map(\.value) == [0, 10, 20, 30, 40], "one per 100 ms window, the rest dropped")
        #expect(throttle.heldCount == 0)
    }

    @Test func prioritySymbolsBypassTheThrottleAndTheRateCap() {
        var throttle = SymbolThrottle(interval: 100 * Self.ms, mode: .conflate, maxRate: 5, priority: [7])
        let events = (0..<40).map { (time: Int64($0) * Self.ms, symbol: SymbolID(7), value: $0) }
        let delivered = Self.run(&throttle, events: events, until: 100 * Self.ms)
        #expect(delivered.map(\.value) == Array(0..<40))
    }

    @Test func aRateCapConflatesPerSymbolOnceTheChannelIsOverBudgetAndLosesNoLastValue() {
        var throttle = SymbolThrottle(interval: 0, mode: .conflate, maxRate: 10, priority: [99])
        // 20 symbols, 5 events each inside the first 100 ms: 100 events against a budget of 10/s.
        var events: [(time: Int64, symbol: SymbolID, value: Int)] = []
        for round in 0..<5 {
            for symbol in 0..<20 { events.append((Int64(round * 20 + symbol) * Self.ms, SymbolID(symbol), round * 100 + symbol)) }
        }
        events.append((50 * Self.ms, 99, -1))  // a priority symbol still passes at once
        events.sort { $0.time < $1.time }
        let delivered = Self.run(&throttle, events: events, until: 3000 * Self.ms, tick: 10 * Self.ms)
        #expect(delivered.contains { $0.symbol == 99 && $0.time == 50 * Self.ms })
        for symbol in 0..<20 {
            #expect(delivered.last { $0.symbol == SymbolID(symbol) }?.value == 400 + symbol, "symbol \(symbol) keeps its last value")
        }
        let firstSecond = delivered.filter { $0.time < 1000 * Self.ms && $0.symbol != 99 }
        #expect(firstSecond.count == 10, "the channel passes its budget, then conflates")
        #expect(throttle.heldCount == 0)
    }

    // MARK: - The batch processor: dedup, late data, bar corrections

    let symbols = SymbolTable()

    func process(_ frame: String, policy: ChannelPolicy, channel: FeedChannel, nowMillis: Int64, stats: EngineStats) -> (EventBatch, [String]) {
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        let buffer = ByteBuffer(string: frame)
        #expect(decoder.decode(buffer, into: &records, statuses: &statuses) == nil)
        var batch = EventBatch(frame: buffer, records: records)
        var processor = BatchProcessor(connectionName: "c", policies: ProcessorPolicies([channel: policy]), stats: stats)
        processor.process(&batch, nowMillis: nowMillis)
        let texts = batch.records.map { record in batch.withEventBytes(record) { String(decoding: $0, as: UTF8.self) } }
        return (batch, texts)
    }

    @Test func dedupRemovesExactlyTheDuplicates() {
        let stats = EngineStats(connectionNames: ["c"], sinkNames: [])
        let frame = "[" + [1, 2, 2, 3, 1, 4, 4, 4, 5].map { #"{"ev":"T","sym":"AAPL","p":1,"s":1,"t":1,"q":\#($0)}"# }.joined(separator: ",") + "]"
        let (batch, _) = process(frame, policy: ChannelPolicy(dedup: true), channel: .T, nowMillis: 0, stats: stats)
        #expect(batch.records.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(stats.channels[Int(FeedChannel.T.rawValue)].shaped.snapshot.first { $0.reason == "duplicate" }?.count == 4)
    }

    @Test func lateDataIsQuarantinedWithItsReason() {
        let stats = EngineStats(connectionNames: ["c"], sinkNames: [])
        let now: Int64 = 1_700_000_000_000
        // ms, µs and ns timestamps: 500 ms, 3 s and 10 s old.
        let frame = #"[{"ev":"Q","sym":"A","t":\#(now - 500),"q":1},{"ev":"Q","sym":"B","t":\#((now - 3000) * 1000),"q":2},{"ev":"Q","sym":"C","t":\#((now - 10_000) * 1_000_000),"q":3}]"#
        let (batch, _) = process(frame, policy: ChannelPolicy(lateAfterMillis: 2000), channel: .Q, nowMillis: now, stats: stats)
        #expect(batch.records.map { symbols.name($0.symbol) } == ["A"])
        #expect(stats.channels[Int(FeedChannel.Q.rawValue)].quarantined.snapshot.first { $0.reason == "older than late_after" }?.count == 2)
        #expect(stats.quarantine.recent.filter { $0.reason == "older than late_after" }.count == 2)
    }

    /// A timestamp in seconds is aged like the others; one too negative to scale (nonsense from a
    /// feed) is quarantined rather than trapping on overflow; a channel without checks and an
    /// `ev` the market does not define pass untouched, in their order.
    @Test func lateDataAgesSecondsAndSurvivesANonsenseTimestamp() {
        let stats = EngineStats(connectionNames: ["c"], sinkNames: [])
        let now: Int64 = 1_700_000_000_000
        let frame = #"[{"ev":"Q","sym":"A","t":\#(now / 1000 - 3),"q":1},{"ev":"Q","sym":"B","t":-9223372036854775807,"q":2},{"ev":"T","sym":"C","p":1,"s":1,"t":1,"q":1},{"ev":"ZZ","sym":"D"},{"ev":"Q","sym":"E","t":\#(now),"q":3}]"#
        let (batch, texts) = process(frame, policy: ChannelPolicy(lateAfterMillis: 2000), channel: .Q, nowMillis: now, stats: stats)
        #expect(texts.count == 3)
        #expect(batch.records.map { $0.symbol == SymbolTable.none ? "?" : symbols.name($0.symbol) } == ["C", "?", "E"])
        #expect(texts[1].hasPrefix(#"{"ev":"ZZ""#))
        #expect(batch.channelMask == EventBatch.maskBit(FeedChannel.T.rawValue) | EventBatch.maskBit(EventRecord.unknownChannel) | EventBatch.maskBit(FeedChannel.Q.rawValue))
        let quarantined = stats.channels[Int(FeedChannel.Q.rawValue)].quarantined.snapshot.reduce(0) { $0 + $1.count }
        #expect(quarantined == 2, "the 3-second-old quote and the nonsense one")
    }

    @Test func aReSentBarIsMarkedAsACorrectionAndOthersAreUntouched() {
        let stats = EngineStats(connectionNames: ["c"], sinkNames: [])
        let bar = { (symbol: String, start: Int, close: Double) in
            #"{"ev":"AM","sym":"\#(symbol)","v":10,"o":1,"c":\#(close),"h":2,"l":1,"s":\#(start),"e":\#(start + 60000)}"#
        }
        let frame = "[" + [bar("X", 60000, 1.5), bar("Y", 60000, 3), bar("X", 120000, 1.6), bar("X", 60000, 1.55)].joined(separator: ",") + "]"
        let (batch, texts) = process(frame, policy: ChannelPolicy(), channel: .AM, nowMillis: 0, stats: stats)
        #expect(batch.records.count == 4)
        #expect(texts[0] == bar("X", 60000, 1.5))
        #expect(texts[1] == bar("Y", 60000, 3))
        #expect(texts[2] == bar("X", 120000, 1.6))
        #expect(texts[3] == #"{"correction":true,"# + bar("X", 60000, 1.55).dropFirst())
        #expect(batch.records[3].flags & EventRecord.Flags.correction != 0)
        #expect(stats.channels[Int(FeedChannel.AM.rawValue)].shaped.snapshot.first { $0.reason == "correction" }?.count == 1)

        let (_, appended) = process(frame, policy: ChannelPolicy(upsertsBars: false), channel: .AM, nowMillis: 0, stats: stats)
        #expect(appended[3] == bar("X", 60000, 1.55), "bars: append passes re-sent bars unmarked")
    }

    /// Held events share their frame (padding 0) or, from a frame over `HeldEvent.sharedFrameLimit`,
    /// are copied out of it (padding 70,000): either way the held bytes are delivered unchanged.
    @Test(arguments: [0, 70_000])
    func theShapingStagePublishesHeldValuesWhenTheirWindowEnds(padding: Int) async throws {
        let stats = EngineStats(connectionNames: ["c"], sinkNames: ["s"])
        let inlet = SinkInlet(channelMask: ~0, byteLimit: 1 << 20, stats: stats.sinks[0])
        let fanout = Fanout(inlets: [inlet])
        let policy = ChannelPolicy(throttle: ThrottleSettings(perSymbol: .milliseconds(100), mode: .conflate))
        let stage = ShapingStage(policies: [.Q: policy], symbols: symbols, fanout: fanout, stats: stats)
        #expect(stage.isActive)
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        for (index, time) in [0, 10, 20].enumerated() {
            var records: [EventRecord] = []
            var statuses: [ProviderStatus] = []
            let padded = String(repeating: " ", count: padding)
            let buffer = ByteBuffer(string: #"[{"ev":"Q","sym":"S","bp":\#(index),"t":1,"q":\#(index)},{"ev":"T","sym":"S","p":1,"t":1,"q":\#(index)}\#(padded)]"#)
            #expect((buffer.readableBytes > HeldEvent.sharedFrameLimit) == (padding > 0))
            _ = decoder.decode(buffer, into: &records, statuses: &statuses)
            var batch = EventBatch(frame: buffer, records: records)
            batch.recomputeChannelMask()
            stage.process(&batch, now: Int64(time) * Self.ms)
        }
        #expect(stage.heldCount == 1)
        stage.flushDue(now: 50 * Self.ms)
        #expect(stage.heldCount == 1, "not due before the window ends")
        stage.flushDue(now: 100 * Self.ms)
        #expect(stage.heldCount == 0)
        inlet.close()
        var lines: [String] = []
        while let batches = await inlet.drain() {
            for batch in batches {
                for record in batch.records { lines.append(batch.withEventBytes(record) { String(decoding: $0, as: UTF8.self) }) }
            }
        }
        let quotes = lines.filter { $0.hasPrefix(#"{"ev":"Q""#) }
        #expect(quotes == [#"{"ev":"Q","sym":"S","bp":0,"t":1,"q":0}"#, #"{"ev":"Q","sym":"S","bp":2,"t":1,"q":2}"#])
        #expect(lines.filter { $0.hasPrefix(#"{"ev":"T""#) }.count == 3, "unthrottled channels pass untouched")
        let shaped = stats.channels[Int(FeedChannel.Q.rawValue)].shaped.snapshot
        #expect(shaped.first { $0.reason == "conflated" }?.count == 1)
        #expect(shaped.first { $0.reason == "deferred" }?.count == 1)
    }

    // MARK: - Emission buffers (emit_every) and their overflow policies

    /// Appends `values` (one symbol each, as given) to a buffer; returns the outcomes and what it emits.
    static func fill(_ buffer: inout EmissionBuffer, _ events: [(symbol: SymbolID, value: Int)], now: Int64 = 0) -> [EmissionBuffer.Outcome] {
        events.map { event in
            let record = EventRecord(channelCode: FeedChannel.Q.rawValue, symbol: event.symbol, start: 0, length: 0, sequence: Int64(event.value))
            return withUnsafeBytes(of: event.value) { buffer.append(record, bytes: $0, now: now) }
        }
    }

    static func emitted(_ buffer: inout EmissionBuffer) -> [Int] {
        var values: [Int] = []
        buffer.emit { held in values.append(held.bytes.withUnsafeBytes { $0.load(as: Int.self) }) }
        return values
    }

    @Test func aBufferEmitsOncePerIntervalAsOneBatch() {
        var buffer = EmissionBuffer(capacity: 10, overflow: .dropOldest, interval: 100 * Self.ms)
        _ = Self.fill(&buffer, [(1, 1), (2, 2)], now: 5 * Self.ms)
        #expect(!buffer.isDue(now: 104 * Self.ms), "the interval runs from the first buffered event")
        #expect(buffer.isDue(now: 105 * Self.ms))
        #expect(Self.emitted(&buffer) == [1, 2])
        #expect(!buffer.isDue(now: 1000 * Self.ms), "an empty buffer is never due")
    }

    @Test func overflowPoliciesDropTheRightEvents() {
        let events: [(symbol: SymbolID, value: Int)] = [(1, 10), (2, 20), (3, 30), (1, 11), (4, 40)]

        var oldest = EmissionBuffer(capacity: 3, overflow: .dropOldest, interval: Self.ms)
        #expect(Self.fill(&oldest, events) == [.buffered, .buffered, .buffered, .dropped, .dropped])
        #expect(Self.emitted(&oldest) == [30, 11, 40], "drop-oldest keeps the newest three")

        var newest = EmissionBuffer(capacity: 3, overflow: .dropNewest, interval: Self.ms)
        #expect(Self.fill(&newest, events) == [.buffered, .buffered, .buffered, .dropped, .dropped])
        #expect(Self.emitted(&newest) == [10, 20, 30], "drop-newest keeps the first three")

        var conflate = EmissionBuffer(capacity: 3, overflow: .conflate, interval: Self.ms)
        #expect(Self.fill(&conflate, events) == [.buffered, .buffered, .buffered, .conflated, .dropped])
        // Symbol 1's value is replaced in place (11); symbol 4 then needs room and the oldest slot goes.
        #expect(Self.emitted(&conflate) == [20, 30, 40])

        var block = EmissionBuffer(capacity: 3, overflow: .block, interval: Self.ms)
        #expect(Self.fill(&block, events) == [.buffered, .buffered, .buffered, .mustEmit, .mustEmit], "block never drops: it asks for an early emission")
    }

    @Test func theShapingStageEmitsABufferedChannelOnceItsIntervalEndsAndFlushesItAtShutdown() async throws {
        let stats = EngineStats(connectionNames: ["c"], sinkNames: ["s"])
        let inlet = SinkInlet(channelMask: ~0, byteLimit: 1 << 20, stats: stats.sinks[0])
        let fanout = Fanout(inlets: [inlet])
        let policy = ChannelPolicy(buffer: 2, overflow: .conflate, emitEvery: .milliseconds(50))
        let stage = ShapingStage(policies: [.AM: policy], symbols: symbols, fanout: fanout, stats: stats)
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        func push(_ text: String, at time: Int64) {
            var records: [EventRecord] = []
            var statuses: [ProviderStatus] = []
            let buffer = ByteBuffer(string: text)
            _ = decoder.decode(buffer, into: &records, statuses: &statuses)
            var batch = EventBatch(frame: buffer, records: records)
            batch.recomputeChannelMask()
            stage.process(&batch, now: time * Self.ms)
        }
        let bar = { (symbol: String, close: Int) in #"{"ev":"AM","sym":"\#(symbol)","c":\#(close),"s":60000,"e":120000}"# }
        push("[" + bar("X", 1) + "," + #"{"ev":"T","sym":"X","p":1,"t":1,"q":1}"# + "]", at: 0)
        push("[" + bar("X", 2) + "," + bar("Y", 3) + "]", at: 10)
        #expect(stage.heldCount == 2, "AM is buffered (X conflated to its latest), T passed at once")
        stage.flushDue(now: 49 * Self.ms)
        #expect(stage.heldCount == 2)
        stage.flushDue(now: 50 * Self.ms)
        #expect(stage.heldCount == 0, "emitted when the interval ends")
        push("[" + bar("Z", 4) + "]", at: 60)
        stage.flushAll()
        #expect(stage.heldCount == 0, "shutdown delivers what is buffered")
        inlet.close()
        var lines: [String] = []
        while let batches = await inlet.drain() {
            for batch in batches {
                for record in batch.records { lines.append(batch.withEventBytes(record) { String(decoding: $0, as: UTF8.self) }) }
            }
        }
        #expect(lines == [#"{"ev":"T","sym":"X","p":1,"t":1,"q":1}"#, bar("X", 2), bar("Y", 3), bar("Z", 4)])
        #expect(stats.channels[Int(FeedChannel.AM.rawValue)].shaped.snapshot.first { $0.reason == "conflated" }?.count == 1)
    }
}
