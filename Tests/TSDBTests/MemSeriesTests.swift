import Testing
@testable import TSDB
import TSDBTestSupport

/// A head series' chunk bookkeeping, below the querier.
@Suite("Head series")
struct MemSeriesTests {
    @Test("chunkMetas returns exactly the chunks overlapping the window, in time order", arguments: 0..<20)
    func chunkWindow(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &+ 31)
        let series = MemSeries(ref: 1, labels: Labels(["__name__": "m"]), epoch: 0)
        var t = Int64(rng.next() % 100_000) - 50_000
        for _ in 0..<(Int(rng.next() % 2000) + 1) {
            series.append(t, Double(t), blockDuration: 2 * 3_600_000)
            t += rng.next() % 10 == 0 ? Int64(rng.next() % 4_000_000) : 15_000  // gaps: chunks with holes between them
        }
        // Every chunk, the open one included: (mint, maxt).
        var all = series.sealed.map { ($0.mint, $0.maxt) }
        if series.open.count > 0 { all.append((series.openMint, series.open.lastT)) }
        #expect(!all.isEmpty)
        // Random windows, and windows on the chunks' edges and in the gaps between them.
        var windows: [(Int64, Int64)] = (0..<50).map { _ in
            let a = Int64(rng.next() % UInt64(t + 200_000)) - 100_000
            return (a, a + Int64(rng.next() % 3) * Int64(rng.next() % 3_000_000))
        }
        for (mint, maxt) in all { windows += [(mint, mint), (maxt, maxt), (maxt + 1, maxt + 1), (mint - 1, mint - 1), (mint - 1, maxt + 1)] }
        for (a, b) in windows {
            let expected = all.filter { $0.1 >= a && $0.0 <= b }
            let got = series.chunkMetas(mint: a, maxt: b).map { ($0.mint, $0.maxt) }
            #expect(got.map(\.0) == expected.map(\.0) && got.map(\.1) == expected.map(\.1), "seed \(seed) [\(a), \(b)]")
        }
    }
}
