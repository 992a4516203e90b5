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
    /// The fields of the typed address columns, whose values ``SQLiteEventStore`` checks are canonical.
    static let addressColumnKeys = [ECSField.sourceIP, ECSField.destinationIP].map(FieldKey.init)
    /// Typed integer columns and the ECS fields they hold, in insert order.
    static let integerColumns: [String] = [ECSField.sourcePort, ECSField.destinationPort]
    static let integerColumnNames = ["source_port", "destination_port"]

    /// Columns added by the `v2` migration (for the investigation queries), in insert order after the others.
    static let v2TextColumns: [String] = [ECSField.networkDirection]
    static let v2TextColumnNames = ["network_direction"]
    static let v2IntegerColumns: [String] = ["socagent.repeat_count"]
    static let v2IntegerColumnNames = ["repeat_count"]
    /// Classification flags computed at ingest by ``InvestigationRules`` (1 or NULL), with partial indexes, so the
    /// queries use exactly the rules the in-memory store uses and read only the events they concern.
    static let flagColumnNames = ["failed_login", "successful_logon"]
    static let v2TextColumnKeys = v2TextColumns.map(FieldKey.init)
    static let v2IntegerColumnKeys = v2IntegerColumns.map(FieldKey.init)

    /// Inserts the hot columns; a duplicate id is ignored (and then no document is inserted).
    static var insertSQL: String {
        let columns =
            ["id", "ts"] + textColumnNames + integerColumnNames + v2TextColumnNames + v2IntegerColumnNames
            + flagColumnNames
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT OR IGNORE INTO events(\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
    }

    /// Inserts the large columns, keyed by the rowid of the `events` row.
    static let insertDocumentSQL = "INSERT INTO event_docs(rowid, message, doc, original) VALUES (?, ?, ?, ?)"

    struct Index {
        let name: String
        let columns: String
        /// A partial index's condition.
        var condition: String? = nil
        var createSQL: String {
            "CREATE INDEX IF NOT EXISTS \(name) ON events(\(columns))" + (condition.map { " WHERE \($0)" } ?? "")
        }
    }

    /// Indexes for the investigation queries: failed logons by source, processes by host, connections by
    /// destination, time windows. Dropped during bulk loads of small stores and rebuilt after.
    static let secondaryIndexes: [Index] = [
        Index(
            name: "events_failed_logins",
            columns: "source_ip, user_name, ts, repeat_count",
            condition: "failed_login = 1"
        ),
        Index(name: "events_failed_logins_ts", columns: "ts", condition: "failed_login = 1"),
        Index(name: "events_successful_logons", columns: "source_ip, ts", condition: "successful_logon = 1"),
        Index(name: "events_ts", columns: "ts"),
        Index(name: "events_code_source_ip", columns: "event_code, source_ip"),
        Index(name: "events_category_ts", columns: "category, ts"),
        Index(name: "events_source_ip_ts", columns: "source_ip, ts"),
        // Host names compare without regard to case (EventFilter), so the index must collate the same way to be used.
        Index(name: "events_host_category_ts", columns: "host_name COLLATE NOCASE, category, ts"),
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
                sql:
                    "CREATE TABLE event_docs(rowid INTEGER PRIMARY KEY, message TEXT, doc TEXT NOT NULL, original TEXT NOT NULL)"
            )
            try db.execute(sql: "CREATE UNIQUE INDEX events_id ON events(id)")
            try db.execute(
                sql:
                    "CREATE VIRTUAL TABLE events_fts USING fts5(message, content='event_docs', content_rowid='rowid', tokenize='unicode61')"
            )
            try db.execute(sql: "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        }
        migrator.registerMigration("v2") { db in
            for column in Schema.v2TextColumnNames {
                try db.execute(sql: "ALTER TABLE events ADD COLUMN \(column) TEXT")
            }
            for column in Schema.v2IntegerColumnNames + Schema.flagColumnNames {
                try db.execute(sql: "ALTER TABLE events ADD COLUMN \(column) INTEGER")
            }
            // Fill them for events stored before this version, from the stored documents.
            try db.execute(
                sql: """
                    UPDATE events SET
                        network_direction = (SELECT json_extract(doc, '$."network.direction"') FROM event_docs WHERE rowid = events.rowid),
                        repeat_count = (SELECT json_extract(doc, '$."socagent.repeat_count"') FROM event_docs WHERE rowid = events.rowid)
                    """
            )
            // The flags, by the same rules as InvestigationRules (category holds the primary category from v2 on).
            try db.execute(sql: "UPDATE events SET category = substr(category, 1, instr(category || ',', ',') - 1)")
            try db.execute(
                sql: """
                    UPDATE events SET
                        failed_login = CASE WHEN (category = 'authentication' AND outcome = 'failure'
                            AND NOT (coalesce(action, '') LIKE 'pam\\_auth\\_failure%' ESCAPE '\\' AND coalesce(process_name, '') = 'sshd'))
                            OR (event_code = '4648' AND module = 'security') THEN 1 END,
                        successful_logon = CASE WHEN category = 'authentication' AND outcome = 'success' AND coalesce(event_code, '') <> '4648'
                            AND action IN ('logged-in', 'ssh_login', 'sign-in', 'su', 'user_login') THEN 1 END
                    """
            )
            for index in Schema.secondaryIndexes { try db.execute(sql: index.createSQL) }
        }
        migrator.registerMigration("v3") { db in
            // Sigma detections, so an investigation can cite them; one row per rule and event.
            try db.execute(
                sql: """
                    CREATE TABLE detections(
                        rule_id TEXT NOT NULL, event_id BLOB NOT NULL, title TEXT NOT NULL, level TEXT NOT NULL,
                        techniques TEXT NOT NULL, ts INTEGER, host_name TEXT, fields TEXT NOT NULL,
                        PRIMARY KEY (rule_id, event_id)
                    ) WITHOUT ROWID
                    """
            )
            try db.execute(sql: "CREATE INDEX detections_ts ON detections(ts)")
        }
        migrator.registerMigration("v4") { db in
            // Host filters became case-insensitive: the host index is rebuilt with NOCASE collation.
            try db.execute(sql: "DROP INDEX IF EXISTS events_host_category_ts")
            if let index = Schema.secondaryIndexes.first(where: { $0.name == "events_host_category_ts" }) {
                try db.execute(sql: index.createSQL)
            }
        }
        migrator.registerMigration("v5") { db in
            // Investigations ask for one host's detections (840 ms over 301,793 detections by the time index alone,
            // 3 ms with a host index). Rows also move to a rowid table with a unique (rule, event) index: hunting
            // appends detections in time order, which a table clustered on (rule, event) took as random inserts
            // (300,000 saves with the three indexes: 6.8 s, against 10.0 s clustered).
            try db.execute(
                sql: """
                    CREATE TABLE detections_v5(
                        rule_id TEXT NOT NULL, event_id BLOB NOT NULL, title TEXT NOT NULL, level TEXT NOT NULL,
                        techniques TEXT NOT NULL, ts INTEGER, host_name TEXT, fields TEXT NOT NULL
                    );
                    INSERT INTO detections_v5 SELECT rule_id, event_id, title, level, techniques, ts, host_name, fields FROM detections;
                    DROP TABLE detections;
                    ALTER TABLE detections_v5 RENAME TO detections;
                    CREATE UNIQUE INDEX detections_rule_event ON detections(rule_id, event_id);
                    CREATE INDEX detections_ts ON detections(ts);
                    CREATE INDEX detections_host_ts ON detections(host_name COLLATE NOCASE, ts);
                    """
            )
        }
        migrator.registerMigration("v6") { db in
            // Triage: alerts as they arrive (`seq` is arrival order; `severity` ranks LOW 0 … CRITICAL 3, so an
            // investigation reads an incident's most severe alerts first; `incident_id` is NULL until grouped), incidents
            // (the JSON body is the incident; the columns are what lists filter on), and how far each source is read.
            try db.execute(
                sql: """
                    CREATE TABLE triage_alerts(
                        seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts INTEGER, source TEXT NOT NULL,
                        severity INTEGER NOT NULL, body TEXT NOT NULL, incident_id TEXT
                    );
                    CREATE INDEX triage_alerts_ungrouped ON triage_alerts(seq) WHERE incident_id IS NULL;
                    CREATE INDEX triage_alerts_incident ON triage_alerts(incident_id, severity DESC, seq DESC);
                    CREATE TABLE triage_incidents(
                        id TEXT PRIMARY KEY, status TEXT NOT NULL, severity TEXT, first_us INTEGER NOT NULL,
                        last_us INTEGER NOT NULL, pending INTEGER NOT NULL, body TEXT NOT NULL
                    );
                    CREATE INDEX triage_incidents_last ON triage_incidents(last_us);
                    CREATE INDEX triage_incidents_pending ON triage_incidents(last_us) WHERE pending = 1;
                    CREATE TABLE triage_cursors(name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """
            )
        }
        migrator.registerMigration("v7") { db in
            // API tokens for `socagent serve`: the SHA-256 digest of each secret, never the secret.
            try db.execute(
                sql: """
                    CREATE TABLE access_tokens(
                        name TEXT PRIMARY KEY, role TEXT NOT NULL, digest TEXT NOT NULL UNIQUE,
                        created_us INTEGER NOT NULL, revoked_us INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("v8") { db in
            // Whether the typed address columns hold only canonical addresses, so CIDR searches can be index ranges
            // alone (AddressSQL). Known for a store with no events yet; a store written by an earlier version is
            // not scanned for it (it keeps the exact test on the rows its ranges find).
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO meta(key, value) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM events)
                    """,
                arguments: [SQLiteEventStore.addressColumnsMetaKey, SQLiteEventStore.canonicalAddresses]
            )
        }
        return migrator
    }
}
