import Foundation
@testable import Rules
import Testing

@Suite("Alert templates")
struct AlertTemplateTests {
    func render(_ source: String, labels: [String: String] = ["service": "api", "instance": "web-1:9100", "job": "node"],
                value: Double = 0.1234567, query: (@Sendable (String) throws -> [(labels: [String: String], value: Double)])? = nil) throws -> String {
        try AlertTemplate(source).render(.init(labels: labels, value: value, externalLabels: ["dc": "ams"],
                                               externalURL: "http://prom:9090", query: query))
    }

    @Test("the issue's annotations")
    func issueExample() throws {
        #expect(try render("High error rate on {{ $labels.service }}") == "High error rate on api")
        #expect(try render("{{ $labels.service }} is at {{ $value | humanizePercentage }}") == "api is at 12.35%")
    }

    @Test("variables, fields, missing labels, printing values")
    func variables() throws {
        #expect(try render("{{ .Labels.job }}/{{ $externalLabels.dc }}/{{ .ExternalURL }}") == "node/ams/http://prom:9090")
        #expect(try render("[{{ $labels.nope }}]") == "[]")
        #expect(try render("{{ $value }}", value: 1234567) == "1.234567e+06")
        #expect(try render("{{ $value }}", value: 0.5) == "0.5")
        #expect(try render("{{ $x := 3 }}{{ $x }}") == "3")
        #expect(try render("{{ index $labels \"job\" }} {{ len $labels }}") == "node 3")
    }

    @Test("Prometheus' humanize functions")
    func humanize() throws {
        let cases: [(String, Double, String)] = [
            ("humanize", 1234567, "1.235M"), ("humanize", 0, "0"), ("humanize", 0.001234, "1.234m"), ("humanize", -1500, "-1.5k"),
            ("humanize1024", 1048576, "1Mi"), ("humanize1024", 1, "1"), ("humanize1024", 1536, "1.5ki"),
            ("humanizeDuration", 899.99, "14m 59s"), ("humanizeDuration", 0, "0s"), ("humanizeDuration", 3600, "1h 0m 0s"),
            ("humanizeDuration", 86400 + 3600, "1d 1h 0m 0s"), ("humanizeDuration", -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), "-2d 3h 4m 5s"),
            ("humanizeDuration", 0.1, "100ms"), ("humanizeDuration", 0.0001, "100us"), ("humanizeDuration", 0.12345, "123.5ms"),
            ("humanizeDuration", 1.5, "1.5s"),
            ("humanizePercentage", 0.1234567, "12.35%"), ("humanizePercentage", 1, "100%"),
            ("humanizeTimestamp", 1435065584.128, "2015-06-23 13:19:44.128 +0000 UTC"),
            ("humanizeTimestamp", 1435065584, "2015-06-23 13:19:44 +0000 UTC"),
            ("humanize", .nan, "NaN"), ("humanizePercentage", .infinity, "+Inf%"),
        ]
        for (function, input, expected) in cases {
            #expect(try render("{{ \(function) $value }}", value: input) == expected, "\(function) \(input)")
        }
        #expect(try render("{{ \"1234567\" | humanize }}") == "1.235M")
    }

    @Test("if / else if / else, comparisons, and/or/not, range over labels, with")
    func control() throws {
        let t = "{{ if gt $value 0.5 }}high{{ else if gt $value 0.1 }}medium{{ else }}low{{ end }}"
        #expect(try render(t, value: 0.9) == "high")
        #expect(try render(t, value: 0.2) == "medium")
        #expect(try render(t, value: 0.0) == "low")
        #expect(try render("{{ if and (eq $labels.job \"node\") (not (eq $labels.service \"db\")) }}yes{{ end }}") == "yes")
        #expect(try render("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}") == "instance=web-1:9100;job=node;service=api;")
        #expect(try render("{{ range .Labels }}{{ . }},{{ end }}") == "web-1:9100,node,api,")
        #expect(try render("{{ with $labels.service }}svc {{ . }}{{ else }}none{{ end }}") == "svc api")
        #expect(try render("{{ with $labels.nope }}svc {{ . }}{{ else }}none{{ end }}") == "none")
        #expect(try render("a  {{- \" b \" -}}  c") == "a b c")
        #expect(try render("x{{/* a comment */}}y") == "xy")
    }

    @Test("times, durations, links and URLs, domains, args, now")
    func timesLinksAndURLs() throws {
        #expect(try render("{{ 1500000000 | toTime }}") == "2017-07-14 02:40:00 +0000 UTC")
        #expect(try render("{{ 3723 | toDuration }} {{ 1.5 | toDuration }} {{ 0.25 | toDuration }} {{ 0 | toDuration }}")
                == "1h2m3s 1.5s 250ms 0s")
        #expect(try render("{{ graphLink \"rate(x[5m]) > 1\" }}") == "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+1&g0.tab=0")
        #expect(try render("{{ tableLink \"up\" }} {{ urlQueryEscape \"a b&c\" }}") == "/graph?g0.expr=up&g0.tab=1 a+b%26c")
        #expect(try render("{{ externalURL }}{{ pathPrefix }}") == "http://prom:9090")
        #expect(try AlertTemplate("{{ pathPrefix }}").render(.init(labels: [:], value: 0, externalURL: "https://x/prometheus")) == "/prometheus")
        #expect(try render("{{ stripDomain \"node1.example.com:9100\" }} {{ stripDomain \"10.0.0.1:9100\" }} {{ stripDomain \"db.local\" }}")
                == "node1:9100 10.0.0.1:9100 db")
        #expect(try render("{{ with args 1 \"x\" }}{{ .arg0 }}-{{ .arg1 }}{{ end }}") == "1-x")
        var data = AlertTemplate.Data(labels: [:], value: 0)
        data.time = 1_700_000_000_500
        #expect(try AlertTemplate("{{ now }}").render(data) == "1.7000000005e+09")
    }

    @Test("printf, strings and regular expressions")
    func strings() throws {
        #expect(try render("{{ printf \"%.2f\" $value }}") == "0.12")
        #expect(try render("{{ printf \"%s has %d cores (%5.1f%%)\" $labels.instance 8 12.25 }}") == "web-1:9100 has 8 cores ( 12.2%)")
        #expect(try render("{{ $labels.service | toUpper }} {{ \"ABC\" | toLower }} {{ title \"hello world\" }}") == "API abc Hello World")
        #expect(try render("{{ reReplaceAll \"(.+):(\\\\d+)\" \"$1 port $2\" $labels.instance }}") == "web-1 port 9100")
        #expect(try render("{{ stripPort $labels.instance }} {{ if match \"^web\" $labels.instance }}web{{ end }}") == "web-1 web")
    }

    @Test("query, first, value, label, sortByLabel")
    func queries() throws {
        let q: @Sendable (String) throws -> [(labels: [String: String], value: Double)] = { text in
            #expect(text == "up{job=\"node\"}")
            return [(["instance": "b", "job": "node"], 0), (["instance": "a", "job": "node"], 1)]
        }
        let t = "{{ with query \"up{job=\\\"node\\\"}\" }}{{ . | first | value }} {{ range sortByLabel \"instance\" . }}{{ label \"instance\" . }}{{ end }}{{ end }}"
        #expect(try render(t, query: q) == "0 ab")
        #expect(throws: TemplateError.self) { try render("{{ query \"up\" }}") }
    }

    @Test("broken templates are errors that say what is wrong")
    func errors() {
        let cases: [(String, String)] = [
            ("{{ $labels.x ", "unclosed action"), ("{{ if $value }}x", "has no {{end}}"), ("{{ end }}", "unexpected {{end}}"),
            ("{{ nosuch $value }}", "function \"nosuch\" not defined"), ("{{ $undefined }}", "undefined variable: $undefined"),
            ("{{ humanize \"abc\" }}", "strconv.ParseFloat"),
        ]
        for (source, message) in cases {
            #expect { try render(source) } throws: { "\($0)".contains(message) }
        }
    }
}
