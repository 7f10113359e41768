import Foundation
import Testing
@testable import PromQL
import TSDB

@Suite("PromQL parser")
struct ParserTests {
    /// Input → canonical text (Prometheus' String() form).
    static let roundTrips: [(String, String)] = [
        ("foo", "foo"),
        ("foo{bar=\"baz\"}", "foo{bar=\"baz\"}"),
        ("{__name__=\"foo\",a!=\"b\" , c=~'x.*', d!~`y`}", "{__name__=\"foo\",a!=\"b\",c=~\"x.*\",d!~\"y\"}"),
        ("foo{z=\"1\", a=~\"2\"}", "foo{a=~\"2\",z=\"1\"}"),
        ("{\"my.metric\", \"a.b\"=\"x\"}", "{\"my.metric\",\"a.b\"=\"x\"}"),
        ("rate(http_requests_total[5m])", "rate(http_requests_total[5m])"),
        ("rate(foo[300])", "rate(foo[5m])"),
        ("foo[1h30m] offset -5m", "foo[1h30m] offset -5m"),
        ("foo offset 5m @ 100", "foo @ 100.000 offset 5m"),
        ("foo @ start()", "foo @ start()"),
        ("foo @ end() offset 1d", "foo @ end() offset 1d"),
        ("max_over_time(rate(foo[5m])[1h:1m])", "max_over_time(rate(foo[5m])[1h:1m])"),
        ("sum_over_time(foo[1h:] offset 2h)", "sum_over_time(foo[1h:] offset 2h)"),
        ("sum by (job) (rate(foo[5m]))", "sum by (job) (rate(foo[5m]))"),
        ("sum(rate(foo[5m])) by (job, instance)", "sum by (job, instance) (rate(foo[5m]))"),
        ("sum without(instance)(foo)", "sum without (instance) (foo)"),
        ("sum by ()(foo)", "sum(foo)"),
        ("topk(5, foo)", "topk(5, foo)"),
        ("quantile by (le) (0.9, foo)", "quantile by (le) (0.9, foo)"),
        ("count_values(\"value\", foo)", "count_values(\"value\", foo)"),
        ("a + on(x) group_left(y) b", "a + on (x) group_left (y) b"),
        ("a * ignoring(x,y) group_right b", "a * ignoring (x, y) group_right () b"),
        ("a > bool 2", "a > bool 2"),
        ("h</2", "h </ 2"),
        ("h >/ on(le) t", "h >/ on (le) t"),
        ("a and on() b", "a and on () b"),
        ("a or b unless c", "a or b unless c"),
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("-foo", "-foo"),
        ("-1", "-1"),
        ("- -1", "1"),
        ("+0.2", "0.2"),
        ("12.34e6", "12340000"),
        ("0x8f", "143"),
        ("1_000_000", "1000000"),
        ("Inf", "+Inf"),
        ("-inf", "-Inf"),
        ("nan", "NaN"),
        (".2", "0.2"),
        ("2.", "2"),
        ("5m", "5m"),
        ("-2h", "-2h"),
        ("\"a\\nb\\\"c\"", "\"a\\nb\\\"c\""),
        ("`raw \\n`", "\"raw \\\\n\""),
        ("'single \"q\"'", "\"single \\\"q\\\"\""),
        ("histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))", "histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))"),
        ("label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")", "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")"),
        ("round(foo)", "round(foo)"),
        ("time()", "time()"),
        ("foo # a comment\n + bar", "foo + bar"),
        ("changes(foo[1h/2])", "changes(foo[1h / 2])"),
        ("foo offset step()", "foo offset step()"),
        ("foo[min_of(step()+1,1h)]", "foo[min_of(step() + 1, 1h)]"),
        ("(foo)", "(foo)"),
        ("foo:bar:rate5m", "foo:bar:rate5m"),
        ("increase(foo[5m] anchored)", "increase(foo[5m] anchored)"),
        ("rate(foo[1m] SMOOTHED offset 1m)", "rate(foo[1m] offset 1m smoothed)"),
        ("foo @ 100 smoothed", "foo @ 100.000 smoothed"),
        ("anchored + smoothed", "anchored + smoothed"),
        ("a + fill(0) b", "a + fill(0) b"),
        ("a + on(x) group_left FILL_LEFT(-1) fill_right(Inf) b", "a + on (x) group_left () fill_left(-1) fill_right(+Inf) b"),
        ("a == bool fill_left(1) fill_right(1) b", "a == bool fill(1) b"),
        ("a + fill(NaN) b", "a + fill(NaN) b"),
        ("fill + fill(0) fill", "fill + fill(0) fill"),
        ("a + fill", "a + fill"),
    ]

    @Test("parse and print back canonically", arguments: roundTrips)
    func roundTrip(input: String, canonical: String) throws {
        let e = try Parser.parse(input)
        #expect(e.description == canonical)
        // The canonical form parses to the same canonical form.
        #expect(try Parser.parse(canonical).description == canonical)
    }

    @Test func precedenceAndAssociativity() throws {
        func tree(_ q: String) throws -> String { describe(try Parser.parse(q)) }
        #expect(try tree("1 + 2 * 3") == "(1 + (2 * 3))")
        #expect(try tree("1 * 2 + 3") == "((1 * 2) + 3)")
        #expect(try tree("2 ^ 3 ^ 2") == "(2 ^ (3 ^ 2))")
        #expect(try tree("-a ^ 2") == "-(a ^ 2)")
        #expect(try tree("-a * 2") == "(-a * 2)")
        #expect(try tree("a or b and c") == "(a or (b and c))")
        #expect(try tree("a == b + c") == "(a == (b + c))")
        #expect(try tree("a - b - c") == "((a - b) - c)")
        #expect(try tree("h </ t + 1 >/ 2") == "((h </ (t + 1)) >/ 2)")
        #expect(try tree("h >/ 1 and h </ 2") == "((h >/ 1) and (h </ 2))")
        #expect(try tree("a atan2 b * c") == "((a atan2 b) * c)")
        #expect(try tree("foo offset 100 + 2") == "(foo offset 1m40s + 2)")
        #expect(try tree("foo offset 2 ^ 2") == "(foo offset 2s ^ 2)")
        #expect(try tree("foo offset -2 ^ 2") == "(foo offset -2 ^ 2)")
        #expect(try tree("foo offset -step()*2") == "(foo offset -step() * 2)")
    }

    /// Parenthesised structure of binary and unary nodes, for precedence tests.
    func describe(_ e: Expr) -> String {
        switch e {
        case .binary(let b): "(\(describe(b.lhs)) \(b.op.rawValue) \(describe(b.rhs)))"
        case .unary(let n, let x): (n ? "-" : "+") + describe(x)
        default: e.description
        }
    }

    static let errors: [(String, String)] = [
        ("foo{bar}", "unexpected \"}\" at 1:8, expected label matching operator"),
        ("foo{bar=}", "unexpected \"}\" at 1:9, expected string"),
        ("foo{bar=\"x\" baz=\"y\"}", "unexpected identifier \"baz\" at 1:13, expected \",\" or \"}\""),
        ("sum(foo", "unexpected end of input at 1:8, expected \",\" or \")\" in aggregation"),
        ("rate(foo)", "expected type range vector in call to function \"rate\", got instant vector at 1:1"),
        ("{}", "vector selector must contain at least one non-empty matcher at 1:1"),
        ("{job=~\".*\"}", "vector selector must contain at least one non-empty matcher at 1:1"),
        ("foo[5m] + 1", "binary expression must contain only scalar and instant vector types at 1:9"),
        ("1 > 2", "comparisons between scalars must use BOOL modifier at 1:3"),
        ("foo and 1", "set operator \"and\" not allowed in binary scalar expression at 1:5"),
        ("nosuchfunc(foo)", "unknown function with name \"nosuchfunc\" at 1:1"),
        ("a + fill(0) 1", "fill modifiers are only allowed for arithmetic and comparison operations between instant vectors at 1:3"),
        ("a and fill(0) b", "fill modifiers are only allowed for arithmetic and comparison operations between instant vectors at 1:3"),
        ("a + fill(b) c", "unexpected identifier \"b\" at 1:10, expected number literal in fill()"),
        ("time(1)", "expected 0 argument(s) in call to \"time\", got 1 at 1:1"),
        ("label_join(up)", "expected at least 3 argument(s) in call to \"label_join\", got 1 at 1:1"),
        ("(foo + 1)[5m]", "ranges only allowed for vector selectors at 1:10"),
        ("foo offset 5m offset 1m", "offset may not be set multiple times at 1:15"),
        ("1 offset 5m", "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery at 1:3"),
        ("foo{a=~\"(\"}", "invalid regular expression \"(\""),
        ("\"unterminated", "unterminated quoted string at 1:1"),
        ("foo !", "unexpected character \"!\" at 1:5"),
        ("", "no expression found in input"),
        ("topk(foo)", "wrong number of arguments for aggregate expression provided, expected 2, got 1 at 1:1"),
        ("sum(foo) by (a) by (b)", "unexpected identifier \"by\" at 1:17, expected end of input or binary operator"),
        ("foo +", "unexpected end of input at 1:6, expected expression"),
        ("a + group_left b", "unexpected identifier \"group_left\" at 1:5, expected expression"),
        ("foo\n  + {}", "vector selector must contain at least one non-empty matcher at 2:5"),
    ]

    @Test("errors name the position and what was expected", arguments: errors)
    func errorMessages(input: String, message: String) {
        do {
            let e = try Parser.parse(input)
            Issue.record("parsed \(input.debugDescription) as \(e)")
        } catch {
            #expect(error.description.hasPrefix(message) || error.description.contains(message), "got: \(error.description)")
        }
    }

    /// Escapes are bytes, as in Go: `\xc3\xbf` is "ÿ", a lone `\xff` is not UTF-8.
    @Test func stringEscapesAreBytes() throws {
        guard case .string(let s) = try Parser.parse(#""\xc3\xbf\u00ff\303\277""#) else { Issue.record("not a string"); return }
        #expect(s == "ÿÿÿ")
        guard case .string(let bad) = try Parser.parse(#""\xff""#) else { Issue.record("not a string"); return }
        #expect(bad == "\u{FFFD}")
    }

    @Test func typesAndStructure() throws {
        #expect(try Parser.parse("foo").type == .vector)
        #expect(try Parser.parse("foo[5m]").type == .matrix)
        #expect(try Parser.parse("foo[5m:1m]").type == .matrix)
        #expect(try Parser.parse("1 + 2").type == .scalar)
        #expect(try Parser.parse("1 + foo").type == .vector)
        #expect(try Parser.parse("scalar(foo)").type == .scalar)
        #expect(try Parser.parse("\"x\"").type == .string)
        guard case .binary(let b) = try Parser.parse("a + on(x) group_left(y) b") else { Issue.record("not binary"); return }
        #expect(b.matching == VectorMatching(cardinality: .manyToOne, labels: ["x"], on: true, include: ["y"], explicit: true))
        guard case .vectorSelector(let vs) = try Parser.parse("foo @ 1.5 offset -1m") else { Issue.record("not selector"); return }
        #expect(vs.at == .timestamp(1500))
        #expect(try vs.offset?.evaluate() == -60000)
        guard case .matrixSelector(let ms) = try Parser.parse("foo[min_of(step() * 2, 1h)]") else { Issue.record("not matrix"); return }
        #expect(try ms.range.evaluate(step: 60000) == 120000)
        #expect(try ms.range.evaluate(step: 3_600_000) == 3_600_000)
    }
}

@Suite("PromQL engine limits")
struct EngineLimitTests {
    @Test func timeoutAndPointCapAreClearErrors() throws {
        try withTestDatabase("promql-limits") { db in
            let app = db.appender()
            for i in 0..<100 { try app.append(Labels(["__name__": "m", "i": String(i)]), 0, 1) }
            try app.commit()
            var opts = QueryOptions()
            opts.timeout = 0
            #expect(throws: PromQLError("query timed out in query execution")) {
                try Engine(options: opts).instantQuery("sum(m)", at: 0, db: db)
            }
            opts = QueryOptions()
            opts.maxSamples = 10
            #expect(throws: PromQLError("query processing would load too many samples into memory in query execution")) {
                try Engine(options: opts).instantQuery("sum(m)", at: 0, db: db)
            }
            let e = #expect(throws: PromQLError.self) {
                try Engine().rangeQuery("m", start: 0, end: 20_000_000, step: 1000, db: db)
            }
            #expect(e?.message.contains("exceeded maximum resolution of 11000 points per timeseries") == true)
            // Within limits the same queries work.
            guard case .vector(let v) = try Engine().instantQuery("sum(m)", at: 0, db: db) else { Issue.record("not a vector"); return }
            #expect(v.count == 1 && v[0].v == 100)
        }
    }
}
