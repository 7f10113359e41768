import Hummingbird

/// `GET /` and unknown paths. Prometheus redirects `/` to its web UI; until
/// ours exists (issue 9) it is a small page pointing at the API, answering 200
/// so that clients' connection checks (e.g. `prometheus-api-client`'s) succeed.
extension APIServer {
    func registerHome(_ router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            let links = ["/api/v1/status/buildinfo", "/api/v1/status/runtimeinfo", "/api/v1/status/tsdb",
                         "/api/v1/status/flags", "/api/v1/status/config", "/api/v1/labels", "/metrics"]
            let items = links.map { "<li><a href=\"\($0)\">\($0)</a></li>" }.joined(separator: "\n")
            let page = """
                <!doctype html>
                <html><head><meta charset="utf-8"><title>tsql</title></head>
                <body><h1>tsql</h1><p>A Prometheus-compatible time-series database. Query it with
                <code>/api/v1/query</code> and <code>/api/v1/query_range</code>, from Grafana, promtool or <code>tsql --url</code>.</p>
                <ul>
                \(items)
                </ul></body></html>

                """
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: page)))
        }
    }
}

/// Unknown paths answer as Go's `http.NotFound` does: 404, `404 page not found`.
struct NotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return APIServer.text("404 page not found\n", status: .notFound)
        }
    }
}
