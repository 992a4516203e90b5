import Foundation
import SOCHTTP

/// A documented request limit: `count` requests per window.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// How the window is counted.
    public enum Window: Sendable, Equatable {
        /// The last `length` (NVD's rolling 30 s, VirusTotal's minute).
        case rolling(Duration)
        /// The current UTC calendar day (daily quotas reset at 00:00 UTC).
        case utcDay
    }

    /// Requests allowed per window.
    public var count: Int
    /// The window.
    public var window: Window

    public init(_ count: Int, per window: Window) {
        self.count = count
        self.window = window
    }

    /// The start of the window that contains `now`.
    func windowStart(now: Date) -> Date {
        switch window {
        case .rolling(let length): now.addingTimeInterval(-length.timeInterval)
        case .utcDay: Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
        }
    }

    /// A short name of the window, for metric labels: `day`, or the rolling window's length (`30s`, `60s`).
    public var windowLabel: String {
        switch window {
        case .rolling(let length): "\(Int(length.timeInterval))s"
        case .utcDay: "day"
        }
    }

    public var description: String {
        switch window {
        case .rolling(let length): "rate limit of \(count) requests per \(Int(length.timeInterval)) s"
        case .utcDay: "daily quota of \(count) requests (resets 00:00 UTC)"
        }
    }
}
