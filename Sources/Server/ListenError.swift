import Foundation
import NIOCore

/// The HTTP server could not listen on its address: Prometheus' "Error
/// starting web server", naming the address and the system's reason.
public struct ListenError: Error, CustomStringConvertible {
    public let address: String
    public let underlying: any Error

    public init(address: String, underlying: any Error) {
        self.address = address
        self.underlying = underlying
    }

    /// "cannot listen on 127.0.0.1:9090: Address already in use"
    public var description: String {
        "cannot listen on \(address): \(reason)"
    }

    var reason: String {
        if let io = underlying as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(underlying)"
    }
}
