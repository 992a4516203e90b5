import Foundation
import GRDB
import GRDBSQLite
public import SOCModel
import SOCParsers
import SOCSQLiteFiles
public import SOCStore

/// The embedded event store: one SQLite file, no server.
///
/// Hot ECS fields have typed, indexed columns; the normalized document is kept as JSON and the original record as
/// read; `message` has an FTS5 full-text index. Ingest binds values straight onto one prepared statement inside one
/// transaction per batch (DESIGN.md §3), and a bulk load defers secondary indexes and full-text indexing to the end.
/// Values are only ever bound as parameters: no event content becomes SQL text.
///
/// ```swift
/// let store = try SQLiteEventStore(path: "socagent.db")
/// try await store.beginBulkLoad()
/// let result = try await store.append(events)
/// try await store.finishBulkLoad()
/// ```
public final class SQLiteEventStore: EventStore {
    /// Settings for the store.
    public struct Configuration: Sendable {
        /// SQLite's page cache, in KiB.
        public var cacheKiB = 32_768
        /// Stores holding fewer events than this drop their secondary indexes during a bulk load and rebuild them
        /// after, which is faster than maintaining them row by row.
        public var rebuildIndexesBelow = 2_000_000
        /// During a bulk load, events are committed in transactions of about this many. Large transactions matter:
        /// the id index takes random inserts, and a rollback journal copies each index page once per transaction.
        public var bulkTransactionEvents = 500_000
        /// Creates a configuration.
        public init() {}
    }

    /// The database, exposed for the query layer built on this store.
    let database: DatabaseQueue
    /// Where the store lives (`:memory:` for an in-memory store).
    public let path: String
    private let configuration: Configuration
    private let bulk = BulkLoadState()
    /// Set when opening found a bulk load that never finished (the process was killed or crashed) and completed its
    /// deferred work: the secondary indexes and the full-text index. Front ends tell the user.
    public let recoveryNotice: String?

    /// Opens or creates a store.
    /// - Parameters:
    ///   - path: The SQLite file; created with its schema when missing. `:memory:` makes a private in-memory store.
    ///   - configuration: Store settings.
    /// - Throws: ``EventStoreError`` of kind `cannotOpen` when the file cannot be opened, created or migrated.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        var config = GRDB.Configuration()
        config.busyMode = .timeout(10)
        // A bulk load keeps one transaction open across appends (see `bulkTransactionEvents`).
        config.allowsUnsafeTransactions = true
        let cacheKiB = configuration.cacheKiB
        config.prepareDatabase { db in
            // A rollback journal: bulk appends touch few existing pages, so it writes far less than WAL would.
            // 16 KiB pages hold several ~2 KB documents each (4 KiB pages would be half empty); this only takes
            // effect when the file is created.
            try db.execute(
                sql: "PRAGMA page_size = 16384; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -\(cacheKiB)"
            )
            SQLFunctions.register(on: db)
        }
        do {
            try PrivateDatabaseFile.prepare(path)
            database =
                path == ":memory:"
                ? try DatabaseQueue(configuration: config) : try DatabaseQueue(path: path, configuration: config)
            try PrivateDatabaseFile.checkOwnership(database, path: path, migrator: Self.migrator, kind: "event store")
            try SQLiteEventStore.migrator.migrate(database)
            recoveryNotice = try database.write { db in try Self.completeInterruptedBulkLoad(db) }.map {
                "the last bulk load into \(path) was interrupted; \($0)"
            }
        } catch let refusal as PrivateDatabaseFile.Refusal {
            throw EventStoreError(.cannotOpen, refusal.description)
        } catch let error as DatabaseError {
            throw EventStoreError(.cannotOpen, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        } catch {
            throw EventStoreError(.cannotOpen, "\(path): \(error)")
        }
    }

    // MARK: - Writing

    /// Stores events, skipping any whose identifier is already stored.
    public func append(_ events: [SecurityEvent]) async throws -> AppendResult {
        guard !events.isEmpty else { return AppendResult() }
        let bulk = self.bulk
        let transactionEvents = configuration.bulkTransactionEvents
        do {
            return try await database.writeWithoutTransaction { db in
                // `bulk` is only touched on this serialized writer queue.
                guard bulk.active else {
                    var result = AppendResult()
                    try db.inTransaction {
                        result = try Self.insert(events, into: db)
                        try Self.indexFullText(db)
                        return .commit
                    }
                    return result
                }
                let result = try Self.insert(events, into: db)
                bulk.pending += events.count
                if bulk.pending >= transactionEvents {
                    try db.execute(sql: "COMMIT; BEGIN IMMEDIATE")
                    bulk.pending = 0
                }
                return result
            }
        } catch let error as DatabaseError {
            throw EventStoreError(.writeFailed, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }

    /// Starts a bulk load: one long transaction, and no secondary indexes while the store is small enough that
    /// rebuilding them is cheaper than maintaining them.
    public func beginBulkLoad() async throws {
        let threshold = configuration.rebuildIndexesBelow
        let bulk = self.bulk
        try await writeOrThrow { db in
            guard !bulk.active else { return }
            try db.execute(sql: "BEGIN IMMEDIATE")
            bulk.active = true
            bulk.pending = 0
            // Committed with the first batch: if the load never finishes, the next open completes its work.
            try Self.setMeta(Self.bulkLoadMarker, "in progress", db)
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
            if count < threshold {
                for index in Schema.secondaryIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(index.name)") }
            }
        }
    }

    /// Ends a bulk load: rebuilds the secondary indexes, brings the full-text index up to date and commits.
    public func finishBulkLoad() async throws {
        let bulk = self.bulk
        try await writeOrThrow { db in
            if !bulk.active { try db.execute(sql: "BEGIN IMMEDIATE") }
            for index in Schema.secondaryIndexes { try db.execute(sql: index.createSQL) }
            try Self.indexFullText(db)
            // Statistics let the planner choose between an index lookup (a selective field) and a newest-first scan
            // (a common value); a sampled ANALYZE costs milliseconds even on large stores.
            try db.execute(sql: "PRAGMA analysis_limit = 2000; ANALYZE")
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [Self.bulkLoadMarker])
            try db.execute(sql: "COMMIT")
            bulk.active = false
        }
    }

    /// The `meta` key a bulk load sets while it runs.
    static let bulkLoadMarker = "bulk_load"

    /// The `meta` key that says what the typed address columns hold: ``canonicalAddresses`` when every value is
    /// an address in canonical form (then a CIDR search is index ranges alone), ``mixedAddresses`` once any other
    /// value was stored, and nothing for stores written before this was tracked.
    static let addressColumnsMetaKey = "address_columns"
    static let canonicalAddresses = "canonical"
    static let mixedAddresses = "mixed"

    /// Whether the typed address columns hold only canonical addresses.
    static func addressColumnsAreCanonical(_ db: Database) throws -> Bool {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [addressColumnsMetaKey])
            == canonicalAddresses
    }

    /// Completes a bulk load that never finished: recreates the secondary indexes, indexes the unindexed messages
    /// for full-text search, and clears the marker. Returns what was done, or `nil` when no load was interrupted.
    private static func completeInterruptedBulkLoad(_ db: Database) throws -> String? {
        guard try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [bulkLoadMarker]) != nil
        else { return nil }
        let existing = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
        let missing = Schema.secondaryIndexes.filter { !existing.contains($0.name) }
        for index in missing { try db.execute(sql: index.createSQL) }
        let watermark = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fts_rowid'") ?? 0
        let unindexed =
            try Int.fetchOne(db, sql: "SELECT count(*) FROM event_docs WHERE rowid > ?", arguments: [watermark]) ?? 0
        try indexFullText(db)
        try db.execute(sql: "PRAGMA analysis_limit = 2000; ANALYZE")
        try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [bulkLoadMarker])
        return "rebuilt \(missing.count) index\(missing.count == 1 ? "" : "es") and indexed \(unindexed) "
            + "event\(unindexed == 1 ? "" : "s") for full-text search"
    }

    private func writeOrThrow(_ body: @Sendable @escaping (Database) throws -> Void) async throws {
        do {
            try await database.writeWithoutTransaction(body)
        } catch let error as DatabaseError {
            throw EventStoreError(.writeFailed, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }

    /// Inserts with raw binds on one prepared statement (about twice as fast as GRDB's argument arrays).
    private static func insert(_ events: [SecurityEvent], into db: Database) throws -> AppendResult {
        let handle = try db.cachedStatement(sql: Schema.insertSQL).sqliteStatement
        let documentHandle = try db.cachedStatement(sql: Schema.insertDocumentSQL).sqliteStatement
        let connection = db.sqliteConnection
        var result = AppendResult()
        var writer = JSONWriter(capacity: 4096)
        // Recorded before the rows, in their transaction: a value that is not a canonical address makes CIDR
        // searches test each row they find (a failed insert leaves at worst that slower, still exact, path).
        let nonCanonical = events.contains { event in
            Schema.addressColumnKeys.contains { key in
                event.fields[key]?.stringValue.map { !$0.isEmpty && !AddressSQL.isCanonical($0) } ?? false
            }
        }
        if nonCanonical { try setMeta(addressColumnsMetaKey, mixedAddresses, db) }
        for event in events {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            let id = event.id.bytes
            id.withUnsafeBytes { _ = sqlite3_bind_blob(handle, 1, $0.baseAddress, 16, SQLITE_TRANSIENT) }
            if let timestamp = event.timestamp { sqlite3_bind_int64(handle, 2, timestamp.microsecondsSinceEpoch) }
            // `category` holds the primary (first) category; all of them are in the document.
            for (offset, key) in Schema.textColumnKeys.enumerated() {
                bindText(handle, Int32(3 + offset), event.fields[key]?.stringValue)
            }
            var next = Int32(3 + Schema.textColumns.count)
            for key in Schema.integerColumnKeys {
                if let value = event.fields[key]?.integerValue { sqlite3_bind_int64(handle, next, value) }
                next += 1
            }
            for key in Schema.v2TextColumnKeys {
                bindText(handle, next, event.fields[key]?.stringValue)
                next += 1
            }
            for key in Schema.v2IntegerColumnKeys {
                if let value = event.fields[key]?.integerValue { sqlite3_bind_int64(handle, next, value) }
                next += 1
            }
            if InvestigationRules.isFailedLogin(event) { sqlite3_bind_int64(handle, next, 1) }
            if InvestigationRules.isSuccessfulLogon(event) { sqlite3_bind_int64(handle, next + 1, 1) }
            try step(handle, connection)
            guard sqlite3_changes(connection) > 0 else {
                result.duplicates += 1
                continue
            }
            result.inserted += 1
            sqlite3_reset(documentHandle)
            sqlite3_clear_bindings(documentHandle)
            sqlite3_bind_int64(documentHandle, 1, sqlite3_last_insert_rowid(connection))
            bindText(documentHandle, 2, event.fields[Schema.messageKey]?.stringValue)
            writer.removeAll()
            event.writeFlatDocument(to: &writer, excluding: Schema.messageKey)
            writer.bytes.withUnsafeBytes {
                _ = sqlite3_bind_text(
                    documentHandle,
                    3,
                    $0.baseAddress?.assumingMemoryBound(to: CChar.self),
                    Int32($0.count),
                    SQLITE_TRANSIENT
                )
            }
            bindText(documentHandle, 4, event.original)
            try step(documentHandle, connection)
        }
        sqlite3_reset(handle)
        sqlite3_reset(documentHandle)
        return result
    }

    private static func step(_ handle: OpaquePointer, _ connection: OpaquePointer?) throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(connection))
            )
        }
    }

    private static func bindText(_ handle: OpaquePointer, _ index: Int32, _ value: String?) {
        guard var value, !value.isEmpty else { return }
        value.withUTF8 {
            _ = sqlite3_bind_text(
                handle,
                index,
                UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self),
                Int32($0.count),
                SQLITE_TRANSIENT
            )
        }
    }

    /// Indexes `message` for rows added since the last time (the watermark is kept in `meta`).
    private static func indexFullText(_ db: Database) throws {
        let watermark = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fts_rowid'") ?? 0
        let last = try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM event_docs") ?? 0
        guard last > watermark else { return }
        try db.execute(
            sql:
                "INSERT INTO events_fts(rowid, message) SELECT rowid, message FROM event_docs WHERE rowid > ? AND message IS NOT NULL",
            arguments: [watermark]
        )
        try setMeta("fts_rowid", String(last), db)
    }

    private static func setMeta(_ key: String, _ value: String, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
    }

    // MARK: - Reading

    /// The number of stored events.
    public func count() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    /// The events with the given identifiers, for tests and tools that cite evidence.
    public func events(ids: [EventIdentifier]) async throws -> [SecurityEvent] {
        try await read { db in
            try ids.compactMap { id in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT e.id, e.ts, d.doc, d.original, d.message FROM events e JOIN event_docs d ON d.rowid = e.rowid
                        WHERE e.id = ?
                        """,
                    arguments: [Data(id.bytes)]
                )
                .map(Self.storedEvent)
            }
        }
    }

    /// The time range and the most common values of the key fields.
    public func statistics(top: Int) async throws -> StoreStatistics {
        try await read { db in
            func counts(_ sql: String) throws -> [StoreStatistics.Count] {
                try Row.fetchAll(db, sql: sql, arguments: [top]).map { row in
                    StoreStatistics.Count(value: row[0] ?? "", count: row[1])
                }
            }
            // One subquery each, so the time index answers min and max by a lookup at either end (together in one
            // SELECT they scan it: 105 ms against 4 ms on 1 M events).
            let extent = try Row.fetchOne(
                db,
                sql: "SELECT (SELECT count(*) FROM events), (SELECT min(ts) FROM events), (SELECT max(ts) FROM events)"
            )
            let total: Int = extent?[0] ?? 0
            let first: Int64? = extent?[1]
            let last: Int64? = extent?[2]
            let firstSeen = first.map { Timestamp(microsecondsSinceEpoch: $0).iso8601 }
            let lastSeen = last.map { Timestamp(microsecondsSinceEpoch: $0).iso8601 }
            guard top > 0 else { return StoreStatistics(events: total, firstSeen: firstSeen, lastSeen: lastSeen) }
            // The same definition as the failed-logins query (InvestigationRules.isFailedLogin).
            let failure = "failed_login = 1"
            return StoreStatistics(
                events: total,
                firstSeen: firstSeen,
                lastSeen: lastSeen,
                formats: try counts(
                    "SELECT format, count(*) c FROM events WHERE format IS NOT NULL GROUP BY format ORDER BY c DESC, format LIMIT ?"
                ),
                categories: try counts(
                    "SELECT category, count(*) c FROM events WHERE category IS NOT NULL GROUP BY category ORDER BY c DESC, category LIMIT ?"
                ),
                eventCodes: try counts(
                    "SELECT event_code, count(*) c FROM events WHERE event_code IS NOT NULL GROUP BY event_code ORDER BY c DESC, event_code LIMIT ?"
                ),
                // Compared as the host index is (NOCASE), so the planner reads that covering index, not the table
                // (219 ms against 477 ms on 1 M events); every text is >= '', so no host is left out.
                hosts: try counts(
                    "SELECT host_name, count(*) c FROM events WHERE host_name COLLATE NOCASE >= '' GROUP BY host_name ORDER BY c DESC, host_name LIMIT ?"
                ),
                failedLoginSources: try counts(
                    "SELECT source_ip, count(*) c FROM events WHERE \(failure) AND source_ip IS NOT NULL GROUP BY source_ip ORDER BY c DESC, source_ip LIMIT ?"
                ),
                // `+user_name` keeps the planner off the index of every user's events (a table lookup for each of
                // them: 695 ms on 1 M events); it walks the failed logins instead (92 ms).
                failedLoginUsers: try counts(
                    "SELECT user_name, count(*) c FROM events WHERE \(failure) AND +user_name IS NOT NULL GROUP BY user_name ORDER BY c DESC, user_name LIMIT ?"
                )
            )
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await database.read(body)
        } catch let error as DatabaseError {
            throw EventStoreError(.readFailed, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }

    /// Rebuilds an event from its stored row (`id`, `ts`, `doc`, `original`, `message`).
    static func storedEvent(_ row: Row) -> SecurityEvent {
        let idBytes: Data = row["id"]
        let id = EventIdentifier(bytes: Array(idBytes)) ?? EventIdentifier(high: 0, low: 0)
        let ts: Int64? = row["ts"]
        var event = SecurityEvent(
            id: id,
            timestamp: ts.map(Timestamp.init(microsecondsSinceEpoch:)),
            original: row["original"]
        )
        let doc: String = row["doc"]
        StoredDocument.read(doc, into: &event)
        if let message: String = row["message"] { event[ECSField.message] = .string(message) }
        return event
    }
}

/// Whether a bulk load's transaction is open, and how many events it holds.
///
/// `@unchecked Sendable`: it is read and written only inside `database.write…` closures, which GRDB runs one at a
/// time on the store's serialized writer queue; that queue is the lock.
private final class BulkLoadState: @unchecked Sendable {
    var active = false
    var pending = 0
}

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
