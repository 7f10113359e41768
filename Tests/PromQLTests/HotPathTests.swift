import Foundation
import Testing
import TSDB
@testable import PromQL

/// The evaluator's fast paths against plain reference computations: topk and
/// bottomk (small-k insertion and large-k sorting), counter resets found per
/// window, one-to-one matching with precomputed peers, sliding-window
/// extremes, grouping by label parts without building label sets.
@Suite("Evaluator fast paths")
struct HotPathTests {
    /// Runs a promqltest script: it must hold `evals` evals, all passing.
    static func expectAllPass(_ text: String, file: String, evals: Int) throws {
        let outcomes = try ScriptRunner().run(try TestScript.parse(text, file: file))
        #expect(outcomes.count == evals)
        for o in outcomes {
            if case .passed = o.status { continue }
            Issue.record("\(file):\(o.line): \(o.query): \(o.status)")
        }
    }

    /// A script with `count` series of random small integers (many ties, some
    /// NaN) over three steps, and an eval per k whose expectation is computed
    /// here by sorting: ties keep label order, NaN ranks last.
    static func topkScript(count: Int, ks: [Int], seed: UInt64) -> (String, Int) {
        var state = seed
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var values: [(name: String, v: Double)] = []
        for i in 0..<count {
            let v: Double = next() % 11 == 0 ? .nan : Double(next() % 20)
            values.append((String(format: "s%03d", i), v))
        }
        var text = "load 1m\n"
        for s in values {
            let v = s.v.isNaN ? "NaN" : String(Int(s.v))
            text += "  m{i=\"\(s.name)\"} \(v) \(v) \(v)\n"
        }
        var evals = 0
        for k in ks {
            for (op, top) in [("topk", true), ("bottomk", false)] {
                let ranked = values.enumerated().sorted { a, b in
                    let (x, y) = (a.element.v, b.element.v)
                    if x.isNaN != y.isNaN { return y.isNaN }
                    if x != y && !x.isNaN { return top ? x > y : x < y }
                    return a.offset < b.offset
                }.prefix(k)
                text += "\neval instant at 1m \(op)(\(k), m)\n"
                for (_, s) in ranked {
                    text += "  m{i=\"\(s.name)\"} \(s.v.isNaN ? "NaN" : String(Int(s.v)))\n"
                }
                evals += 1
            }
        }
        return (text, evals)
    }

    @Test("topk/bottomk pick what a stable sort picks", arguments: [(12, [1, 3, 5, 11, 12, 40]), (150, [2, 7, 64, 65, 100, 149])])
    func topkMatchesSort(count: Int, ks: [Int]) throws {
        let (text, evals) = Self.topkScript(count: count, ks: ks, seed: UInt64(count) * 7919)
        try Self.expectAllPass(text, file: "topk-\(count)", evals: evals)
    }

    @Test("a window sees a counter reset exactly when it holds a decrease")
    func resetsPerWindow() {
        var state: UInt64 = 0x1234_5678
        for round in 0..<200 {
            var samples: [Sample] = []
            var v = 0.0
            for i in 0..<Int(40 + round % 30) {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                v = state % 9 == 0 ? Double(state % 5) : v + Double(state % 7)  // resets now and then
                samples.append(Sample(Int64(i) * 15_000, v))
            }
            let range: Int64 = 60_000 + Int64(round % 4) * 45_000
            let times = (0..<30).map { Int64($0) * 20_000 + 10_000 }
            samples.withUnsafeBufferPointer { buffer in
                _ = Evaluator.windowRow(buffer, times: times, range: range, steps: times.count, scanResets: true) { w, i, noResets in
                    let decreases = zip(w.dropFirst(), w).contains { $0.v < $1.v }
                    #expect(noResets == !decreases, "round \(round) step \(i)")
                    return 0
                }
            }
        }
    }

    @Test("every step's window holds exactly the samples in (t - range, t], however irregular the spacing")
    func windowEdges() {
        var state: UInt64 = 0x9E37_79B9
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        for round in 0..<300 {
            var samples: [Sample] = []
            var t = Int64(next() % 30) * 1_000  // on the steps' grid: samples exactly at window edges
            for _ in 0..<Int(next() % 200) {
                samples.append(Sample(t, 1))
                // Mostly regular (the edges move by the same count per step), with jitter and gaps.
                t += next() % 10 == 0 ? Int64(next() % 200_000) + 1 : 15_000 + (next() % 20 == 0 ? 3 : 0)
            }
            let step = Int64([1_000, 15_000, 30_000, 60_000, 300_000][Int(next() % 5)])
            let range = Int64([1, 15_000, 60_000, 300_000][Int(next() % 4)])
            var times = (0..<Int(next() % 100 + 1)).map { Int64($0) * step + Int64(next() % 2) }
            if round % 10 == 0 { times += times }  // times that go back (the cursors restart)
            samples.withUnsafeBufferPointer { buffer in
                var seen = [Bool](repeating: false, count: times.count)
                _ = Evaluator.windowRow(buffer, times: times, range: range, steps: times.count, scanResets: false) { w, i, _ in
                    let expected = samples.filter { $0.t > times[i] - range && $0.t <= times[i] }
                    #expect(Array(w) == expected, "round \(round) step \(i)")
                    seen[i] = true
                    return 0
                }
                for (i, t) in times.enumerated() where !seen[i] {
                    #expect(!samples.contains { $0.t > t - range && $0.t <= t }, "round \(round): step \(i) skipped a non-empty window")
                }
            }
        }
    }

    @Test("increase across a reset in some windows only")
    func increaseWithReset() throws {
        // 0 10 20 30 then a reset to 5, then 15 25 35: windows of 2m holding the
        // reset add the value before it; the others need no correction.
        let text = """
            load 1m
              c_total 0 10 20 30 5 15 25 35

            eval range from 2m to 7m step 1m increase(c_total[2m])
              {} 20 20 10 15 20 20

            eval range from 2m to 7m step 1m resets(c_total[2m])
              {} 0 0 1 0 0 0
            """
        try Self.expectAllPass(text, file: "reset", evals: 2)
    }

    @Test("one-to-one matching still refuses a duplicate on the many side")
    func duplicateManySide() throws {
        let text = """
            load 1m
              a{x="1", y="1"} 1 2
              a{x="1", y="2"} 3 4
              b{x="1"} 10 20

            eval instant at 1m a / ignoring(y) b
              expect fail msg: multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)

            eval instant at 1m a / ignoring(y) group_left b
              {x="1", y="1"} 0.1
              {x="1", y="2"} 0.2
            """
        try Self.expectAllPass(text, file: "matching", evals: 2)
    }

    @Test("sliding max/min_over_time equal a scan of every window, bit for bit")
    func slidingExtremesEqualScans() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        // Few distinct values (ties), signed zeros, infinities and NaNs, irregular gaps.
        let specials: [Double] = [0, -0.0, .infinity, -.infinity, .nan, 1, -1, 2.5]
        for round in 0..<300 {
            var samples: [Sample] = []
            var t = Int64(next() % 50_000)
            for _ in 0..<Int(next() % 120) {
                t += Int64(1 + next() % 40_000)
                let v = next() % 3 == 0 ? specials[Int(next() % UInt64(specials.count))] : Double(next() % 6)
                samples.append(Sample(t, v))
            }
            let range = Int64(1 + next() % 200_000)
            let stepLength = Int64(1 + next() % 60_000)
            let first = Int64(next() % 100_000)
            let times = (0..<Int(2 + next() % 80)).map { first + Int64($0) * stepLength }
            for max in [true, false] {
                samples.withUnsafeBufferPointer { buffer in
                    let scan = Evaluator.windowRow(buffer, times: times, range: range, steps: times.count, scanResets: false) { w, _, _ in
                        Evaluator.aggregate(max ? .max : .min, w.lazy.map(\.v), param: 0)
                    }
                    let sliding = Evaluator.slidingExtremeRow(buffer, times: times, range: range, steps: times.count, max: max)
                    #expect(scan?.present == sliding?.present, "round \(round) max \(max)")
                    #expect(scan?.values.map(\.bitPattern) == sliding?.values.map(\.bitPattern), "round \(round) max \(max)")
                    #expect(scan?.selected == sliding?.selected, "round \(round) max \(max)")
                }
            }
        }
    }

    @Test("rate, increase and delta reusing a window shape's factor equal computing it afresh, bit for bit")
    func extrapolationMemoEqualsFreshFactors() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var reused = 0, windows = 0
        for round in 0..<300 {
            // Mostly regular scrapes (shapes repeat), some jitter and gaps; counters that
            // start near zero (the zero clamp), reset now and then, or go negative (delta).
            var samples: [Sample] = []
            let interval = Int64(5_000 + next() % 3 * 5_000)
            var t = Int64(next() % 20_000)
            var v = next() % 2 == 0 ? 0 : Double(next() % 1000) - 300
            for _ in 0..<Int(next() % 200) {
                t += next() % 10 == 0 ? interval + Int64(next() % 3_000) - 1_000 : interval
                if next() % 40 == 0 { t += interval * Int64(next() % 20) }
                v = next() % 50 == 0 ? Double(next() % 10) : v + Double(next() % 100) / 7
                samples.append(Sample(t, v))
            }
            let range = interval * Int64(2 + next() % 12) + Int64(next() % 2) * 1_500
            let stepLength = interval * Int64(1 + next() % 4)
            let first = Int64(next() % 100_000)
            let times = (0..<Int(2 + next() % 120)).map { first + Int64($0) * stepLength }
            for (counter, rate) in [(true, true), (true, false), (false, false)] {
                samples.withUnsafeBufferPointer { buffer in
                    func row(memoized: Bool) -> Evaluator.StepRow? {
                        var memo = Evaluator.ExtrapolationMemo()
                        return Evaluator.windowRow(buffer, times: times, range: range, steps: times.count,
                                                   scanResets: counter) { w, i, noResets in
                            let window = Evaluator.Window(samples: w, rangeStart: times[i] - range, rangeEnd: times[i], range: range,
                                                          param: 0, stepTime: times[i], noCounterResets: noResets)
                            if !memoized { return Evaluator.extrapolatedRate(window, counter: counter, rate: rate) }
                            let shape = memo.shape
                            let v = Evaluator.extrapolatedRate(window, counter: counter, rate: rate, memo: &memo)
                            if w.count >= 2 { windows += 1; if memo.shape == shape { reused += 1 } }
                            return v
                        }
                    }
                    let (fresh, memoized) = (row(memoized: false), row(memoized: true))
                    #expect(fresh?.present == memoized?.present, "round \(round) \(counter) \(rate)")
                    #expect(fresh?.values.map(\.bitPattern) == memoized?.values.map(\.bitPattern), "round \(round) \(counter) \(rate)")
                }
            }
        }
        // The memo must actually be used, or this test compares a path with itself.
        #expect(reused > windows / 4, "\(reused) of \(windows) windows reused a factor")
    }

    @Test("grouping numbers label parts as building them would")
    func labelGroupsMatchBuiltKeys() {
        let names = ["a", "b", "c", "__name__"]
        var state: UInt64 = 42
        var series: [Labels] = []
        for _ in 0..<400 {
            var pairs: [Label] = []
            for n in names {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                if state % 4 != 0 { pairs.append(Label(n, "v\(state % 3)")) }
            }
            series.append(Labels(pairs))
        }
        for (keep, list) in [(true, ["a"]), (true, ["a", "c"]), (true, []), (false, ["b", "__name__"]), (false, ["__name__"]), (false, [])] {
            var groups = keep ? LabelGroups(keeping: list) : LabelGroups(dropping: list)
            var byKey: [Labels: Int] = [:]
            for s in series {
                let key = keep ? s.keeping(list) : s.filter { !list.contains($0.name) }
                let id = groups.id(of: s)
                let expected = byKey[key] ?? byKey.count
                byKey[key] = expected
                #expect(id == expected, "\(s) keep \(keep) \(list)")
                #expect(groups.keys[id] == key)
            }
            #expect(groups.count == byKey.count)
        }
    }

    @Test("results sorted by labels: byte order pair by pair, a prefix first, sorted input kept as is")
    func resultOrder() {
        var state: UInt64 = 7
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        let values = ["", "a", "ab", "b", "Z", "é", "a\u{0}"]
        var series: [RangeSeries] = []
        for i in 0..<300 {
            var pairs: [Label] = []
            for n in ["__name__", "x", "y"] where next() % 3 != 0 {
                pairs.append(Label(n, values[Int(next() % UInt64(values.count))]))
            }
            series.append(RangeSeries(labels: Labels(pairs), points: [Sample(Int64(i), Double(i))]))
        }
        // The reference: pairs as byte arrays, compared lexicographically.
        func bytes(_ l: Labels) -> [[UInt8]] { l.pairs.flatMap { [Array($0.name.utf8), Array($0.value.utf8)] } }
        func less(_ a: Labels, _ b: Labels) -> Bool {
            let (x, y) = (bytes(a), bytes(b))
            for (p, q) in zip(x, y) where p != q {
                return p.lexicographicallyPrecedes(q)
            }
            return x.count < y.count
        }
        let sorted = Engine.sortedByLabels(series)
        #expect(sorted.count == series.count)
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(!less(b.labels, a.labels), "\(b.labels) sorts before \(a.labels)")
            #expect((a.labels < b.labels) == less(a.labels, b.labels))
        }
        #expect(Set(sorted.map(\.points[0].t)) == Set(series.map(\.points[0].t)), "a permutation")
        let again = Engine.sortedByLabels(sorted)
        #expect(again.map(\.points[0].t) == sorted.map(\.points[0].t))
    }
}

/// Aggregations of range functions summed inside the decode tasks
/// (`FusedAggregation`) against the same aggregation over kept rows.
@Suite("Fused aggregation")
struct FusedAggregationTests {
    /// 400 counters (some resetting, some with gaps) in 5 groups over 2 h at
    /// 15 s: enough work for two decode tasks, few enough groups to fuse.
    static func fill(_ db: DB) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        let app = db.appender()
        for s in 0..<400 {
            let labels = Labels(["__name__": "c_total", "g": "g\(s % 5)", "s": String(s)])
            var v = Double(next() % 1000)
            for i in 0..<480 where !(s % 7 == 0 && (i / 40) % 3 == 1) {  // every 7th series has gaps
                v += Double(next() % 100) / 8
                if next() % 97 == 0 { v = Double(next() % 10) }  // a counter reset
                try app.append(labels, Int64(i) * 15_000, s % 11 == 0 && i == 200 ? .nan : v)
            }
        }
        try app.commit()
    }

    @Test("sum, count, group, min and max by group equal the unfused aggregation; the rows were fused")
    func fusedEqualsUnfused() throws {
        try withTestDatabase("fused-aggregation") { db in
            try Self.fill(db)
            let (start, end, step): (Int64, Int64, Int64) = (600_000, 7_200_000, 15_000)
            for op in ["sum", "count", "group", "min", "max"] {
                for inner in ["rate(c_total[5m])", "max_over_time(c_total[10m])"] {
                    // `* 1` keeps the rows: the aggregation's argument is no longer a range function.
                    let fused = try Engine().rangeQuery("\(op) by (g) (\(inner))", start: start, end: end, step: step, db: db)
                    let kept = try Engine().rangeQuery("\(op) by (g) (\(inner) * 1)", start: start, end: end, step: step, db: db)
                    guard case .matrix(let a) = fused, case .matrix(let b) = kept else { Issue.record("not a matrix"); return }
                    #expect(a.map(\.labels) == b.map(\.labels), "\(op) \(inner)")
                    #expect(a.count == 5)
                    for (x, y) in zip(a, b) {
                        #expect(x.points.map(\.t) == y.points.map(\.t), "\(op) \(inner) \(x.labels)")
                        for (p, q) in zip(x.points, y.points) where !(p.v.isNaN && q.v.isNaN) {
                            let tolerance = op == "sum" ? 1e-12 * max(abs(p.v), abs(q.v)) : 0
                            #expect(abs(p.v - q.v) <= tolerance, "\(op) \(inner) \(x.labels) at \(p.t): \(p.v) vs \(q.v)")
                        }
                    }
                }
            }
            // The fused path was taken (it needs two cores to split the work).
            var ev = Evaluator(db: db, start: start, end: end, step: step, options: QueryOptions())
            let request = FusionRequest(op: .sum, grouping: LabelGroups(keeping: ["g"]))
            guard case .call(let call) = try Parser.parse("rate(c_total[5m])") else { Issue.record("not a call"); return }
            let hollow = try ev.rangeFunction(call, dropName: true, Evaluator.rangeFunctions["rate"]!, fusion: request)
            if Parallel.cores > 1 {
                #expect(request.result != nil)
                #expect(hollow.count == 400 && hollow.allSatisfy { $0.values.isEmpty })
            } else {
                #expect(request.result == nil, "one core: nothing to split, rows kept")
            }
        }
    }
}
