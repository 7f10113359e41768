import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// An HTTP/1 server whose connections run their handlers on the event loop
/// that owns their socket, instead of on Swift concurrency's global pool.
///
/// With the global pool, every request crosses threads twice: the event loop
/// reads it and wakes a pool thread to run the handler, which hands the
/// response back to the event loop to write. On a small machine those two
/// wake-ups were the largest cost of a cheap query (a third of the server's
/// CPU on `vector(1)`, in context switches). Work that fans out
/// (`Parallel.forEachRange`) still uses every core; a long query keeps the
/// other connections of its event loop waiting, as it kept a pool thread.
enum EventLoopBoundHTTP {
    /// `handlers` (made anew for each connection) go between the HTTP/1 codec and the router.
    static func http1(handlers: @autoclosure @escaping @Sendable () -> [any RemovableChannelHandler] = []) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            EventLoopBoundChannel(inner: HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: handlers())))
        }
    }
}

/// Runs `inner`'s per-connection handling with the connection's event loop
/// as the preferred task executor; child tasks inherit the preference.
struct EventLoopBoundChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

/// A task executor that runs jobs on one NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
