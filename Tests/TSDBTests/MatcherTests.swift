import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Label matchers")
struct MatcherTests {
    @Test func equalityAndEmptyValueSemantics() throws {
        let m = try LabelMatcher(.equal, "foo", "")
        #expect(m.matches(""))  // {foo=""} selects series without foo
        #expect(!m.matches("x"))
        let ne = try LabelMatcher(.notEqual, "foo", "bar")
        #expect(ne.matches(""))  // != includes series lacking the label
        #expect(!ne.matches("bar"))
        let nre = try LabelMatcher(.regexNoMatch, "foo", "b.*")
        #expect(nre.matches(""))
        #expect(!nre.matches("bar"))
    }

    @Test func regexesAreFullyAnchoredAndDotMatchesNewline() throws {
        let m = try LabelMatcher(.regexMatch, "x", "ab")
        #expect(!m.matches("xab"))
        #expect(!m.matches("abx"))
        #expect(m.matches("ab"))
        let g = try LabelMatcher(.regexMatch, "x", "a[0-9]+")
        #expect(g.matches("a12"))
        #expect(!g.matches("a12b"))
        #expect(!g.matches("ba12"))
        let dot = try LabelMatcher(.regexMatch, "x", "a.c")
        #expect(dot.matches("a\nc"))
        let alt = try LabelMatcher(.regexMatch, "x", "a|b")
        #expect(!alt.matches("ab"))  // alternation is anchored as a whole
    }

    @Test func invalidRegexIsAClearError() {
        #expect(throws: TSDBError.self) { try LabelMatcher(.regexMatch, "x", "a(") }
        #expect(throws: TSDBError.self) { try LabelMatcher(.regexMatch, "x", "a(") }  // not cached as valid
    }

    @Test("compiled regexes come from a bounded cache and match as freshly compiled ones")
    func regexCache() throws {
        // More distinct patterns than the cache holds, each used twice: the
        // second use is a cache hit, or a recompile after the cache started over.
        for round in 0..<2 {
            for i in 0...CompiledRegex.cacheLimit {
                let pattern = "v\\d+_\(i)|w[a-c]"
                let matcher = try LabelMatcher(.regexMatch, "x", pattern)
                #expect(matcher.matches("v12_\(i)") && matcher.matches("wb"), "round \(round) pattern \(pattern)")
                #expect(!matcher.matches("v12_\(i + 1)") && !matcher.matches("wd"), "round \(round) pattern \(pattern)")
            }
        }
    }

    @Test func fastPathsAreChosen() throws {
        func kind(_ p: String) throws -> String {
            switch try StringMatcher(pattern: p) {
            case .anything: "anything"
            case .nonEmpty: "nonEmpty"
            case .literal: "literal"
            case .oneOf: "oneOf"
            case .prefix: "prefix"
            case .suffix: "suffix"
            case .contains: "contains"
            case .general: "general"
            }
        }
        #expect(try kind(".*") == "anything")
        #expect(try kind(".+") == "nonEmpty")
        #expect(try kind("foo") == "literal")
        #expect(try kind(#"foo\.bar"#) == "literal")
        #expect(try kind("a|b|c") == "oneOf")
        #expect(try kind("(a|b|c)") == "oneOf")
        #expect(try kind("foo.*") == "prefix")
        #expect(try kind(".*foo") == "suffix")
        #expect(try kind(".*foo.*") == "contains")
        #expect(try kind("fo+") == "general")
        #expect(try kind(#"\d+"#) == "general")
        #expect(try kind("(?i)foo") == "general")
        #expect(try kind("(a|b)c") == "general")
    }

    static let patterns = [
        ".*", ".+", "foo", #"foo\.bar"#, "a|b|c", "(a|b|c)", "foo.*", ".*foo", ".*foo.*", "|a", "a|", "(|a)",
        "api|web|db", ".*o.*", "x.*", ".*", "", "f", #"a\|b"#, "GET|POST",
    ]
    static let inputs = [
        "", "a", "b", "c", "ab", "foo", "foobar", "barfoo", "xfoox", "foo.bar", "fooxbar", "a|b", "api", "web",
        "db", "x", "xy", "o", "f", "GET", "POST", "get", "\n", "foo\nbar", "é", "ünïcode.foo",
    ]

    @Test("fast paths agree with the general regex engine", arguments: patterns)
    func fastPathsAgreeWithGeneral(pattern: String) throws {
        let fast = try StringMatcher(pattern: pattern)
        let general = try StringMatcher(generalPattern: pattern)
        for s in Self.inputs {
            #expect(fast.matches(s) == general.matches(s), "pattern \(pattern) input \(s.debugDescription)")
        }
    }
}

@Suite("Postings")
struct PostingsTests {
    @Test("set operations match a Set-based reference", arguments: 0..<50)
    func setOps(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        func list() -> [SeriesRef] {
            Array(Set((0..<Int(rng.next() % 200)).map { _ in rng.next() % 300 })).sorted()
        }
        let a = list(), b = list(), c = list()
        #expect(Postings.intersect(a, b) == Array(Set(a).intersection(b)).sorted())
        #expect(Postings.union(a, b) == Array(Set(a).union(b)).sorted())
        #expect(Postings.subtract(a, b) == Array(Set(a).subtracting(b)).sorted())
        #expect(Postings.intersect([a, b, c]) == Array(Set(a).intersection(b).intersection(c)).sorted())
        #expect(Postings.union([a, b, c, []]) == Array(Set(a).union(b).union(c)).sorted())
    }

    /// A small index to check matcher resolution against brute force.
    struct ListIndex: IndexReader {
        let series: [Labels]
        func labelValues(_ name: String) -> [String] { Array(Set(series.map { $0[name] }.filter { !$0.isEmpty })).sorted() }
        func labelNames() -> [String] { Array(Set(series.flatMap { $0.pairs.map(\.name) })).sorted() }
        func postings(_ name: String, _ value: String) -> [SeriesRef] {
            series.indices.filter { series[$0][name] == value }.map { SeriesRef($0) }
        }
        func allPostings() -> [SeriesRef] { series.indices.map { SeriesRef($0) } }
    }

    @Test("postings(for:) equals brute-force matching, including empty and negative matchers")
    func matchersAgainstBruteForce() throws {
        let idx = ListIndex(series: [
            Labels(["__name__": "up", "job": "api", "env": "prod"]),
            Labels(["__name__": "up", "job": "web"]),
            Labels(["__name__": "up", "job": "db", "env": "dev"]),
            Labels(["__name__": "http_requests_total", "job": "api", "code": "200"]),
            Labels(["__name__": "http_requests_total", "job": "api", "code": "500"]),
            Labels(["__name__": "other"]),
        ])
        let cases: [[LabelMatcher]] = [
            [.equal("__name__", "up")],
            [try .init(.equal, "env", "")],
            [.equal("__name__", "up"), try .init(.equal, "env", "")],
            [try .init(.notEqual, "env", "prod")],
            [try .init(.regexMatch, "job", "api|web")],
            [try .init(.regexNoMatch, "job", "a.*")],
            [try .init(.regexMatch, "env", ".*")],
            [try .init(.regexMatch, "env", ".+")],
            [try .init(.regexMatch, "env", "|prod")],
            [try .init(.regexMatch, "code", "5..")],
            [.equal("__name__", "up"), try .init(.regexNoMatch, "env", "")],
            [try .init(.notEqual, "job", "")],
            [.equal("job", "nope")],
        ]
        for ms in cases {
            let want = idx.series.indices.filter { idx.series[$0].matches(ms) }.map { SeriesRef($0) }
            #expect(idx.postings(for: ms) == want, "\(ms)")
        }
    }
}
