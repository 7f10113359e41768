import Foundation
import Testing
@testable import PromQL
import TSDB

@Suite("promqltest scripts: reading")
struct TestScriptTests {
    func values(_ s: String) throws -> [SeriesPoint] { try SeriesNotation.expand(s) }

    @Test func expandingNotation() throws {
        #expect(try values("-2+4x3") == [.value(-2), .value(2), .value(6), .value(10)])
        #expect(try values("1-2x4") == [.value(1), .value(-1), .value(-3), .value(-5), .value(-7)])
        #expect(try values("1x4") == Array(repeating: .value(1), count: 5))
        #expect(try values("1 _x3 stale") == [.value(1), .missing, .missing, .missing, .stale])
        #expect(try values("5 2+3x2 _ stale") == [.value(5), .value(2), .value(5), .value(8), .missing, .stale])
        #expect(try values("1e3 Inf -Inf NaN") == [.value(1000), .value(.infinity), .value(-.infinity), .value(.nan)])
        #expect(try values("0.1+0.1x2") == [.value(0.1), .value(0.2), .value(0.1 + 0.1 + 0.1)])  // repeated addition
        #expect(try values("1e2+1e1x1") == [.value(100), .value(110)])
        #expect(try values("{{schema:1 sum:3 count:22 buckets:[5 10 7]}}").count == 1)
        #expect(throws: PromQLError.self) { try values("abc") }
    }

    @Test func readsCommands() throws {
        let script = try TestScript.parse("""
            # comment
            load 5m
              http_requests{job="api", instance="0"} 0+10x3
              {__name__="odd.name", a="b"} 1 _ stale

            eval instant at 10m sum by (job) (http_requests)
              {job="api"} 20

            eval range from 0 to 10m step 5m http_requests
              expect ordered
              http_requests{job="api", instance="0"} 0 10 20

            eval instant at 1m 12.34e6
            \t12340000

            eval instant at 0 "Foo"
              expect string "Foo"

            eval_fail instant at 0 rate(foo)

            eval instant at 0 foo
              expect fail msg: something went wrong

            clear
            """, file: "inline.test")
        #expect(script.commands.count == 8)
        guard case .load(let interval, let series, _) = script.commands[0] else { Issue.record("not load"); return }
        #expect(interval == 300_000)
        #expect(series[0].labels == Labels(["__name__": "http_requests", "job": "api", "instance": "0"]))
        #expect(series[0].points == [.value(0), .value(10), .value(20), .value(30)])
        #expect(series[1].labels == Labels(["__name__": "odd.name", "a": "b"]))
        guard case .eval(let e1) = script.commands[1] else { Issue.record("not eval"); return }
        #expect(e1.query == "sum by (job) (http_requests)")
        #expect(e1.time == .instant(at: 600_000))
        #expect(e1.expected.count == 1 && e1.expected[0].points == [.value(20)])
        guard case .eval(let e2) = script.commands[2] else { Issue.record("not eval"); return }
        #expect(e2.time == .range(start: 0, end: 600_000, step: 300_000))
        #expect(e2.ordered)
        guard case .eval(let e3) = script.commands[3] else { Issue.record("not eval"); return }
        #expect(e3.expectsScalar && e3.expected[0].points == [.value(12_340_000)])
        guard case .eval(let e4) = script.commands[4] else { Issue.record("not eval"); return }
        #expect(e4.expectedString == "Foo")
        guard case .eval(let e5) = script.commands[5], case .eval(let e6) = script.commands[6] else { Issue.record("not eval"); return }
        #expect(e5.mustFail)
        #expect(e6.mustFail && e6.expectations[0].message == "something went wrong")
        guard case .clear = script.commands[7] else { Issue.record("not clear"); return }
    }

    @Test func errorsNameFileAndLine() {
        do {
            _ = try TestScript.parse("load 5m\n  foo 1 2 zz\n", file: "x.test")
            Issue.record("accepted a bad value")
        } catch {
            #expect(error.description.hasPrefix("x.test:2:"))
        }
    }

    @Test("every upstream script reads: loads, evals and expectations",
          .enabled(if: UpstreamParseTests.available, UpstreamParseTests.missing))
    func upstreamScriptsRead() throws {
        let dir = UpstreamParseTests.directory
        var summary: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".test") }).sorted() {
            let script = try TestScript.parse(try String(contentsOfFile: dir + "/" + file, encoding: .utf8), file: file)
            var evals = 0, loads = 0, unsupported = 0, histogramPoints = 0
            for c in script.commands {
                switch c {
                case .eval(let e):
                    evals += 1
                    histogramPoints += e.expected.reduce(0) { $0 + $1.points.filter { if case .histogram = $0 { true } else { false } }.count }
                case .load(_, let series, _):
                    loads += 1
                    histogramPoints += series.reduce(0) { $0 + $1.points.filter { if case .histogram = $0 { true } else { false } }.count }
                case .unsupported, .loadWithNHCB: unsupported += 1
                case .clear: break
                }
            }
            summary.append("\(file): \(loads) loads, \(evals) evals, \(unsupported) unsupported commands, \(histogramPoints) native histogram points")
            #expect(evals > 0, "\(file) has no evals: the reader missed them")
        }
        print("Upstream scripts read:\n" + summary.joined(separator: "\n"))
    }
}
