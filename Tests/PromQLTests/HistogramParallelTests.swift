import Foundation
import Testing
import TSDB
@testable import PromQL

/// Selectors and range functions over many histogram series are spread over
/// the cores (`Evaluator.forEachForked`): the answer and its annotations
/// must be what evaluating each series alone gives, in series order.
@Suite("Histogram windows in parallel")
struct HistogramParallelTests {
    @Test func sameAsOneSeriesAtATime() throws {
        try withTestDatabase("histogram-parallel") { db in
            let start: Int64 = 0, step: Int64 = 15_000, samples = 200, series = 120
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            func next(_ n: UInt64) -> Double {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return Double(state % n)
            }
            var counts = [[Double]](repeating: [Double](repeating: 0, count: 8), count: series)
            for k in 0..<samples {
                let app = db.appender()
                for s in 0..<series {
                    let labels = Labels(["__name__": "h", "s": String(format: "%03d", s)])
                    let t = start + Int64(k) * step
                    // Every 7th series has a float sample in the middle (an info), every
                    // 11th is a gauge histogram (a warning under rate), some reset.
                    if s % 7 == 0 && k == samples / 2 {
                        try app.append(labels, t, 1)
                        continue
                    }
                    if s % 13 == 0 && k == samples / 3 { counts[s] = counts[s].map { $0 / 2 } }
                    for b in counts[s].indices { counts[s][b] += next(5) }
                    var h = NativeHistogram(schema: 0, count: counts[s].reduce(0, +), sum: next(1000),
                                            positive: counts[s].indices.map { HistogramBucket(Int32($0), counts[s][$0]) })
                    if s % 11 == 0 { h.counterResetHint = .gauge }
                    try app.appendHistogram(labels, t, h)
                }
                try app.commit()
            }
            let end = start + Int64(samples - 1) * step
            let engine = Engine()
            for template in ["rate(#[1m])", "increase(#[1m])", "sum_over_time(#[1m])", "histogram_count(last_over_time(#[1m]))",
                             "#", "histogram_count(#)"] {
                func run(_ selector: String) throws -> (QueryResult, Annotations) {
                    let query = template.replacingOccurrences(of: "#", with: selector)
                    var stats = QueryStatistics()
                    let r = try engine.rangeQuery(try Parser.parse(query), start: start, end: end, step: step, db: db, stats: &stats)
                    return (r, stats.annotations)
                }
                let (all, allNotes) = try run("h")
                var expected: [RangeSeries] = []
                var expectedNotes = Annotations()
                for s in 0..<series {
                    let (one, notes) = try run("h{s=\"\(String(format: "%03d", s))\"}")
                    guard case .matrix(let rows) = one else { Issue.record("not a matrix"); return }
                    expected += rows
                    expectedNotes.merge(notes)
                }
                guard case .matrix(let rows) = all else { Issue.record("not a matrix"); return }
                #expect(rows.map(\.labels) == expected.map(\.labels), "\(template)")
                #expect(zip(rows, expected).allSatisfy { a, b in
                    a.points.map(\.t) == b.points.map(\.t) && zip(a.points, b.points).allSatisfy { $0.v.bitPattern == $1.v.bitPattern }
                        && a.histograms.map(\.t) == b.histograms.map(\.t)
                        && zip(a.histograms, b.histograms).allSatisfy { $0.h.isIdentical(to: $1.h) }
                }, "\(template)")
                #expect(!allNotes.isEmpty || !template.hasPrefix("rate"))
                #expect(allNotes == expectedNotes, "\(template): \(allNotes.all.map(\.message)) vs \(expectedNotes.all.map(\.message))")
            }
        }
    }
}
