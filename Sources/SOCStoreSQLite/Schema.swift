import GRDB
import SOCModel

/// The store's tables and indexes, and the migrations that create them.
enum Schema {
    /// Typed text columns and the ECS fields they hold, in insert order.
    static let textColumns: [String] = [
        ECSField.sourceFormat, ECSField.eventCode, ECSField.eventCategory, ECSField.eventAction, ECSField.eventOutcome,
        ECSField.eventModule, ECSField.hostName, ECSField.userName, ECSField.userDomain, ECSField.sourceIP,
        ECSField.destinationIP, ECSField.processName, ECSField.processExecutable, ECSField.processCommandLine,
        ECSField.processParentName,
    ]
    /// ``textColumns`` with their hashes computed once (these are looked up in every event).
    static let textColumnKeys = textColumns.map(FieldKey.init)
    static let integerColumnKeys = integerColumns.map(FieldKey.init)
    static let messageKey = FieldKey(ECSField.message)
    static let categoryKey = FieldKey(ECSField.eventCategory)

    static let textColumnNames = [
        "format", "event_code", "category", "action", "outcome", "module", "host_name", "user_name", "user_domain",
        "source_ip", "destination_ip", "process_name", "process_executable", "process_command_line",
        "process_parent_name",
    ]
    /// Typed integer columns and the ECS fields they hold, in insert order.
    static let integerColumns: [String] = [ECSField.sourcePort, ECSField.destinationPort]
    static let integerColumnNames = ["source_port", "destination_port"]

    /// Columns added by the `v2` migration (for the investigation queries), in insert order after the others.
    static let v2TextColumns: [String] = [ECSField.networkDirection]
    static let v2TextColumnNames = ["network_direction"]
    static let v2IntegerColumns: [String] = ["socagent.repeat_count"]
    static let v2IntegerColumnNames = ["repeat_count"]
    static let v2TextColumnKeys = v2TextColumns.map(FieldKey.init)
    static let v2IntegerColumnKeys = v2IntegerColumns.map(FieldKey.init)

    /// Inserts the hot columns; a duplicate id is ignored (and then no document is inserted).
    static var insertSQL: String {
        let columns = ["id", "ts"] + textColumnNames + integerColumnNames + v2TextColumnNames + v2IntegerColumnNames
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT OR IGNORE INTO events(\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
    }

    /// Inserts the large columns, keyed by the rowid of the `events` row.
    static let insertDocumentSQL = "INSERT INTO event_docs(rowid, message, doc, original) VALUES (?, ?, ?, ?)"

    struct Index {
        let name: String
        let columns: String
        var createSQL: String { "CREATE INDEX IF NOT EXISTS \(name) ON events(\(columns))" }
    }

    /// Indexes for the investigation queries: failed logons by source, processes by host, connections by
    /// destination, time windows. Dropped during bulk loads of small stores and rebuilt after.
    static let secondaryIndexes: [Index] = [
        Index(name: "events_ts", columns: "ts"),
        Index(name: "events_code_source_ip", columns: "event_code, source_ip"),
        Index(name: "events_category_outcome_ts", columns: "category, outcome, ts"),
        Index(name: "events_source_ip_ts", columns: "source_ip, ts"),
        Index(name: "events_host_category_ts", columns: "host_name, category, ts"),
        Index(name: "events_user_ts", columns: "user_name, ts"),
        Index(name: "events_destination_ip", columns: "destination_ip, destination_port"),
    ]

    static let columnDefinitions: String = {
        let text = textColumnNames.map { "\($0) TEXT" }
        let integers = integerColumnNames.map { "\($0) INTEGER" }
        return (["rowid INTEGER PRIMARY KEY", "id BLOB NOT NULL", "ts INTEGER"] + text + integers)
            .joined(separator: ",\n    ")
    }()
}

extension SQLiteEventStore {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // The hot, indexed columns live in a narrow table so index builds and scans stay small; the message,
            // the flattened ECS document (dotted keys, without `message`, which has its own column) and the original
            // record live beside it under the same rowid.
            try db.execute(sql: "CREATE TABLE events(\n    \(Schema.columnDefinitions)\n)")
            try db.execute(
                sql: "CREATE TABLE event_docs(rowid INTEGER PRIMARY KEY, message TEXT, doc TEXT NOT NULL, original TEXT NOT NULL)"
            )
            try db.execute(sql: "CREATE UNIQUE INDEX events_id ON events(id)")
            for index in Schema.secondaryIndexes { try db.execute(sql: index.createSQL) }
            try db.execute(
                sql: "CREATE VIRTUAL TABLE events_fts USING fts5(message, content='event_docs', content_rowid='rowid', tokenize='unicode61')"
            )
            try db.execute(sql: "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        }
        migrator.registerMigration("v2") { db in
            for column in Schema.v2TextColumnNames { try db.execute(sql: "ALTER TABLE events ADD COLUMN \(column) TEXT") }
            for column in Schema.v2IntegerColumnNames { try db.execute(sql: "ALTER TABLE events ADD COLUMN \(column) INTEGER") }
            // Fill them for events stored before this version, from the stored documents.
            try db.execute(
                sql: """
                    UPDATE events SET
                        network_direction = (SELECT json_extract(doc, '$."network.direction"') FROM event_docs WHERE rowid = events.rowid),
                        repeat_count = (SELECT json_extract(doc, '$."socagent.repeat_count"') FROM event_docs WHERE rowid = events.rowid)
                    """
            )
        }
        return migrator
    }
}
