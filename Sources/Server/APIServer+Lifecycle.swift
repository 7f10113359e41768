#if canImport(Glibc)
import Glibc
#endif
import Hummingbird

/// `/-/healthy`, `/-/ready`, `/-/reload` and `/-/quit` as Prometheus answers them.
extension APIServer {
    func registerLifecycle(_ router: Router<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/-/healthy", method: method) { _, _ in Self.text("Prometheus Server is Healthy.\n") }
            // Only reached once ready: `ReadinessMiddleware` answers 503 before.
            router.on("/-/ready", method: method) { _, _ in Self.text("Prometheus Server is Ready.\n") }
        }
        for method in [HTTPRequest.Method.post, .put] {
            router.on("/-/reload", method: method) { _, _ in
                guard self.options.lifecycleAPI else { return Self.text("Lifecycle API is not enabled.", status: .forbidden) }
                do {
                    try self.config.reload()
                    return Self.text("")
                } catch {
                    return Self.text("failed to reload config: \(error)\n", status: .internalServerError)
                }
            }
            router.on("/-/quit", method: method) { _, _ in
                guard self.options.lifecycleAPI else { return Self.text("Lifecycle API is not enabled.", status: .forbidden) }
                // The service lifecycle turns SIGTERM into a graceful shutdown (the database is closed after it).
                kill(getpid(), SIGTERM)
                return Self.text("Requesting termination... Goodbye!")
            }
        }
        for path in ["/-/reload", "/-/quit"] {
            router.get(RouterPath(path)) { _, _ in Self.text("Only POST or PUT requests allowed\n", status: .methodNotAllowed) }
        }
    }
}

/// Answers 503 while the database is still replaying its WAL, except for the
/// endpoints Prometheus serves before it is ready (health, replay progress,
/// build information, flags).
struct ReadinessMiddleware<Context: RequestContext>: RouterMiddleware {
    let slot: DatabaseSlot
    static var servedBeforeReady: Set<String> {
        ["/-/healthy", "/api/v1/status/walreplay", "/api/v1/status/buildinfo", "/api/v1/status/flags", "/metrics"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if slot.db == nil && !Self.servedBeforeReady.contains(request.uri.path) {
            return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "Service Unavailable")))
        }
        return try await next(request, context)
    }
}
