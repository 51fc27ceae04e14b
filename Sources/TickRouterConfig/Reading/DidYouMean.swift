/// Suggestions for misspelled keys and values.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
///
/// A candidate qualifies when its case-insensitive Damerau (optimal string alignment) distance
/// to `word` is at most 2 and smaller than the word itself, or when one is a prefix of the other
/// (at least 3 characters). Ties go to the earlier candidate.
///
/// ```swift
/// didYouMean("procesors", among: ["feed", "processors"])  // "processors"
/// ```
public func didYouMean(_ word: String, among candidates: [String]) -> String? {
    let lowered = word.lowercased()
    guard !lowered.isEmpty else { return nil }
    var best: (candidate: String, distance: Int)?
    for candidate in candidates where candidate != word {
        let other = candidate.lowercased()
        var distance = editDistance(lowered, other)
        if distance > 2 || distance >= max(lowered.count, 1) {
            let shorter = min(lowered.count, other.count)
            guard shorter >= 3, lowered.hasPrefix(other) || other.hasPrefix(lowered) else { continue }
            distance = 3
        }
        if let current = best, current.distance <= distance { continue }
        best = (candidate, distance)
    }
    return best?.candidate
}

/// A hint for an unknown name: "did you mean 'x'?" or the list of valid names.
func suggestion(for word: String, among candidates: [String], noun: String = "valid values") -> String? {
    if let match = didYouMean(word, among: candidates) { return "did you mean '\(match)'?" }
    guard !candidates.isEmpty else { return nil }
    return "\(noun): " + candidates.joined(separator: ", ")
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
func editDistance(_ lhs: String, _ rhs: String) -> Int {
    let a = Array(lhs.unicodeScalars), b = Array(rhs.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                value = min(value, table[i - 2][j - 2] + 1)
            }
            table[i][j] = value
        }
    }
    return table[a.count][b.count]
}
