import Dispatch
import NIOCore
import Synchronization
@testable import TickRouter
import TickRouterConfig
import Testing

/// The merge of a symbol carried by two connections at once, event by event.
@Suite("Merge gate")
struct MergeGateTests {
    let symbols = SymbolTable()

    /// The trade sequence numbers of AAPL that pass the gate, from one connection's frame (with
    /// any kept-aside copies the gate hands on with it).
    func passing(_ gate: MergeGate, from connection: ConnectionIndex, _ sequences: [Int]) throws -> [Int64] {
        let text = "[" + sequences.map { #"{"ev":"T","sym":"AAPL","p":1.5,"s":1,"t":1,"q":\#($0)}"# }.joined(separator: ",") + "]"
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        let frame = ByteBuffer(string: text)
        #expect(decoder.decode(frame, into: &records, statuses: &statuses) == nil)
        var batch = EventBatch(frame: frame, records: records, connection: connection)
        var delivered: [Int64] = []
        gate.pass(&batch) { batch in
            for record in batch.records {
                delivered.append(record.sequence)
                // Every delivered record's bytes are the event's own.
                #expect(batch.withEventBytes(record) { String(decoding: $0, as: UTF8.self) }.hasSuffix(#""q":\#(record.sequence)}"#))
            }
        }
        return delivered
    }

    @Test func aMoveKeepsTheFirstCopyOfEachSequence() throws {
        let gate = MergeGate()
        let aapl = symbols.intern("AAPL")
        gate.begin([aapl])
        #expect(try passing(gate, from: 0, [1, 2, 3]) == [1, 2, 3])
        #expect(try passing(gate, from: 1, [2, 3, 4]) == [4], "duplicates dropped, the next one passes")
        #expect(try passing(gate, from: 0, [4, 5]) == [5])
        gate.end([aapl])
        #expect(try passing(gate, from: 0, [5, 6]) == [5, 6], "outside an overlap nothing is merged")
    }

    @Test func aJoinerAheadOfTheEstablishedStreamWaitsUntilItIsInStep() throws {
        let gate = MergeGate()
        let aapl = symbols.intern("AAPL")
        gate.begin([aapl], joiners: [(aapl, 1)])
        #expect(try passing(gate, from: 1, [10, 11]) == [], "before the established stream spoke, the joiner waits")
        #expect(try passing(gate, from: 0, [7, 8]) == [7, 8])
        #expect(try passing(gate, from: 1, [12]) == [], "ahead: the established connection will deliver 9 to 11 first")
        #expect(try passing(gate, from: 0, [9, 10]) == [9, 10, 11, 12], "the kept-aside 11 and 12 follow once 10 has passed")
        #expect(try passing(gate, from: 1, [11, 12, 13]) == [13], "in step from 11 on")
        #expect(try passing(gate, from: 0, [11, 12, 13, 14]) == [14], "now the established copies are the duplicates")
        #expect(try passing(gate, from: 1, [16]) == [16], "once in step it passes even ahead (a real gap)")
        gate.end([aapl], joiners: [(aapl, 1)])
    }

    /// The race behind a failover's lost second: the joiner's copy of the next event arrives just
    /// before the established connection's last one, and then the established connection lets go.
    @Test func aJoinerAheadWhenTheEstablishedConnectionLetsGoLosesNothing() throws {
        let gate = MergeGate()
        let aapl = symbols.intern("AAPL")
        gate.begin([aapl], joiners: [(aapl, 1)])
        #expect(try passing(gate, from: 0, [19, 20]) == [19, 20])
        #expect(try passing(gate, from: 1, [22]) == [], "ahead of the established stream: kept aside")
        #expect(try passing(gate, from: 0, [21]) == [21, 22], "the established connection's last, then the joiner's 22")
        #expect(try passing(gate, from: 1, [23, 24]) == [23, 24], "in step: the joiner goes on alone")
        gate.end([aapl], joiners: [(aapl, 1)])
    }

    /// A joiner still kept aside when the overlap ends (the established stream never reached it)
    /// goes on alone from what it kept, in order.
    @Test func whatAJoinerKeptAsideGoesOutWhenTheOverlapEnds() throws {
        let gate = MergeGate()
        let aapl = symbols.intern("AAPL")
        gate.begin([aapl], joiners: [(aapl, 1)])
        #expect(try passing(gate, from: 0, [27, 28]) == [27, 28])
        #expect(try passing(gate, from: 1, [31, 30]) == [], "29 never comes: both wait")
        gate.end([aapl], joiners: [(aapl, 1)])
        #expect(try passing(gate, from: 1, [32]) == [30, 31, 32], "kept-aside copies first, in sequence order")
        #expect(try passing(gate, from: 1, [33]) == [33])
    }

    @Test func overlappingMovesOfOneSymbolEndSeparately() throws {
        let gate = MergeGate()
        let aapl = symbols.intern("AAPL")
        gate.begin([aapl])
        gate.begin([aapl])
        #expect(try passing(gate, from: 0, [1, 2]) == [1, 2])
        gate.end([aapl])
        #expect(try passing(gate, from: 1, [2, 3]) == [3], "the second move still merges")
        gate.end([aapl])
        #expect(try passing(gate, from: 1, [3]) == [3])
    }

    /// Both copies of a redundant symbol race through the gate on two threads; what reaches the
    /// sinks is every sequence once, in order. (Delivering after the gate's lock is let go let one
    /// connection's next frame overtake the other's: a gap and a duplicate at the reader.)
    @Test func twoConnectionsRacingThroughTheGateReachTheSinksInSequenceOrder() throws {
        let gate = MergeGate()
        let aapl = symbols.intern("AAPL")
        gate.setRedundant([aapl])
        let frameCount = 20_000, perFrame = 5
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var statuses: [ProviderStatus] = []
        let frames: [(ByteBuffer, [EventRecord])] = try (0..<frameCount).map { index in
            let text = "[" + (1...perFrame).map { #"{"ev":"T","sym":"AAPL","p":1.5,"s":1,"t":1,"q":\#(index * perFrame + $0)}"# }.joined(separator: ",") + "]"
            let frame = ByteBuffer(string: text)
            var records: [EventRecord] = []
            try #require(decoder.decode(frame, into: &records, statuses: &statuses) == nil)
            return (frame, records)
        }
        let delivered = Mutex<[Int64]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { connection in
            for (frame, records) in frames {
                var batch = EventBatch(frame: frame, records: records, connection: ConnectionIndex(connection))
                gate.pass(&batch) { batch in
                    // The way to the sinks takes a moment (shaping, fan-out): the other thread's
                    // next frame has time to pass the gate meanwhile.
                    var work = 0
                    for _ in 0..<40 { for record in batch.records { work &+= Int(record.sequence) } }
                    delivered.withLock { $0.append(contentsOf: batch.records.map(\.sequence)); _ = work }
                }
            }
        }
        let sequences = delivered.withLock { $0 }
        let outOfOrder = zip(sequences, sequences.dropFirst()).filter { $0.1 != $0.0 + 1 }.count
        #expect(outOfOrder == 0, "every sequence follows the one before it")
        #expect(sequences.count == frameCount * perFrame && sequences.first == 1 && sequences.last == Int64(frameCount * perFrame))
    }
}
