import Hummingbird

/// The web UI: the expression browser and the status pages at Prometheus'
/// paths, one HTML shell whose scripts render each page from the public
/// `/api/v1` API. `/` redirects to `/graph` as Prometheus 2 does; `/graph`
/// and `/query` (Prometheus 3's name) take the same `g0.expr`-style parameters.
extension APIServer {
    /// Paths that serve the UI's page shell.
    static let webPages = ["/graph", "/query", "/alerts", "/rules", "/targets", "/status", "/flags", "/tsdb-status", "/config"]

    /// Only the server's own scripts and styles run on its pages: a label
    /// value can never become markup, even if a page forgot to escape it.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

    func registerWebUI(_ router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .found, headers: [.location: "/graph"])
        }
        let page = WebAsset.named("index.html")!
        for path in Self.webPages {
            router.get(RouterPath(path)) { request, _ in page.response(for: request) }
        }
        router.get("/static/:file") { request, context in
            guard let name = context.parameters.get("file"), let asset = WebAsset.named(name) else {
                throw HTTPError(.notFound)
            }
            return asset.response(for: request)
        }
    }
}

/// One embedded file of the web UI, ready to send: its bytes, content type
/// and an entity tag, so a reload costs a 304.
struct WebAsset: Sendable {
    let body: ByteBuffer
    let contentType: String
    let etag: String

    static let all: [String: WebAsset] = WebAssets.files.mapValues { file in
        // FNV-1a over the bytes: a stable tag that changes with the content.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in file.text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return WebAsset(body: ByteBuffer(string: file.text), contentType: file.contentType,
                        etag: "\"" + String(hash, radix: 16) + "\"")
    }

    static func named(_ name: String) -> WebAsset? { all[name] }

    func response(for request: Request) -> Response {
        var headers: HTTPFields = [.contentType: contentType, .eTag: etag, .cacheControl: "no-cache"]
        headers[.xContentTypeOptions] = "nosniff"
        if contentType.hasPrefix("text/html") { headers[.contentSecurityPolicy] = APIServer.contentSecurityPolicy }
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
