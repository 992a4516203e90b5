public import Foundation
import GRDB
import SOCHTTP
public import SOCModel
import SOCSQLiteFiles

/// The persistent side of threat intelligence, one SQLite file: the answer cache, request history and quota blocks
/// (so limits survive restarts), and the offline sources — the CISA KEV catalog, imported NVD records and
/// blocklists.
public final class IntelDatabase: Sendable {
    private let queue: DatabaseQueue
    /// The file.
    public let path: String

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws {
        self.path = path
        try PrivateDatabaseFile.prepare(path, createFolder: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try PrivateDatabaseFile.checkOwnership(
            queue,
            path: path,
            migrator: Self.migrator,
            kind: "intelligence database"
        )
        try Self.migrator.migrate(queue)
    }

    /// The default location: `$SOCAGENT_CACHE_DIR/intel.db`, else `~/.cache/socagent/intel.db`.
    public static func defaultPath(environment: [String: String]) -> String {
        CacheFolder.path(environment: environment) + "/intel.db"
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE answers(
                        provider TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
                        answer TEXT NOT NULL, fetched_at REAL NOT NULL, expires_at REAL NOT NULL,
                        PRIMARY KEY(provider, kind, value)) WITHOUT ROWID;
                    CREATE TABLE requests(provider TEXT NOT NULL, at REAL NOT NULL);
                    CREATE INDEX requests_by_provider ON requests(provider, at);
                    CREATE TABLE blocks(provider TEXT PRIMARY KEY, until REAL NOT NULL, reason TEXT NOT NULL);
                    CREATE TABLE kev(cve_id TEXT PRIMARY KEY, entry TEXT NOT NULL);
                    CREATE TABLE sources(name TEXT PRIMARY KEY, version TEXT, imported_at REAL NOT NULL, entries INTEGER NOT NULL);
                    CREATE TABLE nvd(cve_id TEXT PRIMARY KEY, record TEXT NOT NULL, imported_at REAL NOT NULL);
                    CREATE TABLE blocklist_networks(list TEXT NOT NULL, network TEXT NOT NULL, PRIMARY KEY(list, network)) WITHOUT ROWID;
                    CREATE TABLE blocklist_hashes(hash TEXT NOT NULL, list TEXT NOT NULL, PRIMARY KEY(hash, list)) WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    // MARK: Answer cache

    /// A cached answer that has not expired, and when it was fetched.
    public func cachedAnswer(
        provider: String,
        indicator: IntelIndicator,
        now: Date = Date()
    ) throws
        -> (answer: ProviderAnswer, fetchedAt: Date)?
    {
        try queue.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT answer, fetched_at FROM answers WHERE provider = ? AND kind = ? AND value = ? AND expires_at > ?",
                    arguments: [provider, indicator.kind.rawValue, indicator.value, now.timeIntervalSince1970]
                )
            else { return nil }
            let text: String = row["answer"]
            guard let answer = try? Self.decoder.decode(ProviderAnswer.self, from: Data(text.utf8)) else { return nil }
            return (answer, Date(timeIntervalSince1970: row["fetched_at"]))
        }
    }

    /// Caches `answer` for `lifetime`.
    public func cache(
        _ answer: ProviderAnswer,
        provider: String,
        indicator: IntelIndicator,
        lifetime: Duration,
        now: Date = Date()
    )
        throws
    {
        let text = String(decoding: try Self.encoder.encode(answer), as: UTF8.self)
        try queue.write { db in
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO answers(provider, kind, value, answer, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    provider, indicator.kind.rawValue, indicator.value, text, now.timeIntervalSince1970,
                    now.timeIntervalSince1970 + lifetime.timeInterval,
                ]
            )
        }
    }

    // MARK: Quotas

    /// How many requests `provider` has made in the window of `limit` that contains `now` (read only).
    func requestsUsed(provider: String, limit: RateLimit, now: Date) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM requests WHERE provider = ? AND at > ?",
                arguments: [provider, limit.windowStart(now: now).timeIntervalSince1970]
            ) ?? 0
        }
    }

    /// Takes one request slot of `provider` if every limit allows it now; otherwise returns when the earliest slot
    /// frees (or the block ends) and why. Check and record happen in one transaction, so concurrent processes
    /// sharing the file cannot both take the last slot.
    func takeRequestSlot(provider: String, limits: [RateLimit], now: Date) throws -> RequestSlot {
        try queue.write { db in
            let nowSeconds = now.timeIntervalSince1970
            if let row = try Row.fetchOne(
                db,
                sql: "SELECT until, reason FROM blocks WHERE provider = ?",
                arguments: [provider]
            ) {
                let until: Double = row["until"]
                if until > nowSeconds { return .wait(until: Date(timeIntervalSince1970: until), reason: row["reason"]) }
                try db.execute(sql: "DELETE FROM blocks WHERE provider = ?", arguments: [provider])
            }
            var latestFree: (Date, String)?
            for limit in limits {
                let windowStart = limit.windowStart(now: now).timeIntervalSince1970
                let used =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM requests WHERE provider = ? AND at > ?",
                        arguments: [provider, windowStart]
                    ) ?? 0
                guard used >= limit.count else { continue }
                let freeAt: Date
                switch limit.window {
                case .rolling(let length):
                    let oldest =
                        try Double.fetchOne(
                            db,
                            sql: "SELECT at FROM requests WHERE provider = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
                            arguments: [provider, windowStart, used - limit.count]
                        ) ?? nowSeconds
                    freeAt = Date(timeIntervalSince1970: oldest + length.timeInterval)
                case .utcDay:
                    freeAt = limit.windowStart(now: now).addingTimeInterval(86_400)
                }
                if latestFree == nil || freeAt > latestFree!.0 { latestFree = (freeAt, limit.description) }
            }
            if let (until, reason) = latestFree { return .wait(until: until, reason: reason) }
            try db.execute(sql: "INSERT INTO requests(provider, at) VALUES (?, ?)", arguments: [provider, nowSeconds])
            // History older than the longest window is no longer needed.
            try db.execute(
                sql: "DELETE FROM requests WHERE provider = ? AND at < ?",
                arguments: [provider, nowSeconds - 2 * 86_400]
            )
            return .granted
        }
    }

    /// Blocks `provider` until `until` (a server said its quota is exhausted).
    public func block(provider: String, until: Date, reason: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO blocks(provider, until, reason) VALUES (?, ?, ?)",
                arguments: [provider, until.timeIntervalSince1970, reason]
            )
        }
    }

    /// Requests recorded for `provider` since `since`.
    public func requestCount(provider: String, since: Date) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM requests WHERE provider = ? AND at > ?",
                arguments: [provider, since.timeIntervalSince1970]
            ) ?? 0
        }
    }

    // MARK: Offline sources

    /// Replaces the KEV catalog with `entries`.
    public func replaceKEV(_ entries: [KEVEntry], version: String?) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM kev")
            let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO kev(cve_id, entry) VALUES (?, ?)")
            for entry in entries {
                let text = String(decoding: try Self.encoder.encode(entry), as: UTF8.self)
                try statement.execute(arguments: [entry.cveID.uppercased(), text])
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO sources(name, version, imported_at, entries) VALUES ('cisa-kev', ?, ?, ?)",
                arguments: [version, Date().timeIntervalSince1970, entries.count]
            )
        }
    }

    /// The KEV entry for `cveID`, if the catalog lists it.
    public func kevEntry(_ cveID: String) throws -> KEVEntry? {
        try queue.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT entry FROM kev WHERE cve_id = ?", arguments: [cveID])
            else { return nil }
            return try? Self.decoder.decode(KEVEntry.self, from: Data(text.utf8))
        }
    }

    /// The imported KEV catalog's version and size, if one was imported.
    public func kevCatalog() throws -> (version: String?, entries: Int)? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT version, entries FROM sources WHERE name = 'cisa-kev'").map {
                ($0["version"], $0["entries"])
            }
        }
    }

    /// Stores imported NVD records (replacing earlier imports of the same ids).
    public func storeNVDRecords(_ records: [CVERecord]) throws {
        try queue.write { db in
            let statement = try db.makeStatement(
                sql: "INSERT OR REPLACE INTO nvd(cve_id, record, imported_at) VALUES (?, ?, ?)"
            )
            for record in records {
                let text = String(decoding: try Self.encoder.encode(record), as: UTF8.self)
                try statement.execute(arguments: [record.id, text, Date().timeIntervalSince1970])
            }
        }
    }

    /// The imported NVD record for `cveID`.
    public func nvdRecord(_ cveID: String) throws -> CVERecord? {
        try queue.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT record FROM nvd WHERE cve_id = ?", arguments: [cveID])
            else { return nil }
            return try? Self.decoder.decode(CVERecord.self, from: Data(text.utf8))
        }
    }

    /// Replaces the blocklist `list` with `networks` (addresses and CIDR blocks) and `hashes`.
    public func replaceBlocklist(_ list: String, networks: [IPMatcher], hashes: [String]) throws {
        try replaceBlocklist(list) { writer in
            try writer.insert(networks: networks, hashes: hashes)
            return true
        }
    }

    /// Replaces the blocklist `list` with the entries `fill` writes, batch by batch, in one transaction.
    ///
    /// The list is replaced only when `fill` returns `true`. When it returns `false` or throws, the transaction rolls
    /// back and the list stays as it was, with none of the new entries; so does a process killed midway, which SQLite
    /// rolls back the next time the file is opened.
    /// - Parameter fill: Writes the entries; the writer is valid only during the call.
    public func replaceBlocklist(_ list: String, with fill: (BlocklistWriter) throws -> Bool) throws {
        try queue.writeWithoutTransaction { db in
            try db.inTransaction {
                try db.execute(sql: "DELETE FROM blocklist_networks WHERE list = ?", arguments: [list])
                try db.execute(sql: "DELETE FROM blocklist_hashes WHERE list = ?", arguments: [list])
                let writer = try BlocklistWriter(list: list, db: db)
                guard try fill(writer) else { return .rollback }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO sources(name, version, imported_at, entries) VALUES (?, NULL, ?, ?)",
                    arguments: ["blocklist:" + list, Date().timeIntervalSince1970, writer.count]
                )
                return .commit
            }
        }
    }

    /// Every blocklisted network, with its list.
    public func blocklistNetworks() throws -> [(list: String, network: IPMatcher)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT list, network FROM blocklist_networks").compactMap { row in
                let text: String = row["network"]
                return IPMatcher(text).map { (row["list"], $0) }
            }
        }
    }

    /// The lists that name `hash`.
    public func blocklistsNaming(hash: String) throws -> [String] {
        try queue.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT list FROM blocklist_hashes WHERE hash = ? ORDER BY list",
                arguments: [hash]
            )
        }
    }
}

/// Writes the entries of one blocklist inside ``IntelDatabase/replaceBlocklist(_:with:)``, and only there.
public final class BlocklistWriter {
    private let list: String
    private let insertNetwork: Statement
    private let insertHash: Statement
    /// The entries written so far, duplicates included.
    public private(set) var count = 0

    fileprivate init(list: String, db: Database) throws {
        self.list = list
        insertNetwork = try db.makeStatement(
            sql: "INSERT OR IGNORE INTO blocklist_networks(list, network) VALUES (?, ?)"
        )
        insertHash = try db.makeStatement(sql: "INSERT OR IGNORE INTO blocklist_hashes(hash, list) VALUES (?, ?)")
    }

    /// Writes a batch of addresses and CIDR blocks, and of hashes. An entry already written is kept once.
    public func insert(networks: [IPMatcher], hashes: [String]) throws {
        for network in networks { try insertNetwork.execute(arguments: [list, network.description]) }
        for hash in hashes { try insertHash.execute(arguments: [hash.lowercased(), list]) }
        count += networks.count + hashes.count
    }
}

/// The outcome of asking for a request slot.
enum RequestSlot: Equatable {
    case granted
    /// No slot before `until`, because of `reason` (the limit or the block).
    case wait(until: Date, reason: String)
}
