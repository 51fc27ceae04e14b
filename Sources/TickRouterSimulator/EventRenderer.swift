/// Hand-written JSON rendering of each event type, with exactly the field names and types of
/// provider-protocol.md §4.1. Prices are fixed-point integers: cents (2 decimals) or
/// ten-thousandths (4 decimals).
enum EventRenderer {
    /// `{"ev":"T","sym":..,"i":"id","x":..,"p":..,"s":..,"c":[..],"t":ms,"q":..,"z":..}`
    static func trade(
        _ w: inout ByteWriter, symbol: [UInt8], id: UInt64, exchange: Int, priceCents: Int64,
        size: Int, conditions: [UInt8]?, timeMs: Int64, sequence: UInt64, tape: Int
    ) {
        w.append("{\"ev\":\"T\",\"sym\":")
        w.append(symbol)
        w.append(",\"i\":\"")
        w.appendUInt(id)
        w.append("\",\"x\":")
        w.appendUInt(UInt64(exchange))
        w.append(",\"p\":")
        w.appendFixed(priceCents, decimals: 2)
        w.append(",\"s\":")
        w.appendUInt(UInt64(size))
        if let conditions {
            w.append(",\"c\":")
            w.append(conditions)
        }
        w.append(",\"t\":")
        w.appendInt(timeMs)
        w.append(",\"q\":")
        w.appendUInt(sequence)
        w.append(",\"z\":")
        w.appendUInt(UInt64(tape))
        w.append(UInt8(ascii: "}"))
    }

    /// `{"ev":"Q","sym":..,"bx":..,"bp":..,"bs":..,"ax":..,"ap":..,"as":..,"c":..,"i":[..],"t":ms,"q":..,"z":..}`
    static func quote(
        _ w: inout ByteWriter, symbol: [UInt8], bidExchange: Int, bidCents: Int64, bidSize: Int,
        askExchange: Int, askCents: Int64, askSize: Int, condition: Int, indicators: [UInt8],
        timeMs: Int64, sequence: UInt64, tape: Int
    ) {
        w.append("{\"ev\":\"Q\",\"sym\":")
        w.append(symbol)
        w.append(",\"bx\":")
        w.appendUInt(UInt64(bidExchange))
        w.append(",\"bp\":")
        w.appendFixed(bidCents, decimals: 2)
        w.append(",\"bs\":")
        w.appendUInt(UInt64(bidSize))
        w.append(",\"ax\":")
        w.appendUInt(UInt64(askExchange))
        w.append(",\"ap\":")
        w.appendFixed(askCents, decimals: 2)
        w.append(",\"as\":")
        w.appendUInt(UInt64(askSize))
        w.append(",\"c\":")
        w.appendUInt(UInt64(condition))
        w.append(",\"i\":")
        w.append(indicators)
        w.append(",\"t\":")
        w.appendInt(timeMs)
        w.append(",\"q\":")
        w.appendUInt(sequence)
        w.append(",\"z\":")
        w.appendUInt(UInt64(tape))
        w.append(UInt8(ascii: "}"))
    }

    /// Values of one aggregate bar (A or AM); prices in cents, VWAPs in ten-thousandths.
    struct Bar {
        var volume: UInt64
        var accumulatedVolume: UInt64
        var officialOpenCents: Int64
        var vwap4: Int64
        var openCents: Int64
        var closeCents: Int64
        var highCents: Int64
        var lowCents: Int64
        var dayVwap4: Int64
        var averageSize: UInt64
        var startMs: Int64
        var endMs: Int64
    }

    /// `{"ev":"A"|"AM","sym":..,"v":..,"av":..,"op":..,"vw":..,"o":..,"c":..,"h":..,"l":..,"a":..,"z":..,"s":ms,"e":ms,"q":..}`
    static func aggregate(
        _ w: inout ByteWriter, minute: Bool, symbol: [UInt8], bar: Bar, sequence: UInt64
    ) {
        w.append(minute ? "{\"ev\":\"AM\",\"sym\":" : "{\"ev\":\"A\",\"sym\":")
        w.append(symbol)
        w.append(",\"v\":")
        w.appendUInt(bar.volume)
        w.append(",\"av\":")
        w.appendUInt(bar.accumulatedVolume)
        w.append(",\"op\":")
        w.appendFixed(bar.officialOpenCents, decimals: 2)
        w.append(",\"vw\":")
        w.appendFixed(bar.vwap4, decimals: 4)
        w.append(",\"o\":")
        w.appendFixed(bar.openCents, decimals: 2)
        w.append(",\"c\":")
        w.appendFixed(bar.closeCents, decimals: 2)
        w.append(",\"h\":")
        w.appendFixed(bar.highCents, decimals: 2)
        w.append(",\"l\":")
        w.appendFixed(bar.lowCents, decimals: 2)
        w.append(",\"a\":")
        w.appendFixed(bar.dayVwap4, decimals: 4)
        w.append(",\"z\":")
        w.appendUInt(bar.averageSize)
        w.append(",\"s\":")
        w.appendInt(bar.startMs)
        w.append(",\"e\":")
        w.appendInt(bar.endMs)
        w.append(",\"q\":")
        w.appendUInt(sequence)
        w.append(UInt8(ascii: "}"))
    }

    /// `{"ev":"LULD","T":..,"h":..,"l":..,"i":[..],"z":..,"t":µs,"q":..}`
    static func luld(
        _ w: inout ByteWriter, symbol: [UInt8], highCents: Int64, lowCents: Int64,
        indicators: [UInt8], tape: Int, timeMicros: Int64, sequence: UInt64
    ) {
        w.append("{\"ev\":\"LULD\",\"T\":")
        w.append(symbol)
        w.append(",\"h\":")
        w.appendFixed(highCents, decimals: 2)
        w.append(",\"l\":")
        w.appendFixed(lowCents, decimals: 2)
        w.append(",\"i\":")
        w.append(indicators)
        w.append(",\"z\":")
        w.appendUInt(UInt64(tape))
        w.append(",\"t\":")
        w.appendInt(timeMicros)
        w.append(",\"q\":")
        w.appendUInt(sequence)
        w.append(UInt8(ascii: "}"))
    }

    /// `{"ev":"NOI","T":..,"t":ns,"at":HHMM,"a":"C","i":seq,"x":..,"o":..,"p":..,"b":..}`
    static func imbalance(
        _ w: inout ByteWriter, symbol: [UInt8], timeNanos: Int64, auctionTime: Int,
        auctionType: UInt8, sequence: UInt64, exchange: Int, imbalance: UInt64, paired: UInt64,
        clearingCents: Int64
    ) {
        w.append("{\"ev\":\"NOI\",\"T\":")
        w.append(symbol)
        w.append(",\"t\":")
        w.appendInt(timeNanos)
        w.append(",\"at\":")
        w.appendUInt(UInt64(auctionTime))
        w.append(",\"a\":\"")
        w.append(auctionType)
        w.append("\",\"i\":")
        w.appendUInt(sequence)
        w.append(",\"x\":")
        w.appendUInt(UInt64(exchange))
        w.append(",\"o\":")
        w.appendUInt(imbalance)
        w.append(",\"p\":")
        w.appendUInt(paired)
        w.append(",\"b\":")
        w.appendFixed(clearingCents, decimals: 2)
        w.append(UInt8(ascii: "}"))
    }

    /// `{"ev":"FMV","fmv":..,"sym":..,"t":ns,"q":..}`
    static func fairValue(
        _ w: inout ByteWriter, symbol: [UInt8], value4: Int64, timeNanos: Int64, sequence: UInt64
    ) {
        w.append("{\"ev\":\"FMV\",\"fmv\":")
        w.appendFixed(value4, decimals: 4)
        w.append(",\"sym\":")
        w.append(symbol)
        w.append(",\"t\":")
        w.appendInt(timeNanos)
        w.append(",\"q\":")
        w.appendUInt(sequence)
        w.append(UInt8(ascii: "}"))
    }
}
