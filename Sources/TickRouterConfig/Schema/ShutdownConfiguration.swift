/// How the router stops on SIGINT/SIGTERM (`shutdown`).
public struct ShutdownConfiguration: Sendable {
    /// How long the feed and the sinks may take to unsubscribe, drain and flush (`timeout`,
    /// default 5s). What is still queued then is dropped, counted as `shutdown` and logged.
    public var timeout: Duration
    /// Where the section starts (the file's start when it is absent).
    public var location: ConfigLocation
    /// Where `timeout` was written, if it was.
    public var timeoutLocation: ConfigLocation?

    /// Creates a shutdown configuration.
    public init(timeout: Duration = .seconds(5), location: ConfigLocation = .init(), timeoutLocation: ConfigLocation? = nil) {
        self.timeout = timeout
        self.location = location
        self.timeoutLocation = timeoutLocation
    }
}
