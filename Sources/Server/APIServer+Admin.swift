import Foundation
import Hummingbird
import TSDB

/// `/api/v1/admin/tsdb/{delete_series,clean_tombstones,snapshot}`: only with
/// `--web.enable-admin-api`; otherwise Prometheus' `unavailable` error.
extension APIServer {
    func registerAdmin(_ router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.post, .put] {
            router.on("/api/v1/admin/tsdb/delete_series", method: method) { request, _ in
                try await self.admin(request) { p, db throws(APIError) in
                    let sets = try self.matcherSets(p)
                    guard !sets.isEmpty else { throw APIError.badData("no match[] parameter provided") }
                    let mint = try p.time("start") ?? .min, maxt = try p.time("end") ?? .max
                    do {
                        for m in sets { try db.delete(m, mint: mint, maxt: maxt) }
                    } catch {
                        throw APIError.internalError("\(error)")
                    }
                    return Response(status: .noContent)
                }
            }
            router.on("/api/v1/admin/tsdb/clean_tombstones", method: method) { request, _ in
                try await self.admin(request) { _, db throws(APIError) in
                    do { try db.cleanTombstones() } catch { throw APIError.internalError("\(error)") }
                    return Response(status: .noContent)
                }
            }
            router.on("/api/v1/admin/tsdb/snapshot", method: method) { request, _ in
                try await self.admin(request) { p, db throws(APIError) in
                    let skipHead = p["skip_head"].map { ["true", "1", "t", "T", "TRUE", "True"].contains($0) } ?? false
                    let name = Self.snapshotName()
                    do {
                        try db.snapshot(into: db.directory + "/snapshots/" + name, withHead: !skipHead)
                    } catch {
                        throw APIError.internalError("create snapshot: \(error)")
                    }
                    return Self.json(PrometheusJSON.success(.object([("name", .string(name))])))
                }
            }
        }
    }

    private func admin(_ request: Request, _ body: (Parameters, DB) throws(APIError) -> Response) async throws -> Response {
        let p = try await parameters(request)
        do {
            guard options.adminAPI else { throw APIError.unavailable("admin APIs disabled") }
            return try body(p, try database())
        } catch let e as APIError {
            return Self.failure(e)
        }
    }

    /// `20261121T101500Z-5a3f2c1d8e9b0a47`, as Prometheus names snapshots.
    static func snapshotName() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: Date()) + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
