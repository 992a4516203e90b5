public import Foundation

/// When and how long to wait before trying a request again.
public struct RetryPolicy: Sendable {
    /// How many times a request is sent at most (1 = no retry).
    public var maximumAttempts: Int
    /// The first backoff; each retry doubles it.
    public var baseDelay: Duration
    /// The longest single wait accepted. A `Retry-After` longer than this is not waited for: the response is
    /// returned so the caller can report when to come back.
    public var maximumDelay: Duration
    /// The statuses worth retrying (429 and 5xx overload by default; NVD adds 403, its throttling answer).
    public var retryableStatuses: Set<Int>
    /// How many times a request is sent at most when there is no answer at all (refused, timed out): a service
    /// that is down is retried once, not waited for.
    public var maximumTransportAttempts: Int
    /// A service's own word on retrying a response, taking precedence over ``retryableStatuses``: `true` or
    /// `false`, or `nil` to decide by status (Anthropic's `x-should-retry`, a spend-limit 429 that must not be retried).
    public var verdict: (@Sendable (HTTPResponseData) -> Bool?)?

    /// A policy; by default 4 attempts (2 without an answer), 1 s doubling, at most 60 s per wait, on 429, 502,
    /// 503, 504 and 529.
    public init(
        maximumAttempts: Int = 4,
        baseDelay: Duration = .seconds(1),
        maximumDelay: Duration = .seconds(60),
        retryableStatuses: Set<Int> = [429, 502, 503, 504, 529],
        maximumTransportAttempts: Int = 2
    ) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.retryableStatuses = retryableStatuses
        self.maximumTransportAttempts = maximumTransportAttempts
    }

    /// The wait before attempt `attempt + 1` (attempts count from 1): `Retry-After` when the server sent one
    /// (seconds or an HTTP date), else exponential backoff with ±20 % jitter. `nil` when the wait would exceed
    /// ``maximumDelay``.
    public func delay(afterAttempt attempt: Int, retryAfter: String?, now: Date = Date()) -> Duration? {
        if let retryAfter, let seconds = Self.seconds(retryAfter: retryAfter, now: now) {
            let wait = Duration.milliseconds(Int64(max(0, seconds) * 1000))
            return wait <= maximumDelay ? wait : nil
        }
        let exponent = Double(1 << min(attempt - 1, 20))
        let jitter = Double.random(in: 0.8...1.2)
        let wait = Duration.milliseconds(Int64(baseDelay.timeInterval * exponent * jitter * 1000))
        return min(wait, maximumDelay)
    }

    /// `Retry-After` in seconds from now: delta-seconds or an IMF-fixdate.
    public static func seconds(retryAfter: String, now: Date = Date()) -> Double? {
        let trimmed = retryAfter.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return date.timeIntervalSince(now)
    }
}

/// Retries a transport's requests by a ``RetryPolicy``.
public struct RetryingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let policy: RetryPolicy
    private let sleep: @Sendable (Duration) async throws -> Void

    /// Wraps `inner`. `sleep` waits between attempts (tests pass a recording sleep).
    public init(
        _ inner: any HTTPTransport,
        policy: RetryPolicy,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.inner = inner
        self.policy = policy
        self.sleep = sleep
    }

    public func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        var attempt = 1
        while true {
            let response: HTTPResponseData
            do {
                response = try await inner.send(request)
            } catch let error as HTTPTransportError {
                let retryable: Bool =
                    switch error {
                    case .timedOut, .unreachable: true
                    case .invalidURL, .bodyTooLarge: false
                    }
                guard retryable, attempt < min(policy.maximumAttempts, policy.maximumTransportAttempts),
                    let wait = policy.delay(afterAttempt: attempt, retryAfter: nil)
                else { throw error }
                try await sleep(wait)
                attempt += 1
                continue
            }
            let retryable = policy.verdict?(response) ?? policy.retryableStatuses.contains(response.status)
            guard retryable, response.status >= 400, attempt < policy.maximumAttempts,
                let wait = policy.delay(afterAttempt: attempt, retryAfter: response.header("Retry-After"))
            else { return response }
            try await sleep(wait)
            attempt += 1
        }
    }
}
