import Foundation
import Logging
import NIOPosix
import TickRouter
import TickRouterConfig

/// `file`: NDJSON files, one provider event per line, exactly the provider's bytes.
///
/// Paths come from a template (`{market}` `{channel}` `{date}` `{hour}` `{symbol}`, relative to
/// the working directory); files rotate by time (`rotate`) and size (`max_bytes`), rotated files
/// can be gzipped. Writing happens in large buffered writes on NIO's blocking-I/O thread pool,
/// never on an event loop. The sink is lossless on graceful shutdown: the engine closes the
/// inlet, the sink writes everything it accepted, flushes and syncs before `run()` returns.
/// Bars are written as they arrive (a corrected bar is a later line for the same minute).
public struct FileSink: Sink {
    public enum SyncPolicy: String, Sendable { case never, rotate, interval }

    public struct Spec: SinkSpec {
        var template: PathTemplate
        public var rotate: Duration?
        public var maxBytes: Int?
        public var fsync: SyncPolicy
        public var fsyncEvery: Duration
        public var flushEvery: Duration
        public var bufferBytes: Int
        public var gzip: Bool
        public var mode: Int
        public var sinkQueueBytes: Int

        var usesDate: Bool { template.parts.contains(.date) }
        var usesHour: Bool { template.parts.contains(.hour) }

        public var planDetails: [(key: String, value: String)] {
            [
                ("path", template.text), ("rotate", rotate.map { "\($0)" } ?? "never"),
                ("max_bytes", maxBytes.map { "\($0)" } ?? "unlimited"),
                ("fsync", fsync == .interval ? "every \(fsyncEvery)" : fsync.rawValue), ("gzip", "\(gzip)"),
                ("buffer", "\(bufferBytes) bytes per file, flushed at least every \(flushEvery)"),
            ]
        }

        public var queueBytes: Int { sinkQueueBytes }

        public func makeSink(_ runtime: SinkRuntime) throws -> any Sink { FileSink(spec: self, runtime: runtime) }
    }

    let spec: Spec
    let runtime: SinkRuntime

    public func run() async throws {
        let files = NDJSONFileSet(spec: spec, runtime: runtime)
        let pool = NIOThreadPool.singleton
        let syncCompressed = spec.fsync != .never
        let logger = runtime.logger
        try await withThrowingDiscardingTaskGroup { compressions in
            while let batches = await runtime.inlet.drain() {
                let rotated = try await pool.runIfActive { files.write(batches) }
                runtime.stats.recordHandoff(batches)
                for path in rotated {
                    compressions.addTask {
                        do {
                            try await pool.runIfActive { try GzipFile.compress(path, syncToDisk: syncCompressed) }
                        } catch is CancellationError {
                            // Cancelled (not a graceful shutdown): the rotated file stays, uncompressed.
                        } catch {
                            logger.error("file sink: gzip of \(path) failed: \(error); the file is kept uncompressed")
                        }
                    }
                }
            }
            try await pool.runIfActive { files.closeAll() }
        }
        let stats = runtime.stats
        let dropped = stats.dropped.snapshot.reduce(0) { $0 + $1.count }
        logger.notice("file sink closed: \(files.written) events written, \(stats.accepted.load) accepted, \(dropped) dropped")
    }

    public static let plugin = SinkPlugin(
        type: "file",
        summary: "NDJSON files (provider bytes, one event per line) with path templates, rotation, fsync policy and gzip",
        options: [
            PluginOption("path", "template", default: "data/{market}/{date}/{channel}.ndjson", "{market} {channel} {date} {hour} {symbol}; relative to the working directory"),
            PluginOption("rotate", "duration", default: "—", "start new files every period (UTC-aligned), e.g. 1h"),
            PluginOption("max_bytes", "byte size", default: "—", "start a new file when one reaches this size"),
            PluginOption("fsync", "never | rotate | interval", default: "rotate", "when data is forced to disk (always at shutdown unless never)"),
            PluginOption("fsync_every", "duration", default: "1s", "with fsync: interval"),
            PluginOption("flush_every", "duration", default: "200ms", "longest time events wait in the write buffer"),
            PluginOption("buffer", "byte size", default: "1MiB", "write buffer per open file"),
            PluginOption("gzip", "bool", default: "false", "compress rotated files to .gz"),
            PluginOption("mode", "octal string", default: "\"0644\"", "permissions of new files"),
            PluginOption("queue_bytes", "byte size", default: "256MiB", "the sink's inlet bound"),
        ]
    ) { reader, context in
        let text = reader.string("path") ?? "data/{market}/{date}/{channel}.ndjson"
        var template = PathTemplate(parts: [.literal("events.ndjson")], text: "events.ndjson")
        switch PathTemplate.parse(text) {
        case .success(let parsed): template = parsed
        case .failure(let error): reader.error(error.message, key: "path", hint: "placeholders: {market} {channel} {date} {hour} {symbol}")
        }
        let rotate = reader.duration("rotate")
        if let rotate, rotate < .seconds(1) { reader.error("rotate must be at least 1s", key: "rotate") }
        let maxBytes = reader.byteSize("max_bytes")
        if let maxBytes, maxBytes < 4096 { reader.error("max_bytes must be at least 4KiB", key: "max_bytes") }
        let fsync = reader.choice("fsync", ["never": SyncPolicy.never, "rotate": .rotate, "interval": .interval]) ?? .rotate
        let fsyncEvery = reader.duration("fsync_every") ?? .seconds(1)
        if reader.has("fsync_every"), fsync != .interval {
            reader.warning("fsync_every only applies with fsync: interval", key: "fsync_every")
        }
        let flushEvery = reader.duration("flush_every") ?? .milliseconds(200)
        let buffer = reader.byteSize("buffer") ?? (1 << 20)
        let gzip = reader.bool("gzip") ?? false
        if gzip, rotate == nil, maxBytes == nil {
            reader.warning("gzip compresses rotated files, and nothing rotates", key: "gzip", hint: "set rotate or max_bytes")
        }
        var mode = 0o644
        if let modeText = reader.string("mode") {
            if let parsed = Int(modeText, radix: 8), (0...0o777).contains(parsed) {
                mode = parsed
            } else {
                reader.error("mode must be an octal permission such as \"0644\"", key: "mode", hint: "quote it: mode: \"0640\"")
            }
        }
        let queueBytes = reader.byteSize("queue_bytes") ?? (256 << 20)
        return Spec(
            template: template, rotate: rotate, maxBytes: maxBytes, fsync: fsync, fsyncEvery: fsyncEvery, flushEvery: flushEvery,
            bufferBytes: max(4096, buffer), gzip: gzip, mode: mode, sinkQueueBytes: queueBytes
        )
    }
}
