import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SOCAnalystKit
import SOCStore
import Synchronization

/// Every request but `GET /api/v1/health` presents `Authorization: Bearer TOKEN`; the token's digest is looked up in
/// the registry. Failures are logged (never the token) and limited per peer: after ``FailureLimiter/limit`` in a
/// minute, that peer gets 429 until the minute is over.
struct TokenAuthentication: RouterMiddleware {
    typealias Context = APIRequestContext

    let registry: any AccessTokenRegistry
    let limiter: FailureLimiter
    let logger: Logger

    /// Paths anyone may read.
    static let open: Set<String> = ["/api/v1/health"]

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        if limiter.isBlocked(context.peer) {
            throw HTTPError(.tooManyRequests, message: "too many failed sign-ins from this address; wait a minute")
        }
        var context = context
        if let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let token = try await AccessTokens.holder(of: String(header.dropFirst(7)), in: registry)
        {
            context.holder = token
            return try await next(request, context)
        }
        limiter.recordFailure(context.peer)
        logger.warning(
            "authentication failed",
            metadata: [
                "peer": "\(context.peer)", "path": "\(request.uri.path.prefix(200))",
                "reason": request.headers[.authorization] == nil ? "no token" : "unknown or revoked token",
            ]
        )
        throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a valid API token is needed")
    }
}

/// Failed authentications per peer in the current minute.
final class FailureLimiter: Sendable {
    /// Failures a peer may have in a minute before it is refused outright.
    let limit: Int
    private let state = Mutex<(minute: Int, failures: [String: Int])>((0, [:]))

    init(limit: Int = 20) { self.limit = limit }

    private static var minute: Int { Int(Date().timeIntervalSince1970 / 60) }

    func isBlocked(_ peer: String) -> Bool {
        state.withLock { state in
            if state.minute != Self.minute { state = (Self.minute, [:]) }
            return state.failures[peer, default: 0] >= limit
        }
    }

    func recordFailure(_ peer: String) {
        state.withLock { state in
            if state.minute != Self.minute { state = (Self.minute, [:]) }
            // Bounded: at most this many peers are remembered in a minute.
            if state.failures.count < 100_000 || state.failures[peer] != nil { state.failures[peer, default: 0] += 1 }
        }
    }
}
