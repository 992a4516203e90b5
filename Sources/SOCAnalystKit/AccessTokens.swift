import Crypto
import Foundation
public import SOCModel
public import SOCStore
import SOCStoreElasticsearch
import SOCStoreSQLite

/// API tokens for `socagent serve`: made from 32 random bytes, shown once, kept only as their SHA-256 digest.
public enum AccessTokens {
    /// The prefix every secret starts with, so a leaked one is recognisable (and scanners can find it).
    public static let prefix = "socagent_"

    /// Makes a token named `name` with `role`, keeps its digest in `registry`, and returns the secret.
    /// - Throws: ``AccessTokenError`` for a bad name; ``EventStoreError`` when the name is taken.
    public static func issue(
        name: String,
        role: AccessRole,
        in registry: any AccessTokenRegistry,
        now: Timestamp? = nil
    ) async throws -> String {
        try validate(name: name)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret =
            prefix
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try await registry.add(
            AccessToken(
                name: name,
                role: role,
                digest: digest(secret),
                created: now ?? Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
            )
        )
        return secret
    }

    /// The hex SHA-256 digest of a secret, as kept.
    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The token a presented secret belongs to, if it is known and not revoked.
    public static func holder(of secret: String, in registry: any AccessTokenRegistry) async throws -> AccessToken? {
        guard secret.hasPrefix(prefix), secret.utf8.count < 200 else { return nil }
        guard let token = try await registry.token(digest: digest(secret)), token.revoked == nil else { return nil }
        return token
    }

    /// Where tokens for `store` are kept: the SQLite store's own file; for a cluster, the SQLite file `statePath`
    /// when one is given, else the cluster's `socagent-tokens` index.
    public static func registry(of store: any EventStore, statePath: String?) throws -> any AccessTokenRegistry {
        if let sqlite = store as? SQLiteEventStore { return sqlite }
        if let statePath { return try SQLiteEventStore(path: statePath) }
        if let cluster = store as? ElasticsearchEventStore { return cluster.accessTokens() }
        throw EventStoreError(.cannotOpen, "this store keeps no tokens; give a state file with --state")
    }

    /// A name: 1 to 100 letters, digits, `.`, `_`, `-`, `@`.
    static func validate(name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))
        guard (1...AccessToken.maximumNameLength).contains(name.count),
            name.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII })
        else {
            throw AccessTokenError(
                "a token name is 1 to \(AccessToken.maximumNameLength) ASCII letters, digits, '.', '_', '-' or '@'"
            )
        }
    }
}

/// A token request refused, with the reason.
public struct AccessTokenError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
