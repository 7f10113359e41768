/// The shell's backslash commands: their names, help lines, and the
/// closest known name for a mistyped one.
enum MetaCommand {
    static let help: [(usage: String, what: String)] = [
        ("\\help", "this list"),
        ("\\time [T]", "evaluate instant queries at T (RFC 3339, unix seconds, now-1h); no T: now"),
        ("\\range START END STEP", "range mode: e.g. \\range now-1h now 1m"),
        ("\\instant", "back to instant queries"),
        ("\\format table|json|csv|chart", "how results are printed (chart: range results)"),
        ("\\labels [SELECTOR]", "label names, of the matching series if given"),
        ("\\series SELECTOR", "the series a selector matches"),
        ("\\stats", "series, samples, blocks, head and disk use"),
        ("\\explain QUERY", "the parsed expression, pretty-printed"),
        ("\\timing on|off", "show the time and samples each query took"),
        ("\\import FILE", "import a Prometheus text or OpenMetrics file"),
        ("\\quit", "leave (or Ctrl-D)"),
    ]

    static let names: [String] = help.map { String($0.usage.dropFirst().prefix { $0 != " " }) }

    /// The known name nearest to `name` (at most two edits away, or one it begins).
    static func closest(to name: String) -> String? {
        if let prefixed = names.first(where: { $0.hasPrefix(name) && !name.isEmpty }) { return prefixed }
        let best = names.map { ($0, distance($0, name)) }.min { $0.1 < $1.1 }
        return best.flatMap { $0.1 <= 2 ? $0.0 : nil }
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let old = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = old
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
