#if NATS
import CNATS
import NIOCore
import TickRouter

/// Publishes drained batches to NATS: one message per event (the provider's JSON object,
/// unchanged) or, in batch mode, one JSON array per subject per drained set.
///
/// Confined to the sink's publishing thread. Per event it does two array reads for the subject
/// and one `natsConnection_Publish`; nothing is allocated per event (the working arrays keep
/// their capacity between calls).
final class NATSPublisher: @unchecked Sendable {
    enum Payload: String, Sendable { case event, batch }

    /// What one call achieved.
    struct Outcome {
        var delivered = 0
        var messages = 0
        var bytes = 0
        var reconnectBufferFull = 0
        var failed = 0
        var closed = 0
        var lastFailure: natsStatus = NATS_OK
    }

    let connection: NATSConnection
    let payload: Payload
    private(set) var subjects: SubjectCache
    /// Subject index of each record of the batch being published (event mode).
    private var recordSubjects: [Int32] = []
    /// Batch mode: events grouped by subject as linked lists over ``entries``.
    private struct Entry { var batch: Int32; var start: UInt32; var length: UInt32; var next: Int32 }
    private var entries: [Entry] = []
    private var heads: [Int32] = []
    private var tails: [Int32] = []
    private var touched: [Int32] = []
    private var arrayBuffer: [UInt8] = []

    init(connection: NATSConnection, payload: Payload, subjects: SubjectCache) {
        self.connection = connection
        self.payload = payload
        self.subjects = subjects
    }

    func publish(_ batches: [EventBatch]) -> Outcome {
        var outcome = Outcome()
        switch payload {
        case .event: for batch in batches { publishEvents(batch, into: &outcome) }
        case .batch: publishArrays(batches, into: &outcome)
        }
        return outcome
    }

    @inline(__always)
    private func count(_ status: natsStatus, events: Int, bytes: Int, into outcome: inout Outcome) {
        if status == NATS_OK {
            outcome.delivered += events
            outcome.messages += 1
            outcome.bytes += bytes
            return
        }
        outcome.lastFailure = status
        if status == NATS_INSUFFICIENT_BUFFER {
            outcome.reconnectBufferFull += events
        } else if status == NATS_CONNECTION_CLOSED {
            outcome.closed += events
        } else {
            outcome.failed += events
        }
    }

    private func publishEvents(_ batch: EventBatch, into outcome: inout Outcome) {
        recordSubjects.removeAll(keepingCapacity: true)
        for record in batch.records {
            recordSubjects.append(subjects.index(channelCode: record.channelCode, symbol: record.symbol))
        }
        let offsets = subjects.offsets
        let indexes = recordSubjects
        subjects.bytes.withUnsafeBufferPointer { subjectBytes in
            guard let subjectBase = subjectBytes.baseAddress else { return }
            batch.frame.withUnsafeReadableBytes { frame in
                guard let frameBase = frame.baseAddress else { return }
                for (position, record) in batch.records.enumerated() {
                    let subject = subjectBase + offsets[Int(indexes[position])]
                    let length = Int(record.length)
                    let status = connection.publish(subject: subject, bytes: frameBase + Int(record.start), count: length)
                    count(status, events: 1, bytes: length, into: &outcome)
                }
            }
        }
    }

    private func publishArrays(_ batches: [EventBatch], into outcome: inout Outcome) {
        entries.removeAll(keepingCapacity: true)
        touched.removeAll(keepingCapacity: true)
        for (batchIndex, batch) in batches.enumerated() {
            for record in batch.records {
                let subject = Int(subjects.index(channelCode: record.channelCode, symbol: record.symbol))
                if subject >= heads.count {
                    let grow = max(subject + 1, heads.count * 2, 256) - heads.count
                    heads.append(contentsOf: repeatElement(-1, count: grow))
                    tails.append(contentsOf: repeatElement(-1, count: grow))
                }
                let entry = Int32(entries.count)
                entries.append(Entry(batch: Int32(batchIndex), start: record.start, length: record.length, next: -1))
                if heads[subject] < 0 {
                    heads[subject] = entry
                    touched.append(Int32(subject))
                } else {
                    entries[Int(tails[subject])].next = entry
                }
                tails[subject] = entry
            }
        }
        // libnats reports 0 until the first connection; the server default is 1 MiB.
        let maxPayload = connection.maxPayload > 0 ? connection.maxPayload : 1 << 20
        let offsets = subjects.offsets
        subjects.bytes.withUnsafeBufferPointer { subjectBytes in
            guard let subjectBase = subjectBytes.baseAddress else { return }
            for subject in touched {
                let subjectPointer = subjectBase + offsets[Int(subject)]
                var events = 0
                arrayBuffer.removeAll(keepingCapacity: true)
                var cursor = heads[Int(subject)]
                while cursor >= 0 {
                    let entry = entries[Int(cursor)]
                    // Start a new array when this event would push the message past the server's limit.
                    if events > 0, arrayBuffer.count + Int(entry.length) + 2 > maxPayload {
                        arrayBuffer.append(UInt8(ascii: "]"))
                        flushArray(subjectPointer, events: events, into: &outcome)
                        events = 0
                    }
                    arrayBuffer.append(events == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
                    batches[Int(entry.batch)].frame.withUnsafeReadableBytes { frame in
                        arrayBuffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[Int(entry.start)..<Int(entry.start) + Int(entry.length)]))
                    }
                    events += 1
                    cursor = entry.next
                }
                if events > 0 {
                    arrayBuffer.append(UInt8(ascii: "]"))
                    flushArray(subjectPointer, events: events, into: &outcome)
                }
                heads[Int(subject)] = -1
                tails[Int(subject)] = -1
            }
        }
    }

    private func flushArray(_ subject: UnsafePointer<CChar>, events: Int, into outcome: inout Outcome) {
        let status = arrayBuffer.withUnsafeBytes { bytes in
            connection.publish(subject: subject, bytes: bytes.baseAddress, count: bytes.count)
        }
        count(status, events: events, bytes: arrayBuffer.count, into: &outcome)
        arrayBuffer.removeAll(keepingCapacity: true)
    }
}
#endif
