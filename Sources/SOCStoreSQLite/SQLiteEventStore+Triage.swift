import Foundation
import GRDB
public import SOCModel
public import SOCStore

/// Triage's state in the store's own file (tables `triage_alerts`, `triage_incidents`, `triage_cursors`; migration
/// v6), written in single transactions.
extension SQLiteEventStore: TriageLedger, StoreChangeFeed {
    public func cursor(_ name: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM triage_cursors WHERE name = ?", arguments: [name])
        }
    }

    public func record(_ alerts: [Alert], cursors: [String: String]) async throws -> Int {
        let encoded = try alerts.map { alert in
            (alert, String(decoding: try Self.triageEncoder.encode(alert), as: UTF8.self))
        }
        return try await triageWrite { db in
            let insert = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO triage_alerts(id, ts, source, severity, body) VALUES (?, ?, ?, ?, ?)"
            )
            var inserted = 0
            for (alert, body) in encoded {
                try insert.execute(arguments: [
                    alert.id, alert.time?.microsecondsSinceEpoch, alert.source.rawValue,
                    Severity.allCases.firstIndex(of: alert.severity) ?? 0, body,
                ])
                inserted += db.changesCount
            }
            for (name, value) in cursors {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO triage_cursors(name, value) VALUES (?, ?)",
                    arguments: [name, value]
                )
            }
            return inserted
        }
    }

    public func ungroupedAlerts(limit: Int) async throws -> [LedgerAlert] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, body FROM triage_alerts WHERE incident_id IS NULL ORDER BY seq LIMIT ?",
                arguments: [limit]
            ).compactMap { row in
                let body: String = row["body"]
                guard let alert = try? Self.triageDecoder.decode(Alert.self, from: Data(body.utf8)) else { return nil }
                return LedgerAlert(sequence: row["seq"], alert: alert)
            }
        }
    }

    public func incidents(activeSince since: Timestamp) async throws -> [TriageIncident] {
        try await read { db in
            try Self.decodeIncidents(
                Row.fetchAll(
                    db,
                    sql: "SELECT body FROM triage_incidents WHERE status != 'closed' AND last_us >= ?",
                    arguments: [since.microsecondsSinceEpoch]
                )
            )
        }
    }

    public func saveGrouping(_ incidents: [TriageIncident], assignments: [LedgerAssignment]) async throws {
        try await triageWrite { db in
            for var incident in incidents {
                if let stored = try Self.decodeIncidents(
                    Row.fetchAll(db, sql: "SELECT body FROM triage_incidents WHERE id = ?", arguments: [incident.id])
                ).first {
                    incident.keepWorkflow(of: stored)
                }
                let body = String(decoding: try Self.triageEncoder.encode(incident), as: UTF8.self)
                try Self.upsert(incident, body: body, db)
            }
            let assign = try db.cachedStatement(
                sql: "UPDATE triage_alerts SET incident_id = ? WHERE seq = ? AND incident_id IS NULL"
            )
            for assignment in assignments {
                try assign.execute(arguments: [assignment.incidentID, assignment.sequence])
            }
        }
    }

    public func incidentsToInvestigate(limit: Int) async throws -> [TriageIncident] {
        try await read { db in
            try Self.decodeIncidents(
                Row.fetchAll(
                    db,
                    sql: "SELECT body FROM triage_incidents WHERE pending = 1 ORDER BY last_us LIMIT ?",
                    arguments: [limit]
                )
            )
        }
    }

    public func alerts(ofIncident id: String, limit: Int) async throws -> [Alert] {
        try await read { db in
            // Most severe first, then newest: a critical alert is read whatever followed it.
            try String.fetchAll(
                db,
                sql:
                    "SELECT body FROM triage_alerts WHERE incident_id = ? ORDER BY severity DESC, seq DESC LIMIT ?",
                arguments: [id, limit]
            ).compactMap { try? Self.triageDecoder.decode(Alert.self, from: Data($0.utf8)) }
        }
    }

    public func recordInvestigation(
        incident id: String,
        revision: Int,
        severity: Severity,
        title: String,
        reportID: String,
        reportRevision: Int
    ) async throws {
        try await triageWrite { db in
            guard
                let body = try String.fetchOne(
                    db,
                    sql: "SELECT body FROM triage_incidents WHERE id = ?",
                    arguments: [id]
                ),
                var incident = try? Self.triageDecoder.decode(TriageIncident.self, from: Data(body.utf8))
            else { return }
            incident.investigatedRevision = max(incident.investigatedRevision, revision)
            incident.severity = severity
            incident.title = title
            incident.reportID = reportID
            // The revision written, not one more than before: two writers never skip or repeat a number.
            incident.reportRevisions = max(incident.reportRevisions, reportRevision)
            try Self.upsert(
                incident,
                body: String(decoding: try Self.triageEncoder.encode(incident), as: UTF8.self),
                db
            )
        }
    }

    public func change(incident id: String, _ change: TriageIncident.Change) async throws -> TriageIncident? {
        try await triageWrite { db in
            guard
                let body = try String.fetchOne(
                    db,
                    sql: "SELECT body FROM triage_incidents WHERE id = ?",
                    arguments: [id]
                ),
                var incident = try? Self.triageDecoder.decode(TriageIncident.self, from: Data(body.utf8))
            else { return nil }
            try incident.apply(change)
            try Self.upsert(
                incident,
                body: String(decoding: try Self.triageEncoder.encode(incident), as: UTF8.self),
                db
            )
            return incident
        }
    }

    public func incident(id: String) async throws -> TriageIncident? {
        try await read { db in
            try Self.decodeIncidents(
                Row.fetchAll(db, sql: "SELECT body FROM triage_incidents WHERE id = ?", arguments: [id])
            ).first
        }
    }

    public func incidents(_ query: IncidentQuery) async throws -> [TriageIncident] {
        var conditions = ["1"]
        var arguments: [DatabaseValue] = []
        if let status = query.status {
            conditions.append("status = ?")
            arguments.append(status.rawValue.databaseValue)
        }
        if let since = query.activeSince {
            conditions.append("last_us >= ?")
            arguments.append(since.microsecondsSinceEpoch.databaseValue)
        }
        if let minimum = query.minimumSeverity {
            let accepted = Severity.allCases.filter { $0 >= minimum }.map { "'\($0.rawValue)'" }
            conditions.append("severity IN (\(accepted.joined(separator: ", ")))")
        }
        let sql =
            "SELECT body FROM triage_incidents WHERE \(conditions.joined(separator: " AND ")) ORDER BY last_us DESC, id"
        let all = StatementArguments(arguments)
        let host = query.host?.lowercased()
        let limit = query.limit
        return try await read { db in
            var found: [TriageIncident] = []
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: all)
            while found.count < limit, let row = try cursor.next() {
                let body: String = row["body"]
                guard let incident = try? Self.triageDecoder.decode(TriageIncident.self, from: Data(body.utf8))
                else { continue }
                if let host, !incident.hosts.contains(where: { $0.lowercased() == host }) { continue }
                found.append(incident)
            }
            return found
        }
    }

    public func triageCounts() async throws -> (alerts: Int, incidents: Int) {
        try await read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM triage_alerts") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM triage_incidents") ?? 0
            )
        }
    }

    // MARK: StoreChangeFeed

    public func eventsAdded(after position: Int64) async throws -> (position: Int64, count: Int, span: TimeRange?) {
        try await read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT max(rowid) AS last, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts "
                        + "FROM events WHERE rowid > ?",
                    arguments: [position]
                ),
                let last: Int64 = row["last"]
            else { return (position, 0, nil) }
            let first: Int64? = row["first_ts"]
            let newest: Int64? = row["last_ts"]
            let span = first.map { first in
                TimeRange(
                    start: Timestamp(microsecondsSinceEpoch: first),
                    end: newest.map { Timestamp(microsecondsSinceEpoch: $0 + 1) }
                )
            }
            return (last, row["n"], span)
        }
    }

    public func detectionsAdded(
        after position: Int64,
        limit: Int
    ) async throws -> (
        position: Int64, detections: [StoredDetection]
    ) {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT rowid AS r, * FROM detections WHERE rowid > ? ORDER BY rowid LIMIT ?",
                arguments: [position, limit]
            )
            let last: Int64 = rows.last?["r"] ?? position
            return (last, rows.map(Self.storedDetection))
        }
    }

    // MARK: Helpers

    private static let triageEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let triageDecoder = JSONDecoder()

    private static func upsert(_ incident: TriageIncident, body: String, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO triage_incidents(id, status, severity, first_us, last_us, pending, body)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                incident.id, incident.status.rawValue, incident.severity?.rawValue,
                incident.firstSeen.microsecondsSinceEpoch, incident.lastSeen.microsecondsSinceEpoch,
                incident.needsInvestigation ? 1 : 0, body,
            ]
        )
    }

    private static func decodeIncidents(_ rows: [Row]) -> [TriageIncident] {
        rows.compactMap { row in
            let body: String = row["body"]
            return try? triageDecoder.decode(TriageIncident.self, from: Data(body.utf8))
        }
    }

    private func triageWrite<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await database.write(body)
        } catch let error as DatabaseError {
            throw EventStoreError(.writeFailed, "\(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        }
    }
}
