import ArgumentParser
import Foundation
import TickRouterAdmin

/// `tickrouter top`: a terminal view of a running router's admin figures, refreshed each second.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Live rates, lag and drops of a running router (reads its admin endpoint)."
    )

    @Option(help: "The router's admin endpoint.")
    var admin: String = "http://127.0.0.1:9464"

    @Option(help: "Stop after this many screens (default: until interrupted).")
    var iterations: Int?

    func run() async throws {
        let client: AdminClient
        do {
            client = try AdminClient(base: admin)
        } catch {
            printError("tickrouter top: \(error)")
            throw ExitCode(1)
        }
        let interactive = isatty(STDOUT_FILENO) == 1
        var previous: AdminSnapshot?
        var shown = 0
        while iterations.map({ shown < $0 }) ?? true {
            if shown > 0 { try await Task.sleep(for: .seconds(1)) }
            shown += 1
            let screen: String
            do {
                let stats = try await client.request("GET", "/api/stats")
                guard stats.status == 200 else {
                    screen = "tickrouter top — \(admin): \(stats.status) \(stats.text)\n"
                    writeStandardOutput(Array(screen.utf8))
                    continue
                }
                let snapshot = try JSONDecoder().decode(AdminSnapshot.self, from: Data(stats.body))
                let health = try? JSONDecoder().decode(HealthReport.self, from: Data(try await client.request("GET", "/health").body))
                screen = TopView.render(snapshot, previous: previous, health: health, source: admin)
                previous = snapshot
            } catch {
                screen = "tickrouter top — cannot read \(admin): \(error)\n(is `tickrouter run` running with an `admin:` section?)\n"
            }
            // Clear the screen and home the cursor on a terminal; plain screens one after another otherwise.
            writeStandardOutput(Array((interactive ? "\u{1B}[H\u{1B}[2J" + screen : screen + "\n").utf8))
        }
    }
}
