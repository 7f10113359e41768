import Ingest
import Rules
import Synchronization
import TSDB

/// The database the server answers from, which arrives only after the WAL
/// replay: until then the server is up but not ready (`/-/ready` and the API
/// answer 503, `/api/v1/status/walreplay` shows the replay's progress). The
/// scraper and the rule manager that write into it are kept here too, for
/// `/api/v1/targets`, `/api/v1/rules` and `/api/v1/alerts`.
public final class DatabaseSlot: Sendable {
    private struct State {
        var db: DB?
        var replay = WALReplayProgress(min: 0, max: 0, current: 0)
        var scraper: ScrapeManager?
        var rules: RuleManager?
    }

    private let state = Mutex(State())

    public init() {}

    public init(_ db: DB) { state.withLock { $0.db = db } }

    /// The database once it is open; nil while it is still replaying.
    public var db: DB? { state.withLock { $0.db } }

    /// Makes the server ready.
    public func open(_ db: DB) {
        state.withLock {
            $0.db = db
            if let last = db.replayReport.lastSegment {
                $0.replay = WALReplayProgress(min: db.replayReport.firstSegment ?? last, max: last, current: last)
            }
        }
    }

    /// Called from the replay as it moves from segment to segment.
    public func replayed(_ p: WALReplayProgress) { state.withLock { $0.replay = p } }

    public var replay: WALReplayProgress { state.withLock { $0.replay } }

    /// The scraper, once the database is open and it has been started.
    public var scraper: ScrapeManager? {
        get { state.withLock { $0.scraper } }
        set { state.withLock { $0.scraper = newValue } }
    }

    /// The rule manager, once the database is open and the rules are loaded.
    public var rules: RuleManager? {
        get { state.withLock { $0.rules } }
        set { state.withLock { $0.rules = newValue } }
    }
}
