import Crypto
import Foundation
import Synchronization

/// The board's sign-ins: a random session id (the HttpOnly, SameSite=Strict cookie) that stands for an API token,
/// and a CSRF token every change made through the session must carry. Sessions live in memory for twelve hours;
/// each request re-checks the token behind the session, so revoking the token ends its sessions at once.
final class BoardSessions: Sendable {
    /// One signed-in browser.
    struct Session: Sendable {
        /// The digest of the API token that signed in (the token itself is not kept).
        var digest: String
        /// The token forms and script requests must echo.
        var csrf: String
        var expires: Date
    }

    /// The cookie's name.
    static let cookie = "socagent_session"
    /// How long a session lasts.
    static let lifetime: TimeInterval = 12 * 3600
    /// At most this many sessions are kept; the one expiring first makes room.
    static let capacity = 10_000

    private let sessions = Mutex<[String: Session]>([:])

    /// Starts a session for the token with `digest`; returns its id and CSRF token.
    func open(digest: String, now: Date = Date()) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let session = Session(digest: digest, csrf: Self.randomToken(), expires: now + Self.lifetime)
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= Self.capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions.removeValue(forKey: oldest.key)
            }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The live session with this id.
    func session(id: String, now: Date = Date()) -> Session? {
        sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions.removeValue(forKey: id)
                return nil
            }
            return session
        }
    }

    /// Ends a session.
    func close(id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// 32 random bytes, base64url without padding.
    static func randomToken() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in time that does not depend on where they differ.
    static func same(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The value of cookie `name` in a `Cookie` header.
    static func cookieValue(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }
}
