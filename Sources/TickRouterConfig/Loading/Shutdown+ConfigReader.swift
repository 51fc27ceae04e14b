extension ShutdownConfiguration {
    /// Reads `shutdown`: `timeout` (duration, default 5s, between 100ms and 10m).
    init(reader r: OptionsReader) {
        self.init(location: r.node.location)
        if let value = r.duration("timeout") {
            timeoutLocation = r.child("timeout")?.location
            if value < .milliseconds(100) || value > .seconds(600) {
                r.error("timeout must be between 100ms and 10m, found \(value)", key: "timeout", hint: "e.g. timeout: 5s")
            } else {
                timeout = value
            }
        }
        r.finish()
    }
}
