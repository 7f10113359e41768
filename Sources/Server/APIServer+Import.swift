import Foundation
import Hummingbird
import Ingest
import TSDB

/// `POST /api/v1/import/prometheus`: bulk import for remote users, as
/// VictoriaMetrics offers it. The body is the Prometheus text format (or
/// OpenMetrics with that Content-Type; gzip with `Content-Encoding: gzip`),
/// with the same validation as `tsql import`: a bad line answers 400 with
/// `line:column: message` and nothing is stored. Samples without a
/// timestamp get `?timestamp=` (ms) or the time of the request;
/// `?extra_label=name=value` adds labels. The data goes into blocks that
/// are loaded at once.
extension APIServer {
    func registerImport(_ router: Router<BasicRequestContext>) {
        router.post("/api/v1/import/prometheus") { request, _ in try await self.importExposition(request) }
    }

    func importExposition(_ request: Request) async throws -> Response {
        let db: DB
        do { db = try database() } catch { return Self.failure(error) }
        var body = Array(buffer: try await request.body.collect(upTo: options.maxRequestBodyBytes))
        if request.headers[.contentEncoding]?.lowercased() == "gzip" {
            do { body = try Gzip.decompress(body, limit: options.maxRequestBodyBytes * 16) } catch {
                return Self.text("\(error)\n", status: .badRequest)
            }
        }
        let p = Parameters(query: request.uri.query, body: nil)
        var blockOptions = BlockImporter.Options()
        for pair in p.all("extra_label") {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                return Self.text("invalid extra_label \"\(pair)\": expected name=value\n", status: .badRequest)
            }
            blockOptions.extraLabels.append(Label(String(pair[..<eq]), String(pair[pair.index(after: eq)...])))
        }
        var importOptions = ExpositionImport.Options()
        importOptions.format = ExpositionFormat(contentType: request.headers[.contentType])
        if let t = p["timestamp"], !t.isEmpty {
            guard let ms = Int64(t) else { return Self.text("invalid timestamp \"\(t)\": expected milliseconds\n", status: .badRequest) }
            importOptions.defaultTimestamp = ms
        } else {
            importOptions.defaultTimestamp = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        }
        let importer = BlockImporter(options: blockOptions)
        var feeder = ExpositionImport(file: "body", options: importOptions)
        do {
            try body.withUnsafeBytes { try feeder.feed($0, into: importer) }
            try feeder.finish()
        } catch let e as ImportError {
            return Self.text("\(e.error)\n", status: .badRequest)
        }
        try await Task.detached { [importer] in
            _ = try importer.write(into: db.directory)
            try db.loadNewBlocks()
        }.value
        return Response(status: .noContent)
    }
}
