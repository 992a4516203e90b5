public import SOCModel

/// A time window: events at or after `start` and before `end` (either end open).
public struct TimeRange: Hashable, Sendable, CustomStringConvertible {
    /// The first instant included.
    public var start: Timestamp?
    /// The first instant excluded.
    public var end: Timestamp?

    /// Creates a window.
    public init(start: Timestamp? = nil, end: Timestamp? = nil) {
        self.start = start
        self.end = end
    }

    /// The `hours` before `now`. A start before ``Timestamp/supportedRange`` (or hours that are not a number) leaves
    /// the window open at the start rather than trapping; callers validate what a user typed.
    public static func last(hours: Double, before now: Timestamp) -> TimeRange {
        TimeRange(start: now.adding(hours: -hours), end: now)
    }

    /// Whether `timestamp` is inside the window; an event without a time is inside only an unbounded window.
    public func contains(_ timestamp: Timestamp?) -> Bool {
        guard let timestamp else { return start == nil && end == nil }
        if let start, timestamp < start { return false }
        if let end, timestamp >= end { return false }
        return true
    }

    /// `start … end`.
    public var description: String { "\(start?.iso8601 ?? "-∞") … \(end?.iso8601 ?? "+∞")" }
}

/// What every investigation query can be narrowed by.
public struct EventFilter: Hashable, Sendable {
    /// The time window; `nil` for all time.
    public var timeRange: TimeRange?
    /// A source address or CIDR block.
    public var sourceIP: IPMatcher?
    /// A user name (exact).
    public var user: String?
    /// A host name, compared without regard to case (as Windows and DNS compare them).
    public var host: String?
    /// The most results to return.
    public var limit: Int

    /// Creates a filter.
    public init(
        timeRange: TimeRange? = nil,
        sourceIP: IPMatcher? = nil,
        user: String? = nil,
        host: String? = nil,
        limit: Int = 100
    ) {
        self.timeRange = timeRange
        self.sourceIP = sourceIP
        self.user = user
        self.host = host
        self.limit = limit
    }

    /// Whether `event` passes the window, address, user and host conditions.
    public func matches(_ event: SecurityEvent) -> Bool {
        if let timeRange, !timeRange.contains(event.timestamp) { return false }
        if let sourceIP, !(event.string(ECSField.sourceIP).map { sourceIP.matches($0) } ?? false) { return false }
        if let user, event.string(ECSField.userName) != user { return false }
        if !matches(host: event.string(ECSField.hostName)) { return false }
        return true
    }

    /// Whether `name` is the filter's host (compared without case); any name passes a filter without one.
    public func matches(host name: String?) -> Bool {
        guard let host else { return true }
        return name?.lowercased() == host.lowercased()
    }
}
