import GRDB
public import SOCModel
public import SOCStore

/// API tokens in the store's own file (table `access_tokens`, migration v7).
extension SQLiteEventStore: AccessTokenRegistry {
    public func add(_ token: AccessToken) async throws {
        let path = self.path
        do {
            try await database.write { db in
                try db.execute(
                    sql: "INSERT INTO access_tokens(name, role, digest, created_us) VALUES (?, ?, ?, ?)",
                    arguments: [token.name, token.role.rawValue, token.digest, token.created.microsecondsSinceEpoch]
                )
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw EventStoreError(.writeFailed, "a token named \(token.name) exists already")
        } catch let error as DatabaseError {
            throw EventStoreError(.writeFailed, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }

    public func token(digest: String) async throws -> AccessToken? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM access_tokens WHERE digest = ?", arguments: [digest])
                .flatMap(Self.accessToken)
        }
    }

    public func tokens() async throws -> [AccessToken] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM access_tokens ORDER BY name").compactMap(Self.accessToken)
        }
    }

    public func revoke(name: String, at time: Timestamp) async throws -> Bool {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE access_tokens SET revoked_us = ? WHERE name = ? AND revoked_us IS NULL",
                arguments: [time.microsecondsSinceEpoch, name]
            )
            return db.changesCount > 0
        }
    }

    private static func accessToken(_ row: Row) -> AccessToken? {
        guard let role = AccessRole(rawValue: row["role"]) else { return nil }
        let revoked: Int64? = row["revoked_us"]
        return AccessToken(
            name: row["name"],
            role: role,
            digest: row["digest"],
            created: Timestamp(microsecondsSinceEpoch: row["created_us"]),
            revoked: revoked.map(Timestamp.init(microsecondsSinceEpoch:))
        )
    }
}
