public import SOCModel

/// A place security events are written to and read from: the embedded SQLite store, an Elasticsearch cluster, or
/// memory.
///
/// Conforming types are shared between tasks, so they are `Sendable`; they keep mutable state in an actor or
/// behind a database connection.
public protocol EventStore: Sendable {
    /// Stores `events`; an event whose ``SecurityEvent/id`` is already stored is skipped, not duplicated.
    /// - Returns: How many were new and how many were already stored.
    /// - Throws: ``EventStoreError`` when the store cannot be written.
    func append(_ events: [SecurityEvent]) async throws -> AppendResult

    /// Tells the store a large load is coming, so it may defer index maintenance until ``finishBulkLoad()``.
    func beginBulkLoad() async throws

    /// Finishes a load started with ``beginBulkLoad()``: builds deferred indexes and full-text search data.
    func finishBulkLoad() async throws

    /// The number of stored events.
    func count() async throws -> Int

    /// A summary of what is stored: time range and the most common values of the key fields.
    /// - Parameter top: How many values to list per field. With 0 nothing is tallied: only the number of events and
    ///   the time range are read, which an index answers at once.
    func statistics(top: Int) async throws -> StoreStatistics

    /// Failed authentication attempts (``InvestigationRules/isFailedLogin(_:)``), newest first.
    func failedLogins(_ filter: EventFilter) async throws -> [EventSummary]

    /// Process starts and PowerShell activity that a rule flags, newest first, each with its reasons.
    func suspiciousProcesses(_ filter: EventFilter) async throws -> [ProcessFinding]

    /// Connections to destinations, newest first; to public addresses only unless `includePrivate`.
    func networkConnections(_ filter: EventFilter, includePrivate: Bool) async throws -> [EventSummary]

    /// Failed logins grouped by source address, most failures first; `filter.limit` is the number of sources.
    /// - Parameter minimumFailures: Sources with fewer failures are left out.
    func bruteForce(_ filter: EventFilter, minimumFailures: Int) async throws -> [BruteForceSource]

    /// Every event passing `filter`'s window, address, user and host (`filter.limit` does not apply), a page at a
    /// time, in an order stable across pages: what a hunt over the store reads.
    func forEachEvent(_ filter: EventFilter, pageSize: Int, _ body: ([SecurityEvent]) async throws -> Void) async throws

    /// Events matching a Lucene query and the filter: the exact total and the newest `filter.limit` events.
    /// - Parameter now: What `now` means in date math.
    func search(_ query: LuceneQuery, filter: EventFilter, now: Timestamp) async throws -> SearchResult

    /// Whether the store keeps Sigma detections (``saveDetections(_:)``); a cluster is only read.
    var keepsDetections: Bool { get }

    /// Saves Sigma detections so investigations can cite them; the same rule on the same event replaces the
    /// earlier detection.
    /// - Throws: ``EventStoreError`` when the store cannot be written or does not keep detections.
    func saveDetections(_ detections: [StoredDetection]) async throws

    /// Saved Sigma detections in the filter's window (and on its host, case-insensitively) at or above a level,
    /// newest first, at most `filter.limit`; none from a store that does not keep them.
    func detections(_ filter: EventFilter, minimumLevel: SigmaLevel) async throws -> [StoredDetection]
}

extension EventStore {
    /// Saved Sigma detections of every level (see ``detections(_:minimumLevel:)``).
    public func detections(_ filter: EventFilter) async throws -> [StoredDetection] {
        try await detections(filter, minimumLevel: .informational)
    }
}

/// A Sigma detection as a store keeps it: which rule matched which event, and the fields it tested.
public struct StoredDetection: Sendable, Codable, Hashable {
    /// The rule id.
    public var ruleID: String
    /// The rule title.
    public var title: String
    /// The rule level.
    public var level: SigmaLevel
    /// ATT&CK technique ids.
    public var techniques: [String]
    /// The event's id (32 hex characters).
    public var eventID: String
    /// The event's time, ISO 8601.
    public var timestamp: String?
    /// The event's host.
    public var host: String?
    /// The matched fields and their values.
    public var fields: [String: String]

    /// Creates a detection.
    public init(
        ruleID: String,
        title: String,
        level: SigmaLevel,
        techniques: [String],
        eventID: String,
        timestamp: String?,
        host: String?,
        fields: [String: String]
    ) {
        self.ruleID = ruleID
        self.title = title
        self.level = level
        self.techniques = techniques
        self.eventID = eventID
        self.timestamp = timestamp
        self.host = host
        self.fields = fields
    }

    enum CodingKeys: String, CodingKey {
        case ruleID = "rule_id"
        case title, level, techniques
        case eventID = "event_id"
        case timestamp, host, fields
    }

    /// ``fields`` as one JSON object, keys sorted: how stores keep them.
    public var fieldsJSON: String {
        var writer = JSONWriter(capacity: 64 + fields.count * 64)
        writer.byte(UInt8(ascii: "{"))
        for (index, name) in fields.keys.sorted().enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(name)
            writer.byte(UInt8(ascii: ":"))
            writer.string(fields[name] ?? "")
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.text
    }

    /// When the detected event happened, read from ``timestamp``.
    public var instant: Timestamp? {
        timestamp.flatMap { DateMath.resolve($0, now: Timestamp(microsecondsSinceEpoch: 0), roundUp: false) }
    }
}

extension EventStore {
    /// Does nothing: stores without deferred indexes need no preparation.
    public func beginBulkLoad() async throws {}
    /// Does nothing: stores without deferred indexes need no finishing.
    public func finishBulkLoad() async throws {}
}

/// The outcome of an ``EventStore/append(_:)``.
public struct AppendResult: Sendable, Equatable {
    /// Events that were not stored before.
    public var inserted: Int
    /// Events skipped because an event with the same identifier was already stored.
    public var duplicates: Int
    /// Events the store refused one by one (an Elasticsearch `_bulk` item error such as a mapping conflict).
    public var failed: Int
    /// Why, for the first few refused events: `event ID: reason`.
    public var failures: [String]

    /// The most failure reasons kept.
    public static let maximumFailureReasons = 20

    /// Creates a result.
    public init(inserted: Int = 0, duplicates: Int = 0, failed: Int = 0, failures: [String] = []) {
        self.inserted = inserted
        self.duplicates = duplicates
        self.failed = failed
        self.failures = failures
    }

    /// Adds another result's counts.
    public static func += (lhs: inout AppendResult, rhs: AppendResult) {
        lhs.inserted += rhs.inserted
        lhs.duplicates += rhs.duplicates
        lhs.failed += rhs.failed
        lhs.failures += rhs.failures.prefix(maximumFailureReasons - lhs.failures.count)
    }
}

/// What a store holds, for people deciding where to look.
public struct StoreStatistics: Sendable, Equatable, Codable {
    /// A value of a field and how many events have it.
    public struct Count: Sendable, Equatable, Codable {
        /// The value.
        public var value: String
        /// The number of events.
        public var count: Int
        /// Creates a count.
        public init(value: String, count: Int) {
            self.value = value
            self.count = count
        }
    }

    /// All stored events.
    public var events: Int
    /// The earliest `@timestamp`, ISO 8601.
    public var firstSeen: String?
    /// The latest `@timestamp`, ISO 8601.
    public var lastSeen: String?
    /// Events by input format.
    public var formats: [Count]
    /// Events by `event.category`.
    public var categories: [Count]
    /// Events by `event.code` (Windows event ids).
    public var eventCodes: [Count]
    /// Events by `host.name`.
    public var hosts: [Count]
    /// Failed authentications by `source.ip`.
    public var failedLoginSources: [Count]
    /// Failed authentications by `user.name`.
    public var failedLoginUsers: [Count]

    /// Creates statistics.
    public init(
        events: Int,
        firstSeen: String? = nil,
        lastSeen: String? = nil,
        formats: [Count] = [],
        categories: [Count] = [],
        eventCodes: [Count] = [],
        hosts: [Count] = [],
        failedLoginSources: [Count] = [],
        failedLoginUsers: [Count] = []
    ) {
        self.events = events
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.formats = formats
        self.categories = categories
        self.eventCodes = eventCodes
        self.hosts = hosts
        self.failedLoginSources = failedLoginSources
        self.failedLoginUsers = failedLoginUsers
    }

    enum CodingKeys: String, CodingKey {
        case events
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case formats, categories
        case eventCodes = "event_codes"
        case hosts
        case failedLoginSources = "failed_login_sources"
        case failedLoginUsers = "failed_login_users"
    }
}

/// An error thrown by an ``EventStore``. Match on ``kind``; kinds may be added without breaking callers.
public struct EventStoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// A short name.
        public let description: String
        /// The store cannot be opened or created (a bad path, no permission, not a socagent store).
        public static let cannotOpen = Kind(description: "cannot open store")
        /// The store could not be written.
        public static let writeFailed = Kind(description: "write failed")
        /// The store could not be read.
        public static let readFailed = Kind(description: "read failed")
        /// The backend could not be reached; retrying later may succeed.
        public static let unavailable = Kind(description: "unavailable")
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// What went wrong, for people. Never contains event payloads or credentials.
    public var detail: String
    /// `kind: detail`.
    public var description: String { "\(kind): \(detail)" }

    /// Creates an error.
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }
}
