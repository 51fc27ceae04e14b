import Foundation
import TickRouter
import TickRouterConfig
import UnixSignals

/// Reloads the running config on SIGHUP, and with `--watch` whenever the file's modification
/// time or size changes. Reloads run one at a time; requests that arrive meanwhile are coalesced.
struct ConfigReloader {
    let host: RouterHost
    let path: String
    let watch: Bool
    let registry: PluginRegistry

    func run() async {
        let (requests, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { continuation.yield("SIGHUP") }
            }
            if watch {
                group.addTask {
                    var last = fingerprint()
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        let now = fingerprint()
                        if now != last {
                            last = now
                            continuation.yield("file change")
                        }
                    }
                }
            }
            group.addTask {
                for await reason in requests {
                    let result = await host.reload(file: path, environment: ProcessInfo.processInfo.environment, registry: registry)
                    switch result {
                    case .applied(let generation, let diff):
                        printError("tickrouter: reload (\(reason)) applied as generation \(generation): \(diff.summary)")
                    case .refused(let error):
                        printError(error.description)
                        printError("tickrouter: reload (\(reason)) refused; the running config stays")
                    case .failed(let message):
                        printError("tickrouter: reload (\(reason)) failed: \(message)")
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func fingerprint() -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let size = (attributes?[.size] as? Int) ?? -1
        return "\(modified):\(size)"
    }
}
