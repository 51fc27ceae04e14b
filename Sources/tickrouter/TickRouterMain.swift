import TickRouter
import TickRouterCLI
import TickRouterPlugins

/// The stock host: every built-in plugin. Build your own host the same way to add plugins.
@main
struct TickRouterMain {
    static func main() async {
        await TickRouterCommand.main(registry: .builtin)
    }
}
