import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Testing
import TSDB

@Suite("HTTP API: status, lifecycle, readiness, format/parse query")
struct StatusAndLifecycleTests {
    @Test("status/config shows the file; /-/reload re-reads it, keeps the old one on error, and needs --web.enable-lifecycle")
    func configAndReload() async throws {
        let path = NSTemporaryDirectory() + "/prom-\(UUID().uuidString).yml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "global:\n  scrape_interval: 15s\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ConfigStore(path: path)
        var options = ServerOptions()
        options.lifecycleAPI = true
        try await withServer(options: options, config: config) { client, _ in
            try await client.execute(uri: "/api/v1/status/config", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"yaml":"global:\n  scrape_interval: 15s\n"}}"#)
            }
            try "global:\n  scrape_interval: 30s\n".write(toFile: path, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/-/reload", method: .post) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/v1/status/config", method: .get) { r in
                #expect(String(buffer: r.body).contains("30s"))
            }
            try "global: [unclosed\n".write(toFile: path, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/-/reload", method: .post) { r in
                #expect(r.status == .internalServerError)
                #expect(String(buffer: r.body).hasPrefix("failed to reload config: \(path):"))
            }
            try await client.execute(uri: "/api/v1/status/config", method: .get) { r in
                #expect(String(buffer: r.body).contains("30s"))  // the previous configuration stays
            }
            try await client.execute(uri: "/api/v1/status/runtimeinfo", method: .get) { r in
                let s = String(buffer: r.body)
                #expect(s.contains(#""reloadConfigSuccess":false"#))
                #expect(s.contains(#""storageRetention":"15d""#))
            }
            try await client.execute(uri: "/-/reload", method: .get) { r in #expect(r.status == .methodNotAllowed) }
        }
        try await withServer { client, _ in
            try await client.execute(uri: "/-/reload", method: .post) { r in
                #expect(r.status == .forbidden)
                #expect(String(buffer: r.body) == "Lifecycle API is not enabled.")
            }
        }
    }

    @Test("retention flags: Prometheus' size units and defaults (15d unless only a size is given)")
    func retentionFlags() {
        #expect(ServerOptions.parseBytes("512MB") == 512 << 20)
        #expect(ServerOptions.parseBytes("1KB") == 1024)
        #expect(ServerOptions.parseBytes("10GiB") == 10 << 30)
        #expect(ServerOptions.parseBytes("1.5GB") == 3 << 29)
        #expect(ServerOptions.parseBytes("100B") == 100)
        for bad in ["12", "abc", "-1GB", "GB", "1XB"] { #expect(ServerOptions.parseBytes(bad) == nil, "\(bad)") }
        var o = ServerOptions()
        #expect(o.effectiveRetention.duration == 15 * 86_400_000 && o.effectiveRetention.bytes == nil)
        o.retentionSize = "1GB"
        #expect(o.effectiveRetention.duration == nil && o.effectiveRetention.bytes == 1 << 30)
        o.retentionTime = "2h"
        #expect(o.effectiveRetention.duration == 7_200_000 && o.effectiveRetention.bytes == 1 << 30)
        #expect(o.storageRetention == "2h or 1GB")
    }

    @Test func configFileErrorsNameFileAndLine() throws {
        let path = NSTemporaryDirectory() + "/prom-\(UUID().uuidString).yml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "global:\n  scrape_interval: 15s\n  bad: [\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try ConfigStore(path: path)
        } throws: { e in
            "\(e)".hasPrefix("\(path):4:")
        }
        #expect(throws: ConfigError.self) { _ = try ConfigStore(path: path + ".missing") }
        // Valid YAML but not a valid configuration: the key and its place are named.
        try "global:\n  scrape_intervall: 15s\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try ConfigStore(path: path)
        } throws: { e in
            "\(e)" == "\(path):2:3: field scrape_intervall not found in global"
        }
    }

    @Test("flags and the head's cardinality as Prometheus reports them")
    func flagsAndTSDBStatus() async throws {
        var options = ServerOptions()
        options.flags = ["storage.tsdb.path": "/x", "web.enable-admin-api": "false"]
        options.retentionTime = "30d"
        options.retentionSize = "50GB"
        try await withServer(options: options) { client, _ in
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([
                (Labels(["__name__": "up", "job": "api", "instance": "a"]), [Sample(1000, 1)]),
                (Labels(["__name__": "up", "job": "db", "instance": "b"]), [Sample(1000, 1)]),
                (Labels(["__name__": "http_requests_total", "job": "api"]), [Sample(2000, 5)]),
            ])) { r in #expect(r.status == .noContent) }
            try await client.execute(uri: "/api/v1/status/flags", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"storage.tsdb.path":"/x","web.enable-admin-api":"false"}}"#)
            }
            try await client.execute(uri: "/api/v1/status/runtimeinfo", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""storageRetention":"30d or 50GB""#))
            }
            try await client.execute(uri: "/api/v1/status/tsdb?limit=2", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"headStats":{"numSeries":3,"numLabelPairs":6,"chunkCount":3,"minTime":1000,"maxTime":2000},"#
                    + #""seriesCountByMetricName":[{"name":"up","value":2},{"name":"http_requests_total","value":1}],"#
                    + #""labelValueCountByLabelName":[{"name":"__name__","value":2},{"name":"instance","value":2}],"#
                    + #""memoryInBytesByLabelName":[{"name":"__name__","value":23},{"name":"job","value":8}],"#
                    + #""seriesCountByLabelValuePair":[{"name":"__name__=up","value":2},{"name":"job=api","value":2}]}}"#)
            }
            try await client.execute(uri: "/api/v1/status/tsdb?limit=0", method: .get) { r in #expect(r.status == .badRequest) }
            try await client.execute(uri: "/api/v1/status/walreplay", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"min":0,"max":0,"current":0}}"#)
            }
        }
    }

    @Test("until the WAL is replayed the API answers 503, replay progress and health excepted")
    func notReadyWhileReplaying() async throws {
        let dir = NSTemporaryDirectory() + "/ready-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let slot = DatabaseSlot()
        let app = Application(router: APIServer(slot: slot).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/-/ready", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "Service Unavailable")
            }
            try await client.execute(uri: "/api/v1/query?query=1", method: .get) { r in #expect(r.status == .serviceUnavailable) }
            try await client.execute(uri: "/-/healthy", method: .get) { r in #expect(r.status == .ok) }
            slot.replayed(WALReplayProgress(min: 3, max: 7, current: 5))
            try await client.execute(uri: "/api/v1/status/walreplay", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"min":3,"max":7,"current":5}}"#)
            }
            let db = try DB.open(dir)
            defer { try? db.close() }
            slot.open(db)
            try await client.execute(uri: "/-/ready", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "Prometheus Server is Ready.\n")
            }
            try await client.execute(uri: "/api/v1/query?query=1&time=1", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test("format_query pretty-prints long queries as Prometheus does; parse_query gives the UI's tree")
    func formatAndParseQuery() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/api/v1/format_query?query=sum(rate(foo%7Bjob%3D%22a%22%7D%5B5m%5D))by(job)", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":"sum by (job) (rate(foo{job=\"a\"}[5m]))"}"#)
            }
            let long = "sum by (job) (rate(http_requests_total{job=\"apiserver\",handler=\"/api/v1/query_range/with/a/long/name\"}[5m])) / "
                + "sum by (job) (rate(http_requests_total{job=\"apiserver\"}[5m]))"
            try await client.execute(uri: "/api/v1/format_query", method: .post, headers: formHeaders,
                                     body: ByteBuffer(string: "query=" + long.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)) { r in
                let expected = """
                      sum by (job) (
                        rate(http_requests_total{handler="/api/v1/query_range/with/a/long/name",job="apiserver"}[5m])
                      )
                    /
                      sum by (job) (rate(http_requests_total{job="apiserver"}[5m]))
                    """
                var w = ""
                for c in expected.unicodeScalars {
                    switch c {
                    case "\n": w += "\\n"
                    case "\"": w += "\\\""
                    default: w.unicodeScalars.append(c)
                    }
                }
                #expect(String(buffer: r.body) == #"{"status":"success","data":""# + w + #""}"#)
            }
            try await client.execute(uri: "/api/v1/parse_query?query=-topk(3,x%40start())", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"type":"unaryExpr","op":"-","expr":{"type":"aggregation","op":"topk","#
                    + #""expr":{"type":"vectorSelector","name":"x","offset":0,"matchers":[{"name":"__name__","value":"x","type":"="}],"#
                    + #""timestamp":null,"startOrEnd":"start","anchored":false,"smoothed":false},"#
                    + #""param":{"type":"numberLiteral","val":"3"},"grouping":[],"without":false}}}"#)
            }
            try await client.execute(uri: "/api/v1/format_query?query=sum(", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains(#""errorType":"bad_data""#))
            }
        }
    }

    @Test("query stats and limit parameters")
    func queryStatsAndLimit() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([
                (Labels(["__name__": "up", "job": "a"]), [Sample(1000, 1)]),
                (Labels(["__name__": "up", "job": "b"]), [Sample(1000, 1)]),
            ])) { _ in }
            try await client.execute(uri: "/api/v1/query?query=up&time=1&limit=1&stats=true", method: .get) { r in
                let s = String(buffer: r.body)
                #expect(s.contains(#""result":[{"metric":{"__name__":"up","job":"a"},"value":[1,"1"]}],"stats":{"timings":{"evalTotalTime":"#))
                #expect(s.contains(#""samples":{"totalQueryableSamples":2,"peakSamples":2}}},"warnings":["results truncated due to limit"]}"#))
            }
        }
    }

    @Test func queryGateQueuesThenRejects() async throws {
        let gate = QueryGate(maxRunning: 1, maxWaiting: 1)
        #expect(await gate.enter())
        let waiter = Task { await gate.enter() }
        while gate.load.waiting == 0 { await Task.yield() }
        #expect(await gate.enter() == false)  // one running, one waiting: full
        gate.leave()
        #expect(await waiter.value)  // the waiter got the slot
        gate.leave()
        #expect(await gate.enter())
    }
}
