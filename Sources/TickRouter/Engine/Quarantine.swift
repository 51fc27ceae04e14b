import Synchronization
import DequeModule

/// A bounded ring of rejected input (malformed frames, invalid events), kept with the reason.
///
/// Only failures reach it, so copying the bytes here costs nothing on the healthy path.
public final class Quarantine: Sendable {
    /// One rejected item.
    public struct Entry: Sendable {
        public var connection: String
        public var reason: String
        /// The rejected bytes, truncated to 4 KiB.
        public var bytes: [UInt8]
    }

    private let entries: Mutex<Deque<Entry>>
    private let capacity: Int
    public let total = Counter()

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.entries = Mutex(Deque())
    }

    public func add(connection: String, reason: String, bytes: UnsafeRawBufferPointer) {
        total.add(1)
        let entry = Entry(connection: connection, reason: reason, bytes: Array(bytes.prefix(4096)))
        entries.withLock { entries in
            if entries.count == capacity { entries.removeFirst() }
            entries.append(entry)
        }
    }

    /// The most recent entries, oldest first.
    public var recent: [Entry] { entries.withLock { Array($0) } }
}
