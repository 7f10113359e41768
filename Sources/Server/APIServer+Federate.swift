import Foundation
import Hummingbird
import PromQL
import TSDB

/// `/federate`: the newest sample (within the lookback delta) of every series
/// matching any `match[]`, in the text exposition format with timestamps, so
/// that another Prometheus can scrape this one (`honor_labels: true`).
extension APIServer {
    func federate(_ request: Request) async throws -> Response {
        let p = try await parameters(request)
        do {
            let sets = try matcherSets(p)  // none: an empty answer, as Prometheus gives
            let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            let q = try database().querier(mint: now - engine.options.lookbackDelta, maxt: now)
            var latest: [Labels: Sample] = [:]
            do {
                for m in sets {
                    for s in try q.select(m) where latest[s.labels] == nil {
                        var samples: [Sample] = []
                        try s.appendSamples(to: &samples)
                        // A staleness marker as the newest sample means the series has ended.
                        if let last = samples.last, !StaleNaN.isStale(last.v) { latest[s.labels] = last }
                    }
                }
            } catch {
                throw APIError.internalError("\(error)")
            }
            // As Prometheus: the external labels are added to series that lack them.
            let external = config.parsed.global.externalLabels
            var out: [Labels: Sample] = [:]
            for (labels, sample) in latest { out[Self.adding(external, to: labels)] = sample }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: Self.exposition(out))))
        } catch let e as APIError {
            // Prometheus answers federation errors in plain text (http.Error).
            return Self.text(e.message + "\n", status: HTTPResponse.Status(code: e.status))
        }
    }

    /// Text format 0.0.4, families sorted by name, each with `# TYPE … untyped`.
    static func exposition(_ latest: [Labels: Sample]) -> String {
        var out = ""
        var family: String?
        for (labels, sample) in latest.sorted(by: { $0.key < $1.key }) {
            let name = labels[Labels.metricName]
            if name != family {
                out += "# TYPE \(name) untyped\n"
                family = name
            }
            out += name
            let rest = labels.pairs.filter { $0.name != Labels.metricName }
            if !rest.isEmpty {
                out += "{" + rest.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
            }
            out += " " + GoFormat.formatFloat(sample.v, .exposition) + " " + String(sample.t) + "\n"
        }
        return out
    }

    /// Label values in the text format: `\`, `"` and newlines escaped.
    static func escapeLabelValue(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return s }
        return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
