import Hummingbird

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
