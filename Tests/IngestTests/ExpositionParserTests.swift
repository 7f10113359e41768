import Testing
@testable import Ingest
import TSDB

/// Parses `text` completely: samples as (labels, value, timestamp), metadata, or the first error.
func parseAll(_ text: String, _ format: ExpositionFormat) -> (samples: [(Labels, Double, Int64?)], metadata: [(String, ExpositionEntry.MetadataField)],
                                                            error: ExpositionError?) {
    var samples: [(Labels, Double, Int64?)] = []
    var metadata: [(String, ExpositionEntry.MetadataField)] = []
    let bytes = Array(text.utf8)
    let error: ExpositionError? = bytes.withUnsafeBytes { raw in
        var p = ExpositionParser(raw, format: format)
        do throws(ExpositionError) {
            while let e = try p.next() {
                switch e {
                case .sample(let s): samples.append((try s.labels(), s.value, s.timestamp))
                case .metadata(let family, let field): metadata.append((family, field))
                case .comment, .eof: break
                }
            }
            try p.finish()
            return nil
        } catch {
            return error
        }
    }
    return (samples, metadata, error)
}

@Suite("Exposition formats")
struct ExpositionParserTests {
    @Test("Prometheus text format: metadata, comments, escapes, timestamps, special values, histograms")
    func prometheusText() throws {
        let text = #"""
            # HELP http_requests_total The total number of HTTP requests.
            # TYPE http_requests_total counter
            http_requests_total{method="post",code="200"} 1027 1395066363000
            http_requests_total{method="post",code="400",} 3 1395066363000

            # A comment; and an escaped label value:
            msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
            metric_without_timestamp_and_labels 12.47
              indented_metric -Inf
            # TYPE rpc_duration_seconds summary
            rpc_duration_seconds{quantile="0.5"} NaN
            rpc_duration_seconds_sum +Inf
            # TYPE http_request_duration_seconds histogram
            http_request_duration_seconds_bucket{le="0.05"} 24054
            http_request_duration_seconds_bucket{le="+Inf"} 144320
            {"my.dotted.metric", "label.with.dots"="ü"} 1 -5
            # TYPE old_style untyped
            old_style 0x1p-2
            """#
        let r = parseAll(text, .prometheusText)
        #expect(r.error == nil, "\(r.error!)")
        #expect(r.samples.count == 11)
        #expect(r.samples[0].0 == Labels(["__name__": "http_requests_total", "method": "post", "code": "200"]))
        #expect(r.samples[0].1 == 1027 && r.samples[0].2 == 1_395_066_363_000)
        #expect(r.samples[1].0["code"] == "400")  // trailing comma
        #expect(r.samples[2].0["path"] == #"C:\DIR\FILE.TXT"#)
        #expect(r.samples[2].0["error"] == "Cannot find file:\n\"FILE.TXT\"")
        #expect(r.samples[2].1 == 1.458255915e9 && r.samples[2].2 == nil)
        #expect(r.samples[4].1 == -.infinity)
        #expect(r.samples[5].1.isNaN && r.samples[6].1 == .infinity)
        #expect(r.samples[8].0["le"] == "+Inf")
        #expect(r.samples[9].0 == Labels(["__name__": "my.dotted.metric", "label.with.dots": "ü"]) && r.samples[9].2 == -5)
        #expect(r.samples[10].1 == 0.25)
        #expect(r.metadata.map(\.0) == ["http_requests_total", "http_requests_total", "rpc_duration_seconds",
                                        "http_request_duration_seconds", "old_style"])
        #expect(r.metadata[0].1 == .help("The total number of HTTP requests."))
        #expect(r.metadata[1].1 == .type(.counter) && r.metadata[4].1 == .type(.unknown))
    }

    @Test("OpenMetrics: units, _created, exemplars dropped, info/stateset/gaugehistogram, exact second timestamps, # EOF")
    func openMetrics() throws {
        let text = #"""
            # TYPE acme_http_router_request_seconds summary
            # UNIT acme_http_router_request_seconds seconds
            # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
            acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32 1604000000.015
            acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0 1604000000.015
            acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
            # TYPE foo counter
            foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
            # TYPE build info
            build_info{version="1.2"} 1
            # TYPE feature stateset
            feature{feature="a"} 1
            # TYPE pool gaugehistogram
            pool_gbucket{le="+Inf"} 3
            # EOF

            """#
        let r = parseAll(text, .openMetrics)
        #expect(r.error == nil, "\(r.error!)")
        #expect(r.samples.count == 7)
        #expect(r.samples[0].2 == 1_604_000_000_015 && r.samples[0].1 == 9036.32)
        #expect(r.samples[2].0.metricName == "acme_http_router_request_seconds_created" && r.samples[2].2 == nil)
        #expect(r.samples[3].1 == 17 && r.samples[3].2 == 1_520_879_607_789)
        #expect(r.metadata[1].1 == .unit("seconds"))
        #expect(r.metadata[2].1 == .help("Latency though all of ACME's HTTP request router."))
        #expect(r.metadata.map(\.1).contains(.type(.info)) && r.metadata.map(\.1).contains(.type(.stateset))
                && r.metadata.map(\.1).contains(.type(.gaugehistogram)))
        let detected = Array(text.utf8).withUnsafeBytes { ExpositionFormat.detect($0) }
        #expect(detected == .openMetrics)
        #expect(Array("a 1\n".utf8).withUnsafeBytes { ExpositionFormat.detect($0) } == .prometheusText)
        #expect(ExpositionFormat(contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8") == .openMetrics)
        #expect(ExpositionFormat(contentType: "text/plain; version=0.0.4") == .prometheusText)
    }

    @Test("errors name the line and column and say what was expected", arguments: [
        ("a 1\nb\n", ExpositionFormat.prometheusText, "2:2: expected a value after the series"),
        ("a{x=\"1\"} one\n", .prometheusText, "1:10: expected a number as the value, got \"o\""),
        ("a{x=\"1} 1\n", .prometheusText, "1:5: unterminated quoted string, got \"\"\""),
        ("a{x=\"\\t\"} 1\n", .prometheusText, "1:7: invalid escape \"\\t\" (only \\\\, \\\" and \\n), got \"t\""),
        ("a{x=1} 1\n", .prometheusText, "1:5: expected a quoted label value, got \"1\""),
        ("a{x=\"1\" y=\"2\"} 1\n", .prometheusText, "1:9: expected \",\" or \"}\" after a label, got \"y\""),
        ("a{9=\"1\"} 1\n", .prometheusText, "1:3: expected a label name, got \"9\""),
        ("a 1 12.5\n", .prometheusText, "1:5: expected a timestamp in milliseconds, got \"1\""),
        ("a 1 2 3\n", .prometheusText, "1:7: expected the end of the line after the timestamp, got \"3\""),
        ("# TYPE a blob\n", .prometheusText, "1:10: unknown metric type \"blob\", expected one of counter, gauge, histogram, summary, untyped"),
        ("a 1\n", .openMetrics, "2:1: expected \"# EOF\" at the end of an OpenMetrics exposition"),
        ("a 1\n# EOF\nb 2\n", .openMetrics, "3:1: unexpected content after \"# EOF\""),
        ("a 1\n\n# EOF\n", .openMetrics, "2:1: unexpected blank line (OpenMetrics has none)"),
        ("# hello\n# EOF\n", .openMetrics, "1:2: expected \"TYPE\", \"HELP\", \"UNIT\" or \"EOF\" after \"#\" (OpenMetrics allows no other comments), got a space"),
        ("a 1 # x\n# EOF\n", .openMetrics, "1:7: expected \"{\" to start the exemplar's labels, got \"x\""),
        ("a 1 1e400x\n# EOF\n", .openMetrics, "1:5: expected a timestamp in seconds, got \"1\""),
    ])
    func errors(input: String, format: ExpositionFormat, message: String) {
        #expect(parseAll(input, format).error?.description == message)
    }

    @Test("invalid UTF-8 in a label value is an error naming the line")
    func invalidUTF8() {
        var bytes = Array("ok 1\nbad{x=\"".utf8) + [0xff, 0xfe] + Array("\"} 1\n".utf8)
        let message: String? = bytes.withUnsafeMutableBytes { raw in
            var p = ExpositionParser(UnsafeRawBufferPointer(raw), format: .prometheusText)
            do throws(ExpositionError) {
                while let e = try p.next() { if case .sample(let s) = e { _ = try s.labels() } }
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message?.hasPrefix("2:1: value of label \"x\" is not valid UTF-8") == true)
        bytes.removeAll()
    }

    @Test("numbers: the fast path is correctly rounded like Swift's own parser; timestamps in seconds are exact")
    func numbers() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...15, using: &rng)
            var s = String((0..<digits).map { _ in Character(Unicode.Scalar(UInt8.random(in: 48...57, using: &rng))) })
            let point = Int.random(in: 0...digits, using: &rng)
            s.insert(".", at: s.index(s.startIndex, offsetBy: point))
            if Bool.random(using: &rng) { s = "-" + s }
            if s.hasSuffix(".") || s.hasPrefix(".") || s.hasPrefix("-.") { s += "0" }
            let parsed = Array(s.utf8).withUnsafeBytes { ExpositionNumbers.parseDouble($0) }
            #expect(parsed?.bitPattern == Double(s)?.bitPattern, "\(s)")
        }
        for (text, ms) in [("1604000000.015", Int64(1_604_000_000_015)), ("0.001", 1), ("-1.5", -1500), ("12", 12_000),
                           ("1.0009", 1000), ("1.6e9", 1_600_000_000_000)] {
            #expect(Array(text.utf8).withUnsafeBytes { ExpositionNumbers.parseSecondsAsMilliseconds($0) } == ms, "\(text)")
        }
        for text in ["", "-", ".", "1.2.3", "abc"] {
            #expect(Array(text.utf8).withUnsafeBytes { ExpositionNumbers.parseSecondsAsMilliseconds($0) } == nil, "\(text)")
        }
    }

    @Test("robustness: random mutations of valid input never crash; each ends in samples or a clean error")
    func fuzz() {
        let seeds = [
            "# HELP a x\n# TYPE a counter\na_total{b=\"c\",d=\"e\\\\f\"} 1.5 1000\nx 1\n",
            "# TYPE a histogram\na_bucket{le=\"0.1\"} 1 1.5 # {t=\"x\"} 1 2\n# EOF\n",
            "{\"a.b\",\"c\"=\"d\"} NaN\n",
        ]
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("{}\"\\=, #\n\t.e+-0123456789abcxyzEOFTYPENaInf".utf8) + [0, 0xff, 0xc3]
        var outcomes = (ok: 0, failed: 0)
        for _ in 0..<5_000 {
            var bytes = Array(seeds.randomElement(using: &rng)!.utf8)
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                default: if bytes.count > 1 { bytes.remove(at: i) }
                }
            }
            for format in [ExpositionFormat.prometheusText, .openMetrics] {
                let failed: Bool = bytes.withUnsafeBytes { raw in
                    var p = ExpositionParser(raw, format: format)
                    do throws(ExpositionError) {
                        while let e = try p.next() { if case .sample(let s) = e { _ = try s.labels() } }
                        try p.finish()
                        return false
                    } catch {
                        // A clean error (a place and a message) is fine; anything else is a failure.
                        return error.line < 1 || error.column < 1 || error.message.isEmpty
                    }
                }
                if failed { outcomes.failed += 1 } else { outcomes.ok += 1 }
            }
        }
        #expect(outcomes.failed == 0)
    }
}
