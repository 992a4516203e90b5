import Foundation
public import SOCModel
public import SOCStore

/// API tokens in a cluster's own `socagent-tokens` index: one document per token, `_id` its name, holding the
/// SHA-256 digest of the secret, never the secret.
public final class ElasticsearchAccessTokens: AccessTokenRegistry {
    private let client: ElasticsearchClient
    /// The index tokens are kept in.
    public static let index = "socagent-tokens"

    init(client: ElasticsearchClient) { self.client = client }

    public func add(_ token: AccessToken) async throws {
        try await createIndex()
        let response = try await client.send(
            "PUT",
            "/\(Self.index)/_doc/\(ElasticsearchClient.pathComponent(token.name))?op_type=create&refresh=true",
            json: Self.document(token),
            accepting: [200, 201, 409]
        )
        if response.status == 409 { throw EventStoreError(.writeFailed, "a token named \(token.name) exists already") }
    }

    public func token(digest: String) async throws -> AccessToken? {
        try await search(["term": ["digest": digest]]).first
    }

    public func tokens() async throws -> [AccessToken] {
        try await search(["match_all": [String: Any]()])
    }

    public func revoke(name: String, at time: Timestamp) async throws -> Bool {
        let path = "/\(Self.index)/_doc/\(ElasticsearchClient.pathComponent(name))"
        let read = try await client.send("GET", path, accepting: [200, 404])
        guard read.status == 200, var token = (read.json["_source"] as? [String: Any]).flatMap(Self.token),
            token.revoked == nil, let sequence = read.json["_seq_no"] as? NSNumber,
            let term = read.json["_primary_term"] as? NSNumber
        else { return false }
        token.revoked = time
        let written = try await client.send(
            "PUT",
            path + "?refresh=true&if_seq_no=\(sequence.int64Value)&if_primary_term=\(term.int64Value)",
            json: Self.document(token),
            accepting: [200, 201, 409]
        )
        return written.status != 409
    }

    private func search(_ query: [String: Any]) async throws -> [AccessToken] {
        let response = try await client.send(
            "POST",
            "/\(Self.index)/_search?ignore_unavailable=true&allow_no_indices=true",
            json: ["query": query, "size": 10_000, "sort": [["name": "asc"]]] as [String: Any]
        )
        let hits = (response.json["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
        return hits.compactMap { ($0["_source"] as? [String: Any]).flatMap(Self.token) }
    }

    private func createIndex() async throws {
        let keyword: [String: Any] = ["type": "keyword"]
        try await client.createIndex(
            Self.index,
            properties: [
                "name": keyword, "role": keyword, "digest": keyword, "created_us": ["type": "long"],
                "revoked_us": ["type": "long"],
            ]
        )
    }

    private static func document(_ token: AccessToken) -> [String: Any] {
        var document: [String: Any] = [
            "name": token.name, "role": token.role.rawValue, "digest": token.digest,
            "created_us": token.created.microsecondsSinceEpoch,
        ]
        if let revoked = token.revoked { document["revoked_us"] = revoked.microsecondsSinceEpoch }
        return document
    }

    private static func token(_ source: [String: Any]) -> AccessToken? {
        guard let name = source["name"] as? String, let role = (source["role"] as? String).flatMap(AccessRole.init),
            let digest = source["digest"] as? String, let created = (source["created_us"] as? NSNumber)?.int64Value
        else { return nil }
        return AccessToken(
            name: name,
            role: role,
            digest: digest,
            created: Timestamp(microsecondsSinceEpoch: created),
            revoked: ((source["revoked_us"] as? NSNumber)?.int64Value).map(Timestamp.init(microsecondsSinceEpoch:))
        )
    }

}

extension ElasticsearchEventStore {
    /// API tokens in this cluster's `socagent-tokens` index.
    public func accessTokens() -> ElasticsearchAccessTokens { ElasticsearchAccessTokens(client: client) }
}
