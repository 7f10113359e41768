import Foundation
import Hummingbird
import HummingbirdTesting
import Ingest
import Server
import TSDB

/// Runs `body` against an in-process server on a fresh database.
func withServer(options: ServerOptions = ServerOptions(), config: ConfigStore = ConfigStore(),
                database configure: (inout DBOptions) -> Void = { _ in },
                _ body: @escaping @Sendable (any TestClientProtocol, DB) async throws -> Void) async throws {
    let dir = NSTemporaryDirectory() + "/api-test-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let metrics = ServerMetrics()
    var o = DBOptions()
    o.compactionInterval = nil
    o.maintenanceObserver = { metrics.record($0) }
    configure(&o)
    let db = try DB.open(dir, options: o)
    defer { try? db.close() }
    let app = Application(router: APIServer(db: db, options: options, config: config, metrics: metrics).router())
    try await app.test(.router) { client in try await body(client, db) }
}

/// A remote-write body (snappy + protobuf), encoded here for the test.
func writeBody(_ series: [(Labels, [Sample])]) -> ByteBuffer {
    ByteBuffer(bytes: Snappy.compress(WriteRequest(series).encode()))
}

/// A form-encoded POST body's headers.
let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
