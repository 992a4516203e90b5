public import Hummingbird
import NIOCore
public import SOCStore

/// A request's context: the token that authenticated it, and where it came from (for rate limiting failures).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token the request presented, once authenticated.
    public var holder: AccessToken?
    /// The peer's address without its port (`127.0.0.1`), or `unknown`.
    public let peer: String
    /// The board session the request came with, when it was authenticated by the session cookie.
    var session: (id: String, csrf: String)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        holder = nil
        session = nil
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies larger than this are refused with 413 (alerts, changes; uploads stream on their own limits).
    public var maxUploadSize: Int { APIServer.maximumBodyBytes }

    /// The authenticated token, if its role is at least `role`.
    /// - Throws: 401 when unauthenticated, 403 when the role is below `role`.
    public func require(_ role: AccessRole) throws -> AccessToken {
        guard let holder else { throw HTTPError(.unauthorized) }
        guard holder.role >= role else {
            throw HTTPError(
                .forbidden,
                message: "this needs the \(role.rawValue) role; the token is \(holder.role.rawValue)"
            )
        }
        return holder
    }
}
