import PromQL
import TSDB

/// A line chart of range results in Unicode braille (2×4 dots per
/// character), scaled to the terminal width: a value axis with units on the
/// left, a time axis below, and a legend mapping colours to series. Points
/// further apart than twice the usual step are not joined (gaps stay gaps).
struct ChartRenderer {
    var width: Int
    var height = 12
    var color: Bool
    var unit: ValueFormat.Unit = .plain
    static let maxSeries = 8
    /// ANSI colours for series 1, 2, …: green, yellow, blue, magenta, cyan, red, bright green, bright blue.
    static let palette = ["32", "33", "34", "35", "36", "31", "92", "94"]

    func render(_ all: [RangeSeries]) -> String {
        let series = Array(all.prefix(Self.maxSeries))
        let points = series.flatMap(\.points)
        let finite = points.map(\.v).filter(\.isFinite)
        guard let tMin = points.map(\.t).min(), let tMax = points.map(\.t).max(), var lo = finite.min(), var hi = finite.max() else {
            return "no data"
        }
        if lo == hi { (lo, hi) = lo == 0 ? (-1, 1) : (lo - abs(lo) * 0.1, hi + abs(hi) * 0.1) }
        let yLabels = (0..<3).map { ValueFormat.axis(hi - (hi - lo) * Double($0) / 2, unit: unit) }
        let labelWidth = yLabels.map(\.count).max()!
        let cols = max(10, width - labelWidth - 2 - 4)  // 4: room for " UTC" after the time axis
        let dotsX = cols * 2, dotsY = height * 4
        var cells = [UInt8](repeating: 0, count: cols * height)
        var owner = [Int](repeating: -1, count: cols * height)

        func dot(_ x: Int, _ y: Int, _ s: Int) {
            guard x >= 0, x < dotsX, y >= 0, y < dotsY else { return }
            let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
            let cell = (y / 4) * cols + x / 2
            cells[cell] |= bits[x % 2][y % 4]
            owner[cell] = s
        }
        func position(_ p: Sample) -> (Int, Int)? {
            guard p.v.isFinite else { return nil }
            let x = tMax == tMin ? 0 : Int((Double(p.t - tMin) / Double(tMax - tMin) * Double(dotsX - 1)).rounded())
            let y = Int(((hi - p.v) / (hi - lo) * Double(dotsY - 1)).rounded())
            return (x, y)
        }
        let step = Self.usualStep(series)
        for (s, serie) in series.enumerated() {
            var previous: (Sample, (Int, Int))?
            for p in serie.points {
                guard let here = position(p) else { previous = nil; continue }
                if let (q, there) = previous, p.t - q.t <= 2 * step {
                    Self.line(from: there, to: here) { dot($0, $1, s) }
                } else {
                    dot(here.0, here.1, s)
                }
                previous = (p, here)
            }
        }

        var out: [String] = []
        for row in 0..<height {
            let label = row == 0 ? yLabels[0] : row == height / 2 ? yLabels[1] : row == height - 1 ? yLabels[2] : ""
            var line = String(repeating: " ", count: labelWidth - label.count) + label + (label.isEmpty ? " │" : " ┤")
            for c in 0..<cols {
                let i = row * cols + c
                let glyph = cells[i] == 0 ? " " : String(UnicodeScalar(0x2800 + UInt32(cells[i]))!)
                line += color && owner[i] >= 0 && cells[i] != 0 ? "\u{1B}[\(Self.palette[owner[i] % Self.palette.count])m\(glyph)\u{1B}[0m" : glyph
            }
            out.append(line.trimmingTrailingSpaces())
        }
        out.append(String(repeating: " ", count: labelWidth + 1) + "└" + String(repeating: "─", count: cols))
        out.append(String(repeating: " ", count: labelWidth + 2) + Self.timeAxis(tMin, tMax, columns: cols))

        for (s, serie) in series.enumerated() {
            let marker = color ? "\u{1B}[\(Self.palette[s % Self.palette.count])m━━\u{1B}[0m" : "━━"
            out.append("  \(marker) \(Self.legend(serie.labels))")
        }
        if all.count > series.count {
            out.append("  … and \(all.count - series.count) more series not shown (narrow the query, use topk, or \\format table)")
        }
        if !color && series.count > 1 { out.append("  (no colours on this output: series are not told apart)") }
        return out.joined(separator: "\n")
    }

    /// The most common distance between consecutive points.
    static func usualStep(_ series: [RangeSeries]) -> Int64 {
        var counts: [Int64: Int] = [:]
        for s in series { for (a, b) in zip(s.points, s.points.dropFirst()) { counts[b.t - a.t, default: 0] += 1 } }
        return counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
    }

    /// Dots on the straight line between two dots (Bresenham).
    static func line(from a: (Int, Int), to b: (Int, Int), _ plot: (Int, Int) -> Void) {
        var (x, y) = a
        let dx = abs(b.0 - x), dy = -abs(b.1 - y)
        let sx = x < b.0 ? 1 : -1, sy = y < b.1 ? 1 : -1
        var err = dx + dy
        while true {
            plot(x, y)
            if x == b.0 && y == b.1 { return }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Time labels under the axis: the start, the end and evenly spaced ones between.
    static func timeAxis(_ tMin: Int64, _ tMax: Int64, columns: Int) -> String {
        let span = tMax - tMin
        let sample = TimeFormat.axisLabel(tMin, span: span)
        let count = max(2, min(6, columns / (sample.count + 6)))
        var line = [Character](repeating: " ", count: columns + sample.count)
        for i in 0..<count {
            let col = (columns - 1) * i / (count - 1)
            let text = Array(TimeFormat.axisLabel(tMin + span * Int64(i) / Int64(count - 1), span: span))
            let start = i == count - 1 ? max(0, col - text.count + 1) : i == 0 ? 0 : max(0, col - text.count / 2)
            for (k, ch) in text.enumerated() where start + k < line.count { line[start + k] = ch }
        }
        return String(line).trimmingTrailingSpaces() + " UTC"
    }

    static func legend(_ labels: Labels) -> String {
        let name = labels["__name__"]
        let rest = labels.pairs.filter { $0.name != "__name__" }.map { "\($0.name)=\"\($0.value)\"" }
        if rest.isEmpty { return name.isEmpty ? "{}" : name }
        return name + "{" + rest.joined(separator: ", ") + "}"
    }
}
