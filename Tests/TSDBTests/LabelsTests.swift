import Testing
@testable import TSDB

@Suite("Labels")
struct LabelsTests {
    @Test func sortedUniqueNoEmptyValues() {
        let l = Labels([Label("b", "2"), Label("a", "1"), Label("c", ""), Label("a", "3")])
        #expect(l.pairs == [Label("a", "3"), Label("b", "2")])
        #expect(l["c"] == "")
        #expect(l["a"] == "3")
    }

    @Test("strings and label sets order by UTF-8 bytes, as Prometheus sorts them")
    func byteOrder() {
        // Canonical equivalence (Swift's `<`) would call "é" (precomposed) and "e\u{301}" equal, and order
        // them against others by scalars after normalising; Prometheus compares bytes.
        let samples = ["", "a", "ab", "abc", "b", "B", "é", "e\u{301}", "z", "zz", "\u{10FFFF}", "日本", "a\u{0}b",
                       "instance-0000000001.example.internal:9100", "instance-0000000001.example.internal:9101"]
        for a in samples {
            for b in samples {
                #expect(a.utf8Precedes(b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a) vs \(b)")
            }
        }
        #expect("e\u{301}".utf8Precedes("é"))  // 0x65 < 0xc3, though the two are canonically equivalent
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let a = String(decoding: (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0x20...0x7e, using: &rng) }, as: UTF8.self)
            let b = String(a.prefix(Int.random(in: 0...a.count, using: &rng))) + (Bool.random(using: &rng) ? "x" : "")
            #expect(a.utf8Precedes(b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a) vs \(b)")
        }
        let sets = [Labels(["__name__": "up", "job": "b"]), Labels(["__name__": "up", "job": "a", "x": "1"]),
                    Labels(["__name__": "up", "job": "a"]), Labels(["__name__": "u", "job": "z"])]
        #expect(sets.sorted(by: <) == [sets[3], sets[2], sets[1], sets[0]])
    }

    @Test("setting, keeping and filter keep the pairs sorted and unique without re-sorting")
    func derivedSets() {
        let l = Labels(["__name__": "up", "job": "api", "zone": "eu"])
        #expect(l.setting("aaa", to: "1").pairs.map(\.name) == ["__name__", "aaa", "job", "zone"])
        #expect(l.setting("instance", to: "h").pairs.map(\.name) == ["__name__", "instance", "job", "zone"])
        #expect(l.setting("zzz", to: "1").pairs.map(\.name) == ["__name__", "job", "zone", "zzz"])
        #expect(l.setting("job", to: "db") == Labels(["__name__": "up", "job": "db", "zone": "eu"]))
        #expect(l.setting("job", to: "") == Labels(["__name__": "up", "zone": "eu"]))
        #expect(l.setting("absent", to: "") == l)
        #expect(Labels.empty.setting("a", to: "1") == Labels(["a": "1"]))
        #expect(Labels.empty.setting("a", to: "") == Labels.empty)
        for name in ["", "A", "__name__", "a", "job", "jobs", "zone", "zzz"] {
            for value in ["", "v"] {
                // The same as building the set from scratch.
                var dict = Dictionary(uniqueKeysWithValues: l.pairs.map { ($0.name, $0.value) })
                dict[name] = value
                #expect(l.setting(name, to: value) == Labels(dict.filter { !$0.key.isEmpty || !$0.value.isEmpty }), "\(name)=\(value)")
            }
        }
        #expect(l.keeping(["zone", "job", "nope"]) == Labels(["job": "api", "zone": "eu"]))
        #expect(l.filter { $0.name != "job" } == Labels(["__name__": "up", "zone": "eu"]))
        // Already canonical input is taken as is; anything else is sorted, deduplicated, emptied values dropped.
        #expect(Labels([Label("a", "1"), Label("b", "2")]).pairs == [Label("a", "1"), Label("b", "2")])
        #expect(Labels([Label("b", "2"), Label("a", "1")]).pairs == [Label("a", "1"), Label("b", "2")])
        #expect(Labels([Label("a", "1"), Label("a", "2")]).pairs == [Label("a", "2")])
        #expect(Labels([Label("a", "1"), Label("b", "")]).pairs == [Label("a", "1")])
    }

    @Test func metricNameAndDescription() {
        let l = Labels(["__name__": "up", "job": "api", "path": "a\"b"])
        #expect(l.metricName == "up")
        #expect(l.description == #"up{job="api", path="a\"b"}"#)
    }

    @Test func invalidUTF8IsRejectedWithTheLabelNamed() {
        #expect(throws: TSDBError.self) {
            try Labels(validating: [(Array("job".utf8), [0xff, 0xfe])])
        }
        do {
            _ = try Labels(validating: [(Array("job".utf8), [0xc3])])
        } catch let e as TSDBError {
            #expect(e.code == .invalidLabels)
            #expect(e.message.contains("job"))
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: TSDBError.self) { try Labels(validating: [([], Array("x".utf8))]) }
    }

    @Test func stableHashIsDeterministicAndDistinguishes() {
        let a = Labels(["__name__": "up", "job": "a"])
        #expect(a.stableHash == Labels(["job": "a", "__name__": "up"]).stableHash)
        #expect(a.stableHash != Labels(["__name__": "up", "job": "b"]).stableHash)
        // Pair boundaries matter: {ab="c"} vs {a="bc"}.
        #expect(Labels(["ab": "c"]).stableHash != Labels(["a": "bc"]).stableHash)
        // Fixed across processes and versions (pinned value).
        #expect(Labels(["__name__": "up", "job": "a"]).stableHash == 5_606_134_937_520_834_475)
    }

    @Test func interningSharesStorage() {
        let t = SymbolTable()
        let s1 = t.intern(String(repeating: "x", count: 40))
        let s2 = t.intern(String(repeating: "x", count: 40))
        #expect(s1 == s2)
        #expect(t.count == 1)
    }
}

/// Reference values from the xxhash C library (Python `xxhash.xxh64`).
@Suite("xxHash64 and Prometheus' label hash")
struct XXHash64Tests {
    @Test func knownVectors() {
        #expect(XXHash64.hash(Array("".utf8)) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xFBCE_A83C_8A37_8BF1)
        #expect(XXHash64.hash((0..<100).map { UInt8($0) }) == 0x6AC1_E580_3216_6597)
    }

    @Test func labelHashIsPrometheus() {
        let labels = Labels(["__name__": "http_requests", "job": "api-server", "instance": "0", "group": "canary"])
        #expect(labels.prometheusHash == 0x7285_9264_FB76_4A72)
    }
}
