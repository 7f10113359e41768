import Foundation
import Testing
@testable import PromQL
import TSDB

@Suite("Native-histogram test notation")
struct HistogramNotationTests {
    @Test("every part of a literal")
    func fullLiteral() throws {
        let h = try HistogramNotation.parse(
            "{{schema:1 sum:-0.5 count:9 z_bucket:2 z_bucket_w:0.001 buckets:[1 0 3] offset:-1 n_buckets:[2 1] n_offset:2 counter_reset_hint:gauge}}")
        #expect(h.schema == 1 && h.sum == -0.5 && h.count == 9 && h.zeroCount == 2 && h.zeroThreshold == 0.001)
        #expect(h.positive == [HistogramBucket(-1, 1), HistogramBucket(0, 0), HistogramBucket(1, 3)])
        #expect(h.negative == [HistogramBucket(2, 2), HistogramBucket(3, 1)])
        #expect(h.counterResetHint == .gauge)
        let empty = try HistogramNotation.parse("{{}}")
        #expect(empty.isIdentical(to: NativeHistogram()))
        let custom = try HistogramNotation.parse("{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[0 1] counter_reset_hint:not_reset}}")
        #expect(custom.usesCustomBuckets && custom.customValues == [5, 10] && custom.counterResetHint == .notCounterReset)
        #expect(try HistogramNotation.parse("{{counter_reset_hint:reset}}").counterResetHint == .counterReset)
        #expect(try HistogramNotation.parse("{{sum:Inf count:NaN}}").sum == .infinity)
    }

    @Test("malformed literals are errors that quote them", arguments: [
        ("{{sum:1 sum:2}}", "duplicate key \"sum\""),
        ("{{bogus:1}}", "unknown key \"bogus\""),
        ("{{schema:1.5}}", "error parsing schema integer"),
        ("{{buckets:[1 x]}}", "error parsing buckets float array"),
        ("{{buckets:[1 2}}", "unterminated \"[\""),
        ("{{counter_reset_hint:maybe}}", "unknown value \"maybe\""),
        ("{{sum}}", "expected key:value"),
        ("{sum:1}", "expected {{…}}"),
        ("{{schema:9}}", "invalid schema 9"),
    ])
    func malformed(text: String, message: String) {
        do {
            _ = try HistogramNotation.parse(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test("series items: repetition copies, + and - add and subtract an increment")
    func expansions() throws {
        let copies = try HistogramNotation.expand("{{schema:1 sum:2 count:3}}x2")
        #expect(copies.count == 3 && copies.allSatisfy { $0.schema == 1 && $0.sum == 2 && $0.count == 3 })
        let up = try HistogramNotation.expand("{{schema:0 sum:1 count:1 buckets:[1] offset:1}}+{{sum:2 count:1 buckets:[1]}}x2")
        #expect(up.map(\.sum) == [1, 3, 5] && up.map(\.count) == [1, 2, 3])
        #expect(up[2].positive == [HistogramBucket(0, 2), HistogramBucket(1, 1)])
        let down = try HistogramNotation.expand("{{sum:10 count:10 buckets:[5]}}-{{sum:1 count:2 buckets:[1]}}x3")
        #expect(down.map(\.count) == [10, 8, 6, 4] && down.last!.positive == [HistogramBucket(0, 2)])
        let cb = try HistogramNotation.expand(
            "{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}+{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}x2")
        #expect(cb.last!.positive == [HistogramBucket(0, 3)] && cb.last!.customValues == [5, 10])
        do {
            _ = try HistogramNotation.expand("{{schema:1 sum:1}}+{{schema:0 sum:1}}x1")
            Issue.record("a coarser increment was accepted")
        } catch {
            #expect("\(error)".contains("cannot merge from schema 0 to 1"))
        }
        let points = try SeriesNotation.expand("_ {{sum:1}}x1 stale 1")
        #expect(points.count == 5)
        #expect(points[0] == .missing && points[3] == .stale && points[4] == .value(1))
        #expect(points[1] == .histogram(NativeHistogram(sum: 1)))
    }

    @Test(.enabled(if: UpstreamParseTests.available, UpstreamParseTests.missing))
    func everyUpstreamHistogramLiteralParses() throws {
        let dir = UpstreamParseTests.directory
        var literals = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".test") }) {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains("{{") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                for item in try SeriesNotation.tokens(String(line)) where item.hasPrefix("{{") {
                    do {
                        literals += try HistogramNotation.expand(item).count
                    } catch {
                        Issue.record("\(file):\(n + 1): \(item): \(error)")
                    }
                }
            }
        }
        #expect(literals > 1_000)
    }
}
