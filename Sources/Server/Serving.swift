import Foundation
import NIOCore
import ServiceLifecycle

/// A running HTTP server (see `APIServer.serving`): `run` serves until
/// SIGTERM, SIGINT or `stop`, which lets requests in flight finish.
public struct Serving: Sendable {
    public let address: String
    let services: ServiceGroup

    /// Serves until stopped. Throws `ListenError` when the address cannot be
    /// served (taken, not local, no permission); once listening, the server
    /// logs its errors instead of throwing them.
    public func run() async throws {
        do {
            try await services.run()
        } catch {
            throw ListenError(address: address, underlying: error)
        }
    }

    /// Stops as SIGTERM does: no new connections, requests in flight finish.
    public func stop() async {
        await services.triggerGracefulShutdown()
    }
}

/// The HTTP server could not listen on its address: Prometheus' "Error
/// starting web server", naming the address and the system's reason.
public struct ListenError: Error, CustomStringConvertible {
    public let address: String
    public let underlying: any Error

    /// "cannot listen on 127.0.0.1:9090: Address already in use"
    public var description: String {
        "cannot listen on \(address): \(reason)"
    }

    var reason: String {
        if let io = underlying as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(underlying)"
    }
}
