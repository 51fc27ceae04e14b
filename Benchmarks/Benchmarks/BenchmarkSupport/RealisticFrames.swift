import NIOCore
import TickRouter

/// Provider-shaped frames with the field sets of the stocks T and Q channels.
public enum RealisticFrames {
    public static func make(frames: Int, eventsPerFrame: Int, symbols: Int) -> [ByteBuffer] {
        var random = SplitMix64(seed: 7)
        let names = (0..<symbols).map { index -> String in
            let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            var name = ""
            var value = index
            for _ in 0..<(index % 3 + 2) {
                name.append(letters[value % 26])
                value /= 26
            }
            return name
        }
        var sequence = [Int](repeating: 0, count: symbols * 2)
        // Timestamps start at the wall clock, so `late_after` checks run and find nothing late.
        var time = Int(WallClock.millis())
        return (0..<frames).map { _ in
            var text = "["
            for event in 0..<eventsPerFrame {
                if event > 0 { text += "," }
                let symbol = Int(random.next() % UInt64(symbols))
                let isTrade = random.next() % 10 < 4
                let slot = symbol * 2 + (isTrade ? 0 : 1)
                sequence[slot] += 1
                time += Int(random.next() % 3)
                let price = 10 + Double(random.next() % 90_000) / 100
                if isTrade {
                    text += #"{"ev":"T","sym":"\#(names[symbol])","i":"\#(sequence[slot])","x":4,"p":\#(price),"s":100,"c":[14,41],"t":\#(time),"q":\#(sequence[slot]),"z":3}"#
                } else {
                    text += #"{"ev":"Q","sym":"\#(names[symbol])","bx":4,"bp":\#(price),"bs":2,"ax":7,"ap":\#(price + 0.01),"as":3,"c":0,"i":[604],"t":\#(time),"q":\#(sequence[slot]),"z":3}"#
                }
            }
            return ByteBuffer(string: text + "]")
        }
    }
}
