import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SOCAnalystKit
import SOCStore
import Synchronization

/// Every request but `GET /api/v1/health` and the board's sign-in presents `Authorization: Bearer TOKEN` or the
/// board's session cookie; the token's digest is looked up in the registry (for a session, the digest of the token
/// that signed in, so a revoked token ends its sessions). A change made through a session must carry the session's
/// CSRF token (`X-CSRF-Token` for the API and /mcp; board forms check their own field). Failures are logged (never the
/// token) and limited per peer: after ``FailureLimiter/limit`` in a minute, that peer gets 429 until the minute is
/// over. A board page asked for without a session redirects to the sign-in.
struct TokenAuthentication: RouterMiddleware {
    typealias Context = APIRequestContext

    let registry: any AccessTokenRegistry
    let limiter: FailureLimiter
    let sessions: BoardSessions
    let logger: Logger

    /// Paths anyone may read.
    static let open: Set<String> = ["/api/v1/health", "/board/sign-in", "/board/assets/board.js"]

    /// Methods that change nothing.
    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if Self.open.contains(path) { return try await next(request, context) }
        if limiter.isBlocked(context.peer) {
            throw HTTPError(.tooManyRequests, message: "too many failed sign-ins from this address; wait a minute")
        }
        var context = context
        if let header = request.headers[.authorization] {
            if header.hasPrefix("Bearer "),
                let token = try await AccessTokens.holder(of: String(header.dropFirst(7)), in: registry)
            {
                context.holder = token
                return try await next(request, context)
            }
            return try fail(request, context: context, reason: "unknown or revoked token")
        }
        if let id = BoardSessions.cookieValue(BoardSessions.cookie, in: request.headers[.cookie]) {
            if let session = sessions.session(id: id), let token = try await registry.token(digest: session.digest),
                token.revoked == nil
            {
                context.holder = token
                context.session = (id, session.csrf)
                if !Self.safeMethods.contains(request.method), !path.hasPrefix("/board/"),
                    !BoardSessions.same(request.headers[.csrfToken] ?? "", session.csrf)
                {
                    throw HTTPError(.forbidden, message: "a change through the board needs its X-CSRF-Token")
                }
                return try await next(request, context)
            }
            sessions.close(id: id)
            if path.hasPrefix("/board") || path == "/" { return BoardRoutes.redirect(to: "/board/sign-in") }
            return try fail(request, context: context, reason: "unknown or expired session")
        }
        if path.hasPrefix("/board") || path == "/" { return BoardRoutes.redirect(to: "/board/sign-in") }
        return try fail(request, context: context, reason: "no token")
    }

    private func fail(_ request: Request, context: Context, reason: String) throws -> Response {
        limiter.recordFailure(context.peer)
        logger.warning(
            "authentication failed",
            metadata: ["peer": "\(context.peer)", "path": "\(request.uri.path.prefix(200))", "reason": "\(reason)"]
        )
        throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "a valid API token is needed")
    }
}

extension HTTPField.Name {
    /// The header a board session's API changes carry its CSRF token in.
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
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
