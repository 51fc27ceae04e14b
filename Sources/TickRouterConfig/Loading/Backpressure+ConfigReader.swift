extension BackpressureConfiguration {
    /// Reads `backpressure`: `class_order` (channel codes, most important first, no repeats).
    init(reader r: OptionsReader) {
        self.init()
        if let items = r.sequence("class_order") {
            var order: [FeedChannel] = []
            for item in items {
                guard let code = r.stringList(of: item)?.first else { continue }
                guard let channel = FeedChannel(code: code) else {
                    r.diagnostics.error(
                        "unknown channel '\(code)'", at: item,
                        hint: "channels: \(FeedChannel.allCases.map(\.code).joined(separator: ", "))"
                    )
                    continue
                }
                if order.contains(channel) {
                    r.diagnostics.error("\(code) is listed twice", at: item, hint: "list each channel once, most important first")
                    continue
                }
                order.append(channel)
            }
            classOrder = order
        }
        r.finish()
    }
}
