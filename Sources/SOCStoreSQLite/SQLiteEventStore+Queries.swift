import Foundation
import GRDB
public import SOCModel
public import SOCStore

/// The investigation queries on the embedded store. Each mirrors ``InvestigationRules`` in SQL so the indexes do
/// the work, then rebuilds the few matching events to report them exactly as the in-memory store would.
extension SQLiteEventStore {
    /// ``InvestigationRules/isFailedLogin(_:)``, computed at ingest into a flag with its own partial indexes.
    static let failedLoginSQL = "e.failed_login = 1"
    /// The attempts a failed login stands for, as ``InvestigationRules/repeatCount(_:)`` counts them: a stored
    /// count outside ``ECSField/repeatCountRange`` counts once, so a sum can neither go down nor overflow.
    static let repeatCountSQL = """
        (CASE WHEN e.repeat_count BETWEEN \(ECSField.repeatCountRange.lowerBound) AND \(ECSField.repeatCountRange.upperBound) \
        THEN e.repeat_count ELSE 1 END)
        """

    /// ``InvestigationRules/isSuccessfulLogon(_:)``, computed at ingest.
    static let successfulLogonSQL = "s.successful_logon = 1"

    /// The filter's conditions on `alias` (`e` or `s`), and their arguments.
    static func filterSQL(
        _ filter: EventFilter,
        alias: String = "e",
        includeUser: Bool = true
    ) -> (String, [DatabaseValue]) {
        var parts: [String] = []
        var arguments: [DatabaseValue] = []
        if let range = filter.timeRange {
            if let start = range.start {
                parts.append("\(alias).ts >= ?")
                arguments.append(start.microsecondsSinceEpoch.databaseValue)
            }
            if let end = range.end {
                parts.append("\(alias).ts < ?")
                arguments.append(end.microsecondsSinceEpoch.databaseValue)
            }
        }
        if let matcher = filter.sourceIP {
            if matcher.isSingleAddress {
                // Addresses are stored in canonical form, so one address is an index lookup.
                parts.append("\(alias).source_ip = ?")
                arguments.append(matcher.network.description.databaseValue)
            } else {
                // Not as index ranges (``AddressSQL``): these queries want the newest matches, which walking their
                // own time-ordered indexes finds at once; the ranges led SQLite to sort all 480,000 events of
                // 10.0.0.0/8 in a 1 M-event store instead (0.47 s against 3 ms).
                parts.append("soc_ip_in(\(alias).source_ip, ?)")
                arguments.append(matcher.description.databaseValue)
            }
        }
        if includeUser, let user = filter.user {
            parts.append("\(alias).user_name = ?")
            arguments.append(user.databaseValue)
        }
        if let host = filter.host {
            parts.append("\(alias).host_name = ? COLLATE NOCASE")
            arguments.append(host.databaseValue)
        }
        return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), arguments)
    }

    /// Failed authentication attempts, newest first.
    public func failedLogins(_ filter: EventFilter) async throws -> [EventSummary] {
        try await events(where: Self.failedLoginSQL, filter: filter).map(EventSummary.init)
    }

    /// Flagged process starts and PowerShell activity, newest first.
    public func suspiciousProcesses(_ filter: EventFilter) async throws -> [ProcessFinding] {
        // A coarse SQL prefilter from the rules' images and first words; the rules then decide in Swift.
        var arguments: [DatabaseValue] = []
        let images = InvestigationRules.candidateImages
        var alternatives = ["lower(e.process_name) IN (" + images.map { _ in "?" }.joined(separator: ", ") + ")"]
        arguments += images.map(\.databaseValue)
        for word in InvestigationRules.candidateCommandWords {
            alternatives.append("instr(lower(e.process_command_line), ?) > 0")
            arguments.append(word.databaseValue)
        }
        alternatives.append(
            "e.action IN (" + InvestigationRules.scriptLoggingActions.map { "'\($0)'" }.joined(separator: ", ") + ")"
        )
        let actions = InvestigationRules.processActions.sorted().map { "'\($0)'" }.joined(separator: ", ")
        let condition =
            "e.category = 'process' AND e.action IN (\(actions)) AND (" + alternatives.joined(separator: " OR ") + ")"
        var findings: [ProcessFinding] = []
        var offset = 0
        let page = 500
        while findings.count < filter.limit {
            var pageFilter = filter
            pageFilter.limit = page
            let candidates = try await events(
                where: condition,
                arguments: arguments,
                filter: pageFilter,
                offset: offset
            )
            for event in candidates {
                let matches = InvestigationRules.suspiciousMatches(event)
                if !matches.isEmpty { findings.append(ProcessFinding(event: EventSummary(event), matches: matches)) }
                if findings.count == filter.limit { break }
            }
            if candidates.count < page { break }
            offset += page
        }
        return findings
    }

    /// Connections to destinations, newest first.
    public func networkConnections(_ filter: EventFilter, includePrivate: Bool) async throws -> [EventSummary] {
        let condition = """
            e.category = 'network' AND e.destination_ip IS NOT NULL
            AND coalesce(e.network_direction, '') NOT IN ('ingress', 'inbound')\(includePrivate ? "" : " AND soc_ip_public(e.destination_ip)")
            """
        return try await events(where: condition, filter: filter).map(EventSummary.init)
    }

    /// Failed logins grouped by source address, with distinct users, first and last seen, and later successes.
    public func bruteForce(_ filter: EventFilter, minimumFailures: Int) async throws -> [BruteForceSource] {
        let (filterSQL, filterArguments) = Self.filterSQL(filter)
        var successFilter = filter
        successFilter.user = nil
        successFilter.sourceIP = nil
        let (successSQL, successArguments) = Self.filterSQL(successFilter, alias: "s")
        // Successes are counted only for the top sources, from each source's first failure on.
        let sql = """
            WITH failures AS (
                SELECT e.source_ip AS ip, sum(\(Self.repeatCountSQL)) AS failures, count(DISTINCT e.user_name) AS users,
                       min(e.ts) AS first, max(e.ts) AS last
                FROM events e
                WHERE \(Self.failedLoginSQL) AND e.source_ip IS NOT NULL AND \(filterSQL)
                GROUP BY e.source_ip
                HAVING failures >= ?
                ORDER BY failures DESC, ip
                LIMIT ?
            )
            SELECT f.ip, f.failures, f.users, f.first, f.last,
                   (SELECT count(*) FROM events s WHERE s.source_ip = f.ip AND s.ts >= f.first
                      AND \(Self.successfulLogonSQL) AND \(successSQL)) AS successes
            FROM failures f
            ORDER BY f.failures DESC, f.ip
            """
        let arguments = StatementArguments(
            filterArguments + [minimumFailures.databaseValue, filter.limit.databaseValue] + successArguments
        )
        return try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let ip: String = row["ip"]
                let users = try String.fetchAll(
                    db,
                    sql: """
                        SELECT e.user_name FROM events e
                        WHERE \(Self.failedLoginSQL) AND e.source_ip = ? AND e.user_name IS NOT NULL AND \(filterSQL)
                        GROUP BY e.user_name ORDER BY sum(\(Self.repeatCountSQL)) DESC, e.user_name LIMIT 10
                        """,
                    arguments: StatementArguments([ip.databaseValue] + filterArguments)
                )
                let first: Int64? = row["first"]
                let last: Int64? = row["last"]
                return BruteForceSource(
                    sourceIP: ip,
                    failures: row["failures"],
                    users: row["users"],
                    userNames: users,
                    firstSeen: first.map { Timestamp(microsecondsSinceEpoch: $0).iso8601 },
                    lastSeen: last.map { Timestamp(microsecondsSinceEpoch: $0).iso8601 },
                    successes: row["successes"]
                )
            }
        }
    }

    /// Events matching a Lucene query: the exact count and the newest `filter.limit`.
    public func search(_ query: LuceneQuery, filter: EventFilter, now: Timestamp) async throws -> SearchResult {
        let canonical = try await read { db in try Self.addressColumnsAreCanonical(db) }
        let compiled = LuceneSQLCompiler.compile(query, now: now, canonicalAddressColumns: canonical)
        let (filterSQL, filterArguments) = Self.filterSQL(filter)
        // Only conditions on documents or messages need the documents table to count.
        let from = compiled.sql.contains("d.") ? "events e JOIN event_docs d ON d.rowid = e.rowid" : "events e"
        let total = try await read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM \(from) WHERE \(compiled.sql) AND \(filterSQL)",
                arguments: StatementArguments(compiled.arguments + filterArguments)
            ) ?? 0
        }
        guard total > 0 else { return SearchResult(total: 0, events: []) }
        // Many matches: walking the time index newest-first finds the first page at once. Few: an index on the
        // condition finds them all and sorting them is cheap. The exact total, already known, tells which (the
        // planner, not knowing it, may walk the whole time index for a handful of matches). One address or user
        // is read newest first from its own index, as the planner does: sorting its 1,589 matches in a 10 M-event
        // store cost 2.4-3.0 ms against 0.6-0.8 ms.
        let dense = total > Self.denseMatches
        let sparse: PageStrategy = compiled.readsNewestFirst ? .planner : .sortMatches
        var events: [SecurityEvent]
        do {
            events = try await self.events(
                where: compiled.sql,
                arguments: compiled.arguments,
                filter: filter,
                page: dense ? .newestFirstScan : sparse
            )
        } catch  where dense {
            events = try await self.events(where: compiled.sql, arguments: compiled.arguments, filter: filter)
        }
        return SearchResult(total: total, events: events)
    }

    /// Above this many matches a search walks the time index instead of an index on its condition.
    static let denseMatches = 5_000

    /// How a page of matches is found.
    enum PageStrategy {
        /// As SQLite's planner chooses.
        case planner
        /// Walk the time index newest-first, testing each event (right when many events match).
        case newestFirstScan
        /// Find every match by the condition's own indexes, then sort them (right when few match).
        case sortMatches
    }

    /// The newest events meeting `condition` and the filter, rebuilt from their documents.
    ///
    /// The page is chosen from the narrow table (joining documents only when the condition reads them) and only
    /// its rows are joined to their documents.
    func events(
        where condition: String,
        arguments: [DatabaseValue] = [],
        filter: EventFilter,
        offset: Int = 0,
        page strategy: PageStrategy = .planner
    ) async throws -> [SecurityEvent] {
        let (filterSQL, filterArguments) = Self.filterSQL(filter)
        let documents = condition.contains("d.") ? " JOIN event_docs d ON d.rowid = e.rowid" : ""
        let timeIndex = strategy == .newestFirstScan ? " INDEXED BY events_ts" : ""
        // `+e.ts` is an expression the time index cannot order, so the planner uses the condition's indexes.
        let order = strategy == .sortMatches ? "+e.ts" : "e.ts"
        let sql = """
            SELECT e.id, e.ts, d.doc, d.original, d.message
            FROM (SELECT e.rowid AS rowid FROM events e\(timeIndex)\(documents)
                  WHERE \(condition) AND \(filterSQL)
                  ORDER BY \(order) DESC, e.id LIMIT ? OFFSET ?) page
            JOIN events e ON e.rowid = page.rowid JOIN event_docs d ON d.rowid = page.rowid
            ORDER BY e.ts DESC, e.id
            """
        let all = StatementArguments(arguments + filterArguments + [filter.limit.databaseValue, offset.databaseValue])
        return try await read { db in try Row.fetchAll(db, sql: sql, arguments: all).map(Self.storedEvent) }
    }
}

extension SQLiteEventStore {
    /// The embedded store keeps detections, in its `detections` table.
    public var keepsDetections: Bool { true }

    /// Saves detections (a rule matching an event again replaces the earlier row).
    public func saveDetections(_ detections: [StoredDetection]) async throws {
        guard !detections.isEmpty else { return }
        do {
            try await database.write { db in
                let statement = try db.cachedStatement(
                    sql:
                        "INSERT OR REPLACE INTO detections(rule_id, event_id, title, level, techniques, ts, host_name, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                )
                for detection in detections {
                    let fields = detection.fieldsJSON
                    let id = EventIdentifier(hex: detection.eventID).map { Data($0.bytes) } ?? Data()
                    let ts = detection.instant?.microsecondsSinceEpoch
                    try statement.execute(arguments: [
                        detection.ruleID, id, detection.title, detection.level.rawValue,
                        detection.techniques.joined(separator: ","), ts, detection.host, fields,
                    ])
                }
            }
        } catch let error as DatabaseError {
            throw EventStoreError(.writeFailed, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }

    /// Stored detections in the window, newest first.
    public func detections(_ filter: EventFilter, minimumLevel: SigmaLevel) async throws -> [StoredDetection] {
        var conditions = ["1"]
        var arguments: [DatabaseValue] = []
        if minimumLevel > .informational {
            // As SigmaLevel(lenient:) reads levels: an unknown one is medium.
            let known = SigmaLevel.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let accepted = minimumLevel.andAbove.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            conditions.append(
                "(level IN (\(accepted))" + (minimumLevel <= .medium ? " OR level NOT IN (\(known)))" : ")")
            )
        }
        if let start = filter.timeRange?.start {
            conditions.append("ts >= ?")
            arguments.append(start.microsecondsSinceEpoch.databaseValue)
        }
        if let end = filter.timeRange?.end {
            conditions.append("ts < ?")
            arguments.append(end.microsecondsSinceEpoch.databaseValue)
        }
        if let host = filter.host {
            conditions.append("host_name = ? COLLATE NOCASE")
            arguments.append(host.databaseValue)
        }
        let sql =
            "SELECT * FROM detections WHERE \(conditions.joined(separator: " AND ")) ORDER BY ts DESC, rule_id LIMIT ?"
        let all = StatementArguments(arguments + [filter.limit.databaseValue])
        return try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: all).map(Self.storedDetection)
        }
    }

    /// A detection from its `detections` row.
    static func storedDetection(_ row: Row) -> StoredDetection {
        let id: Data = row["event_id"]
        let ts: Int64? = row["ts"]
        let fields: String = row["fields"]
        let techniques: String = row["techniques"]
        return StoredDetection(
            ruleID: row["rule_id"],
            title: row["title"],
            level: SigmaLevel(lenient: row["level"]),
            techniques: techniques.split(separator: ",").map(String.init),
            eventID: EventIdentifier(bytes: Array(id))?.hex ?? "",
            timestamp: ts.map { Timestamp(microsecondsSinceEpoch: $0).iso8601 },
            host: row["host_name"],
            fields: (try? JSONDecoder().decode([String: String].self, from: Data(fields.utf8))) ?? [:]
        )
    }

    /// Calls `body` with every stored event in the filter's window, oldest first, a page at a time.
    public func forEachEvent(
        _ filter: EventFilter,
        pageSize: Int = 2000,
        _ body: ([SecurityEvent]) async throws -> Void
    ) async throws {
        var after: Int64 = 0
        let (filterSQL, filterArguments) = Self.filterSQL(filter)
        while true {
            let sql = """
                SELECT e.rowid AS r, e.id, e.ts, d.doc, d.original, d.message FROM events e JOIN event_docs d ON d.rowid = e.rowid
                WHERE e.rowid > ? AND \(filterSQL) ORDER BY e.rowid LIMIT ?
                """
            let arguments = StatementArguments([after.databaseValue] + filterArguments + [pageSize.databaseValue])
            let page: [(Int64, SecurityEvent)] = try await read { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { ($0["r"], Self.storedEvent($0)) }
            }
            guard let last = page.last else { return }
            try await body(page.map(\.1))
            after = last.0
            if page.count < pageSize { return }
        }
    }
}
