import Foundation
public import SOCModel
public import SOCStore
import Synchronization

/// Triage's state in a cluster's own indices, beside the events it triages: `socagent-triage-alerts` (one document
/// per alert, `_id` the alert's id), `socagent-triage-incidents` (one per incident) and `socagent-triage-state`
/// (the sources' cursors, and the grouping journal).
///
/// A cluster has no transaction over several documents, so each ledger step is made safe to repeat instead:
/// - alerts are written with `create` actions, so an alert recorded before a crash is a 409 when its source is read
///   again, never a second copy; a source's cursor moves only after its alerts are written;
/// - a grouping (incidents grown and alerts put in them) is first written whole as one journal document, which a
///   single-document write makes atomic, then applied, then deleted; a journal left by a crash is applied again
///   (every write in it sets a value, so applying twice equals applying once) before the ledger does anything else;
/// - an investigation's outcome changes one incident document.
///
/// One triage process writes a ledger at a time (as one process writes a SQLite store's triage tables).
public final class ElasticsearchTriageLedger: TriageLedger {
    private let client: ElasticsearchClient
    private let alertsIndex: String
    private let incidentsIndex: String
    private let stateIndex: String
    /// The indices made and a crashed grouping finished, once, before the first step.
    private let preparation = Mutex<Task<Void, any Error>?>(nil)
    /// The next alert's arrival number (one more than the highest recorded).
    private let nextSequence = Mutex<Int64>(1)

    /// The prefix of the ledger's index names.
    public static let indexPrefix = "socagent-triage"
    /// Documents per `_bulk` request, and results per search page (below the 10,000 result window).
    static let pageSize = 5_000
    private static let journalID = "journal"

    init(client: ElasticsearchClient, prefix: String = ElasticsearchTriageLedger.indexPrefix) {
        self.client = client
        alertsIndex = prefix + "-alerts"
        incidentsIndex = prefix + "-incidents"
        stateIndex = prefix + "-state"
    }

    // MARK: TriageLedger

    public func cursor(_ name: String) async throws -> String? {
        try await prepare()
        let source = try await document(stateIndex, id: Self.cursorID(name))
        return source?["value"] as? String
    }

    public func record(_ alerts: [Alert], cursors: [String: String]) async throws -> Int {
        try await prepare()
        var inserted = 0
        var start = 0
        while start < alerts.count {
            let batch = alerts[start..<min(alerts.count, start + Self.pageSize)]
            var actions: [(action: [String: Any], document: [String: Any])] = []
            for alert in batch {
                let sequence = nextSequence.withLock { next in
                    defer { next += 1 }
                    return next
                }
                var document: [String: Any] = [
                    "seq": sequence, "source": alert.source.rawValue, "severity": Self.rank(alert.severity),
                    "body": try Self.encode(alert),
                ]
                if let time = alert.time { document["ts"] = time.microsecondsSinceEpoch }
                actions.append((["create": ["_index": alertsIndex, "_id": Self.documentID(alert.id)]], document))
            }
            // A 409 is an alert recorded before (by an earlier run, or twice in this batch): not new, not an error.
            inserted += try await bulk(actions, accepting: [409], what: "alert").written
            start += batch.count
        }
        if !cursors.isEmpty {
            let actions = cursors.sorted { $0.key < $1.key }.map { name, value in
                (
                    action: ["index": ["_index": stateIndex, "_id": Self.cursorID(name)]] as [String: Any],
                    document: ["name": name, "value": value] as [String: Any]
                )
            }
            _ = try await bulk(actions, accepting: [], what: "cursor")
        }
        return inserted
    }

    public func ungroupedAlerts(limit: Int) async throws -> [LedgerAlert] {
        try await prepare()
        let query: [String: Any] = ["bool": ["must_not": [["exists": ["field": "incident_id"]]]]]
        return try await search(alertsIndex, query: query, sort: [["seq": "asc"]], limit: limit).compactMap {
            guard let sequence = ($0["seq"] as? NSNumber)?.int64Value, let alert = Self.decodeAlert($0) else {
                return nil
            }
            return LedgerAlert(sequence: sequence, alert: alert)
        }
    }

    public func incidents(activeSince since: Timestamp) async throws -> [TriageIncident] {
        try await prepare()
        let query: [String: Any] = [
            "bool": [
                "filter": [["range": ["last_us": ["gte": since.microsecondsSinceEpoch]]]],
                "must_not": [["term": ["status": TriageIncident.Status.closed.rawValue]]],
            ]
        ]
        return try await search(incidentsIndex, query: query, sort: Self.incidentOrder(newestFirst: false))
            .compactMap(Self.decodeIncident)
    }

    public func saveGrouping(_ incidents: [TriageIncident], assignments: [LedgerAssignment]) async throws {
        try await prepare()
        guard !incidents.isEmpty || !assignments.isEmpty else { return }
        let journal = Journal(
            incidents: incidents,
            assignments: assignments.map { [$0.alertID, $0.incidentID] }
        )
        _ = try await client.send(
            "PUT",
            "/\(stateIndex)/_doc/\(Self.journalID)?refresh=true",
            json: ["name": Self.journalID, "value": try Self.encode(journal)]
        )
        try await apply(journal)
    }

    public func incidentsToInvestigate(limit: Int) async throws -> [TriageIncident] {
        try await prepare()
        return try await search(
            incidentsIndex,
            query: ["term": ["pending": true]],
            sort: Self.incidentOrder(newestFirst: false),
            limit: limit
        ).compactMap(Self.decodeIncident)
    }

    public func alerts(ofIncident id: String, limit: Int) async throws -> [Alert] {
        try await prepare()
        // Most severe first, then newest: a critical alert is read whatever followed it.
        return try await search(
            alertsIndex,
            query: ["term": ["incident_id": id]],
            sort: [["severity": "desc"], ["seq": "desc"]],
            limit: limit
        ).compactMap(Self.decodeAlert)
    }

    public func recordInvestigation(
        incident id: String,
        revision: Int,
        severity: Severity,
        title: String,
        reportID: String,
        reportRevision: Int
    ) async throws {
        try await prepare()
        try await modifyIncident(id) { stored in
            guard var incident = stored else { return nil }
            incident.investigatedRevision = max(incident.investigatedRevision, revision)
            incident.severity = severity
            incident.title = title
            incident.reportID = reportID
            incident.reportRevisions = max(incident.reportRevisions, reportRevision)
            return incident
        }
    }

    public func change(incident id: String, _ change: TriageIncident.Change) async throws -> TriageIncident? {
        try await prepare()
        return try await modifyIncident(id) { stored in
            guard var incident = stored else { return nil }
            try incident.apply(change)
            return incident
        }
    }

    public func incident(id: String) async throws -> TriageIncident? {
        try await prepare()
        return try await document(incidentsIndex, id: Self.documentID(id)).flatMap(Self.decodeIncident)
    }

    public func incidents(_ query: IncidentQuery) async throws -> [TriageIncident] {
        try await prepare()
        var filters: [[String: Any]] = []
        if let status = query.status { filters.append(["term": ["status": status.rawValue]]) }
        if let minimum = query.minimumSeverity {
            filters.append(["terms": ["severity": Severity.allCases.filter { $0 >= minimum }.map(\.rawValue)]])
        }
        if let host = query.host { filters.append(["term": ["hosts_lc": host.lowercased()]]) }
        if let since = query.activeSince {
            filters.append(["range": ["last_us": ["gte": since.microsecondsSinceEpoch]]])
        }
        return try await search(
            incidentsIndex,
            query: ["bool": ["filter": filters]],
            sort: Self.incidentOrder(newestFirst: true),
            limit: query.limit
        ).compactMap(Self.decodeIncident)
    }

    public func triageCounts() async throws -> (alerts: Int, incidents: Int) {
        try await prepare()
        func count(_ index: String) async throws -> Int {
            let response = try await client.send("GET", "/\(index)/_count")
            return (response.json["count"] as? NSNumber)?.intValue ?? 0
        }
        return (try await count(alertsIndex), try await count(incidentsIndex))
    }

    // MARK: Preparation and the journal

    /// Creates the indices, finishes a grouping a crash interrupted, and reads the highest arrival number — once.
    private func prepare() async throws {
        let task = preparation.withLock { current in
            if let current { return current }
            let task = Task { try await self.makeReady() }
            current = task
            return task
        }
        do {
            try await task.value
        } catch {
            preparation.withLock { $0 = nil }
            throw error
        }
    }

    private func makeReady() async throws {
        let keyword: [String: Any] = ["type": "keyword"]
        let long: [String: Any] = ["type": "long"]
        let stored: [String: Any] = ["type": "keyword", "index": false, "doc_values": false]
        try await client.createIndex(
            alertsIndex,
            properties: [
                "seq": long, "ts": long, "source": keyword, "severity": ["type": "integer"], "incident_id": keyword,
                "body": stored,
            ]
        )
        try await client.createIndex(
            incidentsIndex,
            properties: [
                "id": keyword, "status": keyword, "severity": keyword, "first_us": long, "last_us": long,
                "pending": ["type": "boolean"], "hosts_lc": keyword, "body": stored,
            ]
        )
        try await client.createIndex(stateIndex, properties: ["name": keyword, "value": stored])
        if let source = try await document(stateIndex, id: Self.journalID), let text = source["value"] as? String {
            guard let journal = try? JSONDecoder().decode(Journal.self, from: Data(text.utf8)) else {
                throw EventStoreError(
                    .readFailed,
                    "the triage journal in \(stateIndex) cannot be read; delete its document `journal` to go on"
                )
            }
            try await apply(journal)
        }
        let response = try await client.send(
            "POST",
            "/\(alertsIndex)/_search",
            json: ["size": 0, "aggs": ["last": ["max": ["field": "seq"]]]] as [String: Any]
        )
        let last = ((response.json["aggregations"] as? [String: Any])?["last"] as? [String: Any])?["value"]
        nextSequence.withLock { $0 = ((last as? NSNumber)?.int64Value ?? 0) + 1 }
    }

    /// Writes a grouping's incidents and assignments, then deletes the journal that held them.
    private func apply(_ journal: Journal) async throws {
        for incident in journal.incidents {
            try await modifyIncident(incident.id, refresh: false) { stored in
                var grown = incident
                if let stored { grown.keepWorkflow(of: stored) }
                return grown
            }
        }
        var actions: [(action: [String: Any], document: [String: Any])] = []
        for pair in journal.assignments where pair.count == 2 {
            actions.append(
                (
                    ["update": ["_index": alertsIndex, "_id": Self.documentID(pair[0])]],
                    ["doc": ["incident_id": pair[1]]]
                )
            )
        }
        var start = 0
        while start < actions.count {
            let batch = Array(actions[start..<min(actions.count, start + Self.pageSize)])
            _ = try await bulk(batch, accepting: [], what: "grouping")
            start += batch.count
        }
        _ = try await client.send("POST", "/\(incidentsIndex)/_refresh")
        _ = try await client.send(
            "DELETE",
            "/\(stateIndex)/_doc/\(Self.journalID)?refresh=true",
            accepting: [200, 404]
        )
    }

    /// A grouping as one document: the incidents as they are after it, and `[alert id, incident id]` pairs.
    struct Journal: Codable {
        var incidents: [TriageIncident]
        var assignments: [[String]]
    }

    // MARK: Requests

    /// One `_bulk` request, refreshed; statuses other than 200/201 and those in `accepting` are an error.
    /// - Returns: How many documents were written (200/201).
    private func bulk(
        _ actions: [(action: [String: Any], document: [String: Any])],
        accepting: Set<Int>,
        what: String
    ) async throws -> (written: Int, accepted: Int) {
        guard !actions.isEmpty else { return (0, 0) }
        var body: [UInt8] = []
        for (action, document) in actions {
            body += Array(try JSONSerialization.data(withJSONObject: action, options: [.sortedKeys]))
            body.append(0x0A)
            body += Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
            body.append(0x0A)
        }
        let response = try await client.send("POST", "/_bulk?refresh=true", ndjson: body)
        let items = response.json["items"] as? [[String: Any]] ?? []
        guard items.count == actions.count else {
            throw EventStoreError(
                .writeFailed,
                "Elasticsearch answered \(items.count) bulk items for \(actions.count) triage \(what) documents"
            )
        }
        var written = 0
        var accepted = 0
        for item in items {
            let outcome = item.values.first as? [String: Any] ?? [:]
            let status = (outcome["status"] as? NSNumber)?.intValue ?? 0
            if status == 200 || status == 201 {
                written += 1
            } else if accepting.contains(status) {
                accepted += 1
            } else {
                let error = outcome["error"] as? [String: Any]
                throw EventStoreError(
                    .writeFailed,
                    "Elasticsearch refused a triage \(what) document (HTTP \(status)): "
                        + "\(error?["reason"] as? String ?? "no reason given")"
                )
            }
        }
        return (written, accepted)
    }

    /// Reads an incident, changes it with `transform` and writes it back only if nobody wrote it meanwhile (the
    /// document's sequence number and primary term), else reads it again: a person's change and triage's never
    /// undo each other. `transform` returning nil writes nothing.
    @discardableResult
    private func modifyIncident(
        _ id: String,
        refresh: Bool = true,
        _ transform: (TriageIncident?) throws -> TriageIncident?
    ) async throws -> TriageIncident? {
        let path = "/\(incidentsIndex)/_doc/\(ElasticsearchClient.pathComponent(Self.documentID(id)))"
        for _ in 0..<20 {
            let read = try await client.send("GET", path, accepting: [200, 404])
            let found = read.status == 200 && read.json["found"] as? Bool != false
            let stored = found ? (read.json["_source"] as? [String: Any]).flatMap(Self.decodeIncident) : nil
            guard let changed = try transform(stored) else { return nil }
            var query = refresh ? "refresh=true" : "refresh=false"
            if found, let sequence = read.json["_seq_no"] as? NSNumber,
                let term = read.json["_primary_term"] as? NSNumber
            {
                query += "&if_seq_no=\(sequence.int64Value)&if_primary_term=\(term.int64Value)"
            } else {
                query += "&op_type=create"
            }
            let written = try await client.send(
                "PUT",
                path + "?" + query,
                json: try Self.document(changed),
                accepting: [200, 201, 409]
            )
            if written.status != 409 { return changed }
        }
        throw EventStoreError(.writeFailed, "incident \(id) kept changing under concurrent writers; try again")
    }

    /// A document's `_source`, or nil when there is none.
    private func document(_ index: String, id: String) async throws -> [String: Any]? {
        let response = try await client.send(
            "GET",
            "/\(index)/_doc/\(ElasticsearchClient.pathComponent(id))",
            accepting: [200, 404]
        )
        guard response.status == 200, response.json["found"] as? Bool != false else { return nil }
        return response.json["_source"] as? [String: Any]
    }

    /// The `_source` of the hits in `sort` order, at most `limit`, page by page with `search_after` (the sort must
    /// end with a unique field).
    private func search(
        _ index: String,
        query: [String: Any],
        sort: [[String: Any]],
        limit: Int = .max
    ) async throws -> [[String: Any]] {
        var found: [[String: Any]] = []
        var after: [Any]?
        while found.count < limit {
            let size = min(Self.pageSize, limit - found.count)
            var body: [String: Any] = ["query": query, "sort": sort, "size": size]
            if let after { body["search_after"] = after }
            let response = try await client.send("POST", "/\(index)/_search", json: body)
            try ElasticsearchEventStore.checkShards(response.json)
            let hits = (response.json["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
            found += hits.compactMap { $0["_source"] as? [String: Any] }
            guard hits.count == size, let last = hits.last?["sort"] as? [Any] else { break }
            after = last
        }
        return found
    }

    // MARK: Documents

    private static func incidentOrder(newestFirst: Bool) -> [[String: Any]] {
        [["last_us": newestFirst ? "desc" : "asc"], ["id": "asc"]]
    }

    static func document(_ incident: TriageIncident) throws -> [String: Any] {
        var document: [String: Any] = [
            "id": incident.id, "status": incident.status.rawValue,
            "first_us": incident.firstSeen.microsecondsSinceEpoch, "last_us": incident.lastSeen.microsecondsSinceEpoch,
            "pending": incident.needsInvestigation, "hosts_lc": incident.hosts.map { $0.lowercased() },
            "body": try encode(incident),
        ]
        if let severity = incident.severity { document["severity"] = severity.rawValue }
        return document
    }

    private static func decodeIncident(_ source: [String: Any]) -> TriageIncident? {
        (source["body"] as? String).flatMap { try? JSONDecoder().decode(TriageIncident.self, from: Data($0.utf8)) }
    }

    private static func decodeAlert(_ source: [String: Any]) -> Alert? {
        (source["body"] as? String).flatMap { try? JSONDecoder().decode(Alert.self, from: Data($0.utf8)) }
    }

    private static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Severity as a number that sorts (LOW 0 … CRITICAL 3).
    private static func rank(_ severity: Severity) -> Int { Severity.allCases.firstIndex(of: severity) ?? 0 }

    /// An id as a document `_id`: itself, or its digest when longer than the 512 bytes `_id` allows.
    static func documentID(_ id: String) -> String {
        id.utf8.count <= 512 ? id : EventIdentifier(record: id).hex
    }

    /// A cursor's document: named by the digest of its name (a path may be long and hold any character).
    private static func cursorID(_ name: String) -> String { "cursor-" + EventIdentifier(record: name).hex }
}

extension ElasticsearchEventStore {
    /// Triage's state in this cluster's `socagent-triage-*` indices.
    public func triageLedger() -> ElasticsearchTriageLedger {
        ElasticsearchTriageLedger(client: client)
    }
}
