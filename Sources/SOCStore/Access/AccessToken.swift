public import SOCModel

/// What a token's holder may do, each role including the ones below it.
public enum AccessRole: String, Codable, Sendable, CaseIterable, Comparable {
    /// Reads incidents, reports, searches.
    case viewer
    /// Also changes incidents, posts alerts, uploads logs, asks for analyses.
    case analyst
    /// Also manages what the server does for everyone.
    case admin

    public static func < (lhs: AccessRole, rhs: AccessRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// An API token as it is kept: its name, role and the SHA-256 digest of the secret — never the secret itself.
public struct AccessToken: Sendable, Equatable {
    /// A person's or a system's name for it, unique (`alice`, `elastic-webhook`).
    public var name: String
    /// What it may do.
    public var role: AccessRole
    /// The hex SHA-256 digest of the secret.
    public var digest: String
    /// When it was made, and when revoked (revoked tokens are refused).
    public var created: Timestamp
    public var revoked: Timestamp?

    public init(name: String, role: AccessRole, digest: String, created: Timestamp, revoked: Timestamp? = nil) {
        self.name = name
        self.role = role
        self.digest = digest
        self.created = created
        self.revoked = revoked
    }

    /// The longest name a token may have.
    public static let maximumNameLength = 100
}

/// Where API tokens are kept (beside the events: the store's file, or the cluster's own index).
public protocol AccessTokenRegistry: Sendable {
    /// Keeps a new token.
    /// - Throws: ``EventStoreError`` with `.writeFailed` when a token of that name exists.
    func add(_ token: AccessToken) async throws

    /// The token whose secret has this digest, revoked or not; nil when there is none.
    func token(digest: String) async throws -> AccessToken?

    /// Every token, by name.
    func tokens() async throws -> [AccessToken]

    /// Revokes the token of that name.
    /// - Returns: Whether there was one not yet revoked.
    func revoke(name: String, at time: Timestamp) async throws -> Bool
}
