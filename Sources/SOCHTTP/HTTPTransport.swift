import Foundation

/// An HTTP request as the service clients build it.
public struct HTTPRequestSpec: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The absolute URL, query included.
    public var url: String
    /// Request headers. Values may be secrets: they are never printed.
    public var headers: [(name: String, value: String)]
    /// The body, if any.
    public var body: [UInt8]?
    /// The deadline for the whole exchange.
    public var timeout: Duration

    /// A request; `timeout` defaults to 30 seconds.
    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// A service's base URL as configured (`https://host/`, `https://host`), without a trailing slash, ready for
    /// paths to be appended.
    public static func baseURL(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    /// The URL without its query string and user info, safe to show in messages.
    public var redactedURL: String { HTTPRequestSpec.redact(url) }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(invalid URL)" }
        components.query = nil
        components.user = nil
        components.password = nil
        components.fragment = nil
        return components.string ?? "(invalid URL)"
    }
}

/// An HTTP response: status, headers and the whole body.
public struct HTTPResponseData: Sendable {
    /// The status code.
    public var status: Int
    /// The response headers.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// A response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name`, compared without regard to case.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why an HTTP exchange produced no response. Descriptions name the host and path, never headers or credentials.
public enum HTTPTransportError: Error, Equatable, CustomStringConvertible {
    /// The URL could not be used.
    case invalidURL(String)
    /// No connection could be made (refused, no route, DNS failure, TLS failure).
    case unreachable(url: String, reason: String)
    /// The exchange did not finish within its deadline.
    case timedOut(url: String, after: Duration)
    /// The body was larger than the client accepts.
    case bodyTooLarge(url: String, limit: Int)

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL \(url)"
        case .unreachable(let url, let reason): "cannot reach \(url): \(reason)"
        case .timedOut(let url, let after): "no answer from \(url) within \(after.timeInterval) s"
        case .bodyTooLarge(let url, let limit): "the response from \(url) is larger than \(limit) bytes"
        }
    }
}

extension HTTPTransportError {
    /// The error with any secret `redactor` knows removed from its URL and reason.
    func redacted(by redactor: SecretRedactor) -> HTTPTransportError {
        switch self {
        case .invalidURL(let url): .invalidURL(redactor.redact(url))
        case .unreachable(let url, let reason): .unreachable(url: redactor.redact(url), reason: redactor.redact(reason))
        case .timedOut(let url, let after): .timedOut(url: redactor.redact(url), after: after)
        case .bodyTooLarge(let url, let limit): .bodyTooLarge(url: redactor.redact(url), limit: limit)
        }
    }
}

/// Sends HTTP requests. The production transport is ``AsyncHTTPTransport``; ``RetryingTransport`` wraps any
/// transport with retries.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the response, whatever its status.
    /// - Throws: ``HTTPTransportError`` when there is no response.
    func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData
}

extension Duration {
    /// The duration in seconds, as a readable decimal.
    public var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
