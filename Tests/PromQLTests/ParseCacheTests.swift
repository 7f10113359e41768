import Testing
@testable import PromQL

@Suite("Parse cache")
struct ParseCacheTests {
    @Test("a cached tree is the parser's, errors are not kept and keep their position")
    func cachedTreesAndErrors() throws {
        let cache = ParseCache(capacity: 8)
        let q = "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))"
        let first = try cache.parse(q)
        #expect(cache.contains(q))
        let second = try cache.parse(q)
        #expect(second.pretty() == first.pretty())
        #expect(second.pretty() == (try Parser.parse(q)).pretty())
        for _ in 0..<2 {
            do {
                _ = try cache.parse("sum(up{job=})")
                Issue.record("a bad query parsed")
            } catch {
                #expect("\(error)" == "unexpected \"}\" at 1:12, expected string")
            }
        }
        #expect(cache.count == 1, "a failed parse is not kept")
    }

    @Test("past its capacity the least recently used tree goes")
    func leastRecentlyUsedGoes() throws {
        let cache = ParseCache(capacity: 2)
        _ = try cache.parse("a")
        _ = try cache.parse("b")
        _ = try cache.parse("a")  // a is now the more recent
        _ = try cache.parse("c")
        #expect(cache.count == 2)
        #expect(cache.contains("a") && cache.contains("c") && !cache.contains("b"))
    }

    @Test("texts longer than the limit are parsed but not kept")
    func longTextsNotKept() throws {
        let cache = ParseCache()
        let long = "up" + String(repeating: " + up", count: ParseCache.maxTextBytes / 5)
        _ = try cache.parse(long)
        #expect(cache.count == 0)
    }
}
