import ArgumentParser
import Foundation
import SOCModel
import SOCStore

/// The time window every query takes; each command says what it is when none is given.
struct WindowOptions: ParsableArguments {
    @Option(help: "Start of the window: ISO 8601 or date math (2024-02-04T10:00:00Z, now-7d/d).")
    var since: String?

    @Option(help: "End of the window (exclusive): ISO 8601 or date math.")
    var until: String?

    @Option(help: "The window is the N hours before --now.")
    var hours: Double?

    @Option(help: "What 'now' is, for --hours and date math (default: the current time).")
    var now: String?

    @Flag(help: "No time window: all events.")
    var all = false

    func validate() throws {
        if all && (since != nil || until != nil || hours != nil) {
            throw ValidationError("--all cannot be combined with --since, --until or --hours")
        }
        if hours != nil && (since != nil || until != nil) {
            throw ValidationError("use either --hours or --since/--until")
        }
        if let hours, !(hours > 0 && hours <= Self.maximumHours) {
            throw ValidationError("--hours must be a number above 0 and at most \(Int(Self.maximumHours)) (100 years)")
        }
        if let now, DateMath.resolve(now, now: Timestamp(microsecondsSinceEpoch: 0), roundUp: false) == nil {
            throw ValidationError("--now '\(now)' is not a date")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, DateMath.resolve(value, now: resolvedNow, roundUp: false) == nil {
                throw ValidationError("\(name) '\(value)' is not a date or date math expression in the years 0 to 9999")
            }
        }
        if let range = timeRange, let start = range.start, let end = range.end, start >= end {
            throw ValidationError("--since (\(start.iso8601)) must be before --until (\(end.iso8601))")
        }
    }

    /// The longest `--hours` window: 100 years, far more than any store holds, and far from overflowing.
    static let maximumHours = 100 * 366 * 24.0

    /// The instant `now` stands for.
    var resolvedNow: Timestamp {
        let current = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        return now.flatMap { DateMath.resolve($0, now: current, roundUp: false) } ?? current
    }

    /// The window, or `nil` for all time.
    var timeRange: TimeRange? {
        if all { return nil }
        let now = resolvedNow
        if since != nil || until != nil {
            return TimeRange(
                start: since.flatMap { DateMath.resolve($0, now: now, roundUp: false) },
                end: until.flatMap { DateMath.resolve($0, now: now, roundUp: false) }
            )
        }
        return .last(hours: hours ?? 24, before: now)
    }
}

/// The filters every query takes.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only this source address or CIDR block.")
    var sourceIP: String?

    @Option(help: "Only this user name.")
    var user: String?

    @Option(help: "Only this host name.")
    var host: String?

    func validate() throws {
        if let sourceIP, IPMatcher(sourceIP) == nil {
            throw ValidationError("--source-ip '\(sourceIP)' is not an address or CIDR block")
        }
    }

    func filter(window: WindowOptions, limit: Int) -> EventFilter {
        EventFilter(
            timeRange: window.timeRange,
            sourceIP: sourceIP.flatMap(IPMatcher.init),
            user: user,
            host: host,
            limit: limit
        )
    }
}
