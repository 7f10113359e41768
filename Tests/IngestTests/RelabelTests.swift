import Testing
@testable import Ingest
import TSDB

/// Relabelling, every action, with the cases of Prometheus' documentation
/// and of its model/relabel tests.
@Suite("Relabelling")
struct RelabelTests {
    func config(_ action: RelabelConfig.Action, source: [String] = [], target: String = "", regex: String = "(.*)",
                replacement: String = "$1", separator: String = ";", modulus: UInt64 = 0) -> RelabelConfig {
        var c = RelabelConfig()
        c.action = action
        c.sourceLabels = source
        c.targetLabel = target
        c.regex = regex
        c.replacement = replacement
        c.separator = separator
        c.modulus = modulus
        return c
    }

    func relabel(_ labels: [String: String], _ configs: RelabelConfig...) throws -> [String: String]? {
        try Relabeler(configs).apply(Labels(labels)).map { Dictionary(uniqueKeysWithValues: $0.pairs.map { ($0.name, $0.value) }) }
    }

    let abc = ["a": "foo", "b": "bar", "c": "baz"]

    @Test func replace() throws {
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "d", regex: "f(.*)", replacement: "ch${1}-ch${1}"))
                == ["a": "foo", "b": "bar", "c": "baz", "d": "choo-choo"])
        // Several source labels joined by the separator.
        #expect(try relabel(abc, config(.replace, source: ["a", "b"], target: "a", regex: "f(.*);(.*)r", replacement: "b${1}${2}m"))
                == ["a": "boobam", "b": "bar", "c": "baz"])
        // No match: nothing changes; an empty result deletes the target.
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "d", regex: "x(.*)")) == abc)
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "b", regex: "(f).*", replacement: "")) == ["a": "foo", "c": "baz"])
        // Go's $name takes the longest run: $1x is the (missing) group "1x".
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "d", replacement: "$1x")) == abc)
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "d", replacement: "${1}x")) == abc.merging(["d": "foox"]) { $1 })
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "d", replacement: "$$1")) == abc.merging(["d": "$1"]) { $1 })
        // Named groups and a target built from a group.
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "t_${n}", regex: "(?P<n>f)oo", replacement: "${n}!"))
                == abc.merging(["t_f": "f!"]) { $1 })
        // The target may come from the value; names are UTF-8 (Prometheus 3), an empty one is ignored.
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "${1}", regex: "(.*)", replacement: "x")) == abc.merging(["foo": "x"]) { $1 })
        #expect(try relabel(["a": "1.x"], config(.replace, source: ["a"], target: "${1}", replacement: "y")) == ["a": "1.x", "1.x": "y"])
        #expect(try relabel(abc, config(.replace, source: ["z"], target: "${1}", replacement: "y")) == abc)
        // The regex is anchored at both ends.
        #expect(try relabel(abc, config(.replace, source: ["a"], target: "d", regex: "o", replacement: "hit")) == abc)
    }

    @Test("the blackbox exporter pattern")
    func blackbox() throws {
        let out = try relabel(["__address__": "example.com:443", "job": "blackbox-http"],
                              config(.replace, source: ["__address__"], target: "__param_target"),
                              config(.replace, source: ["__param_target"], target: "instance"),
                              config(.replace, target: "__address__", replacement: "127.0.0.1:9115"))
        #expect(out == ["__address__": "127.0.0.1:9115", "__param_target": "example.com:443", "instance": "example.com:443", "job": "blackbox-http"])
    }

    @Test func keepAndDrop() throws {
        #expect(try relabel(abc, config(.drop, source: ["a"], regex: ".*o.*")) == nil)
        #expect(try relabel(abc, config(.drop, source: ["a"], regex: "f")) == abc)  // anchored: "f" does not match "foo"
        #expect(try relabel(abc, config(.keep, source: ["a"], regex: "f.*")) == abc)
        #expect(try relabel(abc, config(.keep, source: ["z"], regex: ".+")) == nil)  // a missing label is ""
        #expect(try relabel(["a": "1", "b": "1"], config(.keepequal, source: ["a"], target: "b")) == ["a": "1", "b": "1"])
        #expect(try relabel(["a": "1", "b": "2"], config(.keepequal, source: ["a"], target: "b")) == nil)
        #expect(try relabel(["a": "1", "b": "1"], config(.dropequal, source: ["a"], target: "b")) == nil)
        #expect(try relabel(["a": "1", "b": "2"], config(.dropequal, source: ["a"], target: "b")) == ["a": "1", "b": "2"])
    }

    @Test func hashmod() throws {
        #expect(try relabel(abc, config(.hashmod, source: ["c"], target: "d", modulus: 1000)) == abc.merging(["d": "976"]) { $1 })
        #expect(MD5.digest([]).map { String(format: "%02x", $0) }.joined() == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.digest(Array("The quick brown fox jumps over the lazy dog".utf8)).map { String(format: "%02x", $0) }.joined()
                == "9e107d9d372bb6826bd81d3542a419d6")
    }

    @Test func labelmapDropKeep() throws {
        let input = ["a": "foo", "b1": "bar", "b2": "baz"]
        #expect(try relabel(input, config(.labelmap, regex: "(b.*)", replacement: "bar_${1}"))
                == ["a": "foo", "b1": "bar", "b2": "baz", "bar_b1": "bar", "bar_b2": "baz"])
        #expect(try relabel(["__meta_kubernetes_pod_label_app": "web", "x": "1"],
                            config(.labelmap, regex: "__meta_kubernetes_pod_label_(.+)")) == ["__meta_kubernetes_pod_label_app": "web", "app": "web", "x": "1"])
        #expect(try relabel(input, config(.labeldrop, regex: "(b.*)")) == ["a": "foo"])
        #expect(try relabel(input, config(.labelkeep, regex: "(b.*)")) == ["b1": "bar", "b2": "baz"])
    }

    @Test func lowercaseUppercase() throws {
        #expect(try relabel(["foo": "bAr123Foo"], config(.lowercase, source: ["foo"], target: "foo_lower"))
                == ["foo": "bAr123Foo", "foo_lower": "bar123foo"])
        #expect(try relabel(["foo": "bAr123Foo"], config(.uppercase, source: ["foo"], target: "foo_upper"))
                == ["foo": "bAr123Foo", "foo_upper": "BAR123FOO"])
    }

    @Test("invalid combinations are refused with Prometheus' messages")
    func validation() {
        let cases: [(RelabelConfig, String)] = [
            (config(.hashmod, source: ["a"], target: "b"), "relabel configuration for hashmod requires non-zero modulus"),
            (config(.replace, source: ["a"]), "relabel configuration for replace action requires 'target_label' value"),
            (config(.labeldrop, source: ["a"], regex: "x"), "labeldrop action requires only 'regex', and no other fields"),
            (config(.keepequal, source: ["a"], target: "b", regex: "x"),
             "keepequal action requires only 'source_labels' and `target_label`, and no other fields"),
        ]
        for (c, message) in cases {
            #expect(throws: RelabelConfig.Invalid(description: message)) { try c.validate() }
        }
        let e = #expect(throws: RelabelConfig.Invalid.self) { try config(.keep, source: ["a"], regex: "(unclosed").validate() }
        #expect(e?.description.hasPrefix("\"(unclosed\" is not a valid regular expression") == true)
    }
}
