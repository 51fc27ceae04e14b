public import NIOCore

/// Recognises re-sent bars: the provider re-broadcasts a bar when late trades change it
/// (provider-protocol.md §4.7), so the same (symbol, window start) can arrive more than once.
///
/// Keeps the newest window start seen per symbol (an array indexed by ``SymbolID``). A bar whose
/// window start is not newer than that is a correction of a window already delivered.
public struct BarCorrections {
    private var newestWindow: [Int64] = []

    public init() {}

    /// Records a bar of `symbol` for the window starting at `windowStart` (the raw `s` value) and
    /// returns whether it corrects a window already seen.
    public mutating func isCorrection(symbol: SymbolID, windowStart: Int64) -> Bool {
        let index = Int(symbol)
        if index >= newestWindow.count {
            newestWindow.append(contentsOf: repeatElement(Int64.min, count: index - newestWindow.count + 1024))
        }
        if windowStart > newestWindow[index] {
            newestWindow[index] = windowStart
            return false
        }
        return true
    }
}

extension EventBatch {
    /// The key consumers see on a corrected bar: `{"correction":true,"ev":"AM",...}`. Existing
    /// Polygon parsers ignore unknown keys; upserting consumers use it to replace the earlier bar.
    public static let correctionKey: StaticString = "\"correction\":true,"

    /// Rebuilds the frame so every record flagged ``EventRecord/Flags/correction`` carries the
    /// correction key. Corrections are rare, so the copy happens only for batches that hold one.
    mutating func markCorrections() {
        let marker = Self.correctionKey
        var extra = 0
        for record in records where record.flags & EventRecord.Flags.correction != 0 { extra += marker.utf8CodeUnitCount }
        guard extra > 0 else { return }
        var rebuilt = ByteBufferAllocator().buffer(capacity: frame.readableBytes + extra)
        // A local copy of the records: `self`'s inside the closure would be checked for exclusive access per event.
        // (Moved out, not copied: `self.records` is emptied so the array stays uniquely referenced.)
        var records = self.records
        self.records = []
        defer { self.records = records }
        frame.withUnsafeReadableBytes { old in
            for index in records.indices {
                let record = records[index]
                let start = rebuilt.writerIndex
                let bytes = UnsafeRawBufferPointer(rebasing: old[record.byteRange])
                if record.flags & EventRecord.Flags.correction != 0, bytes.count > 2 {
                    rebuilt.writeInteger(UInt8(ascii: "{"))
                    rebuilt.writeStaticString(marker)
                    rebuilt.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[1...]))
                } else {
                    rebuilt.writeBytes(bytes)
                }
                records[index].start = UInt32(start)
                records[index].length = UInt32(rebuilt.writerIndex - start)
                if index < records.count - 1 { rebuilt.writeInteger(UInt8(ascii: ",")) }
            }
        }
        frame = rebuilt
    }
}
