import Foundation
import Logging
import NIOCore
import TickRouter
import TickRouterConfig

/// The open files of one file sink and the rules for writing, rotating and syncing them.
///
/// Confined to the sink's writer: every call comes from the sink's task through the thread
/// pool, strictly one after another (hence `@unchecked Sendable`). Per event it does one
/// dictionary lookup (skipped for runs of the same channel and symbol) and a buffer append.
final class NDJSONFileSet: @unchecked Sendable {
    let spec: FileSink.Spec
    let runtime: SinkRuntime
    private var files: [UInt64: FileSegment] = [:]
    /// The UTC date/hour and rotation bucket the open files belong to.
    private var period = Period(date: "", hour: "", bucket: -1)
    private var lastFlush = ContinuousClock.now
    private var lastSync = ContinuousClock.now
    /// Closed files waiting to be compressed.
    private(set) var rotatedFiles: [String] = []
    /// Events written to the kernel so far.
    private(set) var written = 0
    private var reportedFailure = false

    struct Period: Equatable {
        var date: String
        var hour: String
        var bucket: Int
    }

    init(spec: FileSink.Spec, runtime: SinkRuntime) {
        self.spec = spec
        self.runtime = runtime
    }

    /// Writes one drain's batches; returns the paths rotated meanwhile (to compress).
    func write(_ batches: [EventBatch], now: Date = Date()) -> [String] {
        rollPeriod(now)
        let usesSymbol = spec.template.usesSymbol
        var lastKey = UInt64.max
        var file: FileSegment?
        for batch in batches {
            batch.frame.withUnsafeReadableBytes { frame in
                for record in batch.records {
                    let key = UInt64(record.channelCode) << 32 | UInt64(usesSymbol ? record.symbol : 0)
                    if key != lastKey || file == nil {
                        file = segment(for: key, record: record)
                        lastKey = key
                    }
                    guard let current = file else {
                        runtime.stats.drop(.writeFailed, 1)
                        continue
                    }
                    current.append(UnsafeRawBufferPointer(rebasing: frame[record.byteRange]))
                    if current.bufferedBytes >= spec.bufferBytes { flush(current) }
                    if let maxBytes = spec.maxBytes, current.size >= maxBytes {
                        rotate(key: key, renaming: true)
                        file = nil
                    }
                }
            }
        }
        let clock = ContinuousClock.now
        if clock - lastFlush >= spec.flushEvery {
            flushAll()
            lastFlush = clock
        }
        if spec.fsync == .interval, clock - lastSync >= spec.fsyncEvery {
            syncAll()
            lastSync = clock
        }
        defer { rotatedFiles.removeAll() }
        return rotatedFiles
    }

    /// Flushes and (unless `fsync: never`) syncs every file, then closes them all.
    func closeAll() {
        flushAll()
        if spec.fsync != .never { syncAll() }
        files.removeAll()
    }

    // MARK: Files

    private func segment(for key: UInt64, record: EventRecord) -> FileSegment? {
        if let open = files[key] { return open }
        let channel = record.channel?.code ?? (record.channelCode == EventRecord.statusChannel ? "status" : "unknown")
        let symbol = spec.template.usesSymbol ? runtime.symbols.name(record.symbol) : ""
        let path = spec.template.expand(
            market: runtime.market.rawValue, channel: channel, date: period.date, hour: period.hour, symbol: symbol
        )
        do {
            let file = try FileSegment(path: path, mode: spec.mode, bufferCapacity: min(spec.bufferBytes, 1 << 20) + 4096)
            files[key] = file
            return file
        } catch {
            reportFailure(error)
            return nil
        }
    }

    private func flush(_ file: FileSegment) {
        do {
            let events = try file.flush()
            written += events
            runtime.stats.delivered.add(events)
        } catch {
            reportFailure(error)
            runtime.stats.drop(.writeFailed, file.discardBuffer())
        }
    }

    private func flushAll() {
        for file in files.values { flush(file) }
    }

    private func syncAll() {
        for file in files.values {
            do { try file.sync() } catch { reportFailure(error) }
        }
    }

    /// Closes one file; with `renaming`, it moves aside to a numbered name so the template path
    /// starts afresh (size rotation, or a time rotation that keeps the same path).
    private func rotate(key: UInt64, renaming: Bool) {
        guard let file = files.removeValue(forKey: key) else { return }
        flush(file)
        if spec.fsync != .never {
            do { try file.sync() } catch { reportFailure(error) }
        }
        var closedPath = file.path
        if renaming {
            let target = Self.numberedPath(file.path)
            if rename(file.path, target) == 0 { closedPath = target }
        }
        if spec.gzip { rotatedFiles.append(closedPath) }
    }

    /// `dir/T.ndjson` → the first free of `dir/T.1.ndjson`, `dir/T.2.ndjson`, … (counting `.gz` too).
    static func numberedPath(_ path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let directory = String(path.dropLast(name.utf8.count))
        let (stem, ext): (Substring, Substring) =
            if let dot = name.lastIndex(of: "."), dot != name.startIndex { (name[..<dot], name[dot...]) } else { (name[...], "") }
        var index = 1
        while true {
            let candidate = "\(directory)\(stem).\(index)\(ext)"
            if access(candidate, F_OK) != 0, access(candidate + ".gz", F_OK) != 0 { return candidate }
            index += 1
        }
    }

    /// Starts a new period when the UTC date/hour (as used by the template) or the rotation bucket changes.
    private func rollPeriod(_ now: Date) {
        let seconds = Int(now.timeIntervalSince1970)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let date = String(format: "%04d-%02d-%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        let hour = String(format: "%02d", Int(parts.tm_hour))
        let bucket = spec.rotate.map { seconds / max(1, Int($0.components.seconds)) } ?? 0
        let next = Period(date: date, hour: hour, bucket: bucket)
        guard next != period else { return }
        let first = period.bucket < 0
        let pathsMove = next.date != period.date && spec.usesDate || next.hour != period.hour && spec.usesHour
        period = next
        guard !first else { return }
        // Same path after a pure time rotation: move the closed file aside so the path starts afresh.
        for key in Array(files.keys) { rotate(key: key, renaming: !pathsMove) }
    }

    private func reportFailure(_ error: any Error) {
        guard !reportedFailure else { return }
        reportedFailure = true
        runtime.logger.error("file sink: \(error); events that cannot be written are counted as write_failed")
    }
}
