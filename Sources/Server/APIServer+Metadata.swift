import Hummingbird
import PromQL
import TSDB

/// `/api/v1/labels`, `/api/v1/label/<name>/values`, `/api/v1/series`, `/api/v1/metadata`,
/// `/api/v1/targets`; the rules and alerts lists are in APIServer+Rules.swift.
extension APIServer {
    func registerMetadata(_ router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/api/v1/labels", method: method) { request, _ in try await self.labels(request) }
            router.on("/api/v1/series", method: method) { request, _ in try await self.series(request) }
        }
        router.get("/api/v1/label/:name/values") { request, context in
            try await self.labelValues(request, name: context.parameters.get("name") ?? "")
        }
        router.get("/api/v1/metadata") { request, _ in try await self.metadata(request) }
        router.get("/api/v1/targets") { request, _ in try await self.targets(request) }
        router.get("/api/v1/rules") { request, _ in self.rules(request) }
        router.get("/api/v1/alerts") { _, _ in self.alerts() }
    }

    /// Each `match[]` selector's matchers; Prometheus' errors for bad ones.
    func matcherSets(_ p: Parameters) throws(APIError) -> [[LabelMatcher]] {
        var sets: [[LabelMatcher]] = []
        for m in p.all("match[]") {
            do {
                guard case .vectorSelector(let vs) = try Parser.parse(m) else {
                    throw APIError.badData("invalid parameter \"match[]\": \(m) is not a series selector")
                }
                sets.append(vs.matchers)
            } catch let e as PromQLError {
                if e.message.contains("at least one non-empty matcher") {
                    throw APIError.badData("invalid parameter \"match[]\": match[] must contain at least one non-empty matcher")
                }
                throw APIError.badData("invalid parameter \"match[]\": \(e)")
            } catch let e as APIError {
                throw e
            } catch {
                throw APIError.internalError("\(error)")
            }
        }
        return sets
    }

    func limit(_ p: Parameters) throws(APIError) -> Int? {
        guard let s = p["limit"], !s.isEmpty else { return nil }
        guard let n = Int(s), n >= 0 else { throw APIError.badData("invalid parameter \"limit\": cannot parse \"\(s)\" to a valid limit") }
        return n == 0 ? nil : n
    }

    /// Applies `limit`, returning Prometheus' warning when results were cut.
    static func truncated<T>(_ xs: [T], to limit: Int?) -> ([T], [String]) {
        guard let limit, xs.count > limit else { return (xs, []) }
        return (Array(xs.prefix(limit)), ["results truncated due to limit"])
    }

    func querier(_ p: Parameters) throws(APIError) -> Querier {
        try database().querier(mint: try p.time("start") ?? .min, maxt: try p.time("end") ?? .max)
    }

    func labels(_ request: Request) async throws -> Response {
        let p = try await parameters(request)
        do {
            let q = try querier(p)
            var names = Set<String>()
            let sets = try matcherSets(p)
            if sets.isEmpty { names.formUnion(try q.labelNames()) }
            for m in sets { names.formUnion(try q.labelNames(m)) }
            let (out, warnings) = Self.truncated(names.sorted { $0.utf8Precedes($1) }, to: try limit(p))
            return Self.json(PrometheusJSON.strings(out, warnings: warnings))
        } catch let e as APIError {
            return Self.failure(e)
        }
    }

    func labelValues(_ request: Request, name raw: String) async throws -> Response {
        let p = try await parameters(request)
        do {
            let name = Self.unescapeLabelName(raw)
            let q = try querier(p)
            var values = Set<String>()
            let sets = try matcherSets(p)
            if sets.isEmpty { values.formUnion(try q.labelValues(name)) }
            for m in sets { values.formUnion(try q.labelValues(name, m)) }
            let (out, warnings) = Self.truncated(values.sorted { $0.utf8Precedes($1) }, to: try limit(p))
            return Self.json(PrometheusJSON.strings(out, warnings: warnings))
        } catch let e as APIError {
            return Self.failure(e)
        }
    }

    func series(_ request: Request) async throws -> Response {
        let p = try await parameters(request)
        do {
            let sets = try matcherSets(p)
            guard !sets.isEmpty else { throw APIError.badData("no match[] parameter provided") }
            let q = try querier(p)
            var found = Set<Labels>()
            for m in sets { for s in try q.select(m) { found.insert(s.labels) } }
            let (out, warnings) = Self.truncated(found.sorted(), to: try limit(p))
            return Self.json(PrometheusJSON.labelSets(out, warnings: warnings))
        } catch let e as APIError {
            return Self.failure(e)
        }
    }

    /// Prometheus' `metricMetadata`: `{"name":[{"type","help","unit"}…]}`; `limit` counts families.
    func metadata(_ request: Request) async throws -> Response {
        let p = try await parameters(request)
        do {
            let families = metadataStore.list(metric: p["metric"].flatMap { $0.isEmpty ? nil : $0 },
                                              limit: try p.count("limit"), limitPerMetric: try p.count("limit_per_metric"))
            var w = PrometheusJSON()
            w.raw("{\"status\":\"success\",\"data\":{")
            for (i, family) in families.enumerated() {
                if i > 0 { w.raw(",") }
                w.string(family.family)
                w.raw(":[")
                for (k, e) in family.entries.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.raw("{\"type\":")
                    w.string(e.kind.rawValue)
                    w.raw(",\"help\":")
                    w.string(e.help)
                    w.raw(",\"unit\":")
                    w.string(e.unit)
                    w.raw("}")
                }
                w.raw("]")
            }
            w.raw("}}")
            return Self.json(w.out)
        } catch {
            return Self.failure(error)
        }
    }

    /// Label names in the URL path may be "values-escaped" (`U__http_2e_status`):
    /// `U__` prefix, `__` for `_`, `_<hex>_` for any other character.
    static func unescapeLabelName(_ s: String) -> String {
        guard s.hasPrefix("U__") else { return s }
        var out = ""
        var chars = Substring(s.dropFirst(3))
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "_" else { out.append(c); continue }
            if chars.first == "_" {
                out.append("_")
                chars = chars.dropFirst()
                continue
            }
            guard let end = chars.firstIndex(of: "_"), let code = UInt32(chars[..<end], radix: 16),
                  let scalar = Unicode.Scalar(code) else { return s }  // not valid escaping: use as is
            out.unicodeScalars.append(scalar)
            chars = chars[chars.index(after: end)...]
        }
        return out
    }
}
