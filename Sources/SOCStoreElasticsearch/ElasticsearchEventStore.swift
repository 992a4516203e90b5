import Foundation
public import SOCHTTP
public import SOCModel
import SOCParsers
public import SOCStore
import Synchronization

/// The ``EventStore`` over an Elasticsearch or OpenSearch cluster's REST API.
///
/// Reads search the Beats index patterns (`winlogbeat-*`, `filebeat-*`, `packetbeat-*` by default); writes go with
/// `_bulk` `create` actions into daily indices named for the event's source (`winlogbeat-2024.02.04`), so an event
/// already stored is a 409 counted as a duplicate, and every other refused document is counted and reported.
/// Aggregations run in the cluster: brute force is a `terms` aggregation on `source.ip` with distinct users, first
/// and last seen as sub-aggregations. Long result walks use a point in time with `search_after`, in the dialect the
/// cluster speaks (Elasticsearch `_pit` or OpenSearch `_search/point_in_time`).
public final class ElasticsearchEventStore: EventStore {
    let client: ElasticsearchClient
    /// Which point-in-time API the cluster speaks, read from `GET /`.
    let dialect: ElasticsearchClient.Dialect
    private let bulkLoad = Mutex(false)
    private let templateInstalled = Mutex(false)
    private let detectionsIndexCreated = Mutex(false)

    /// Connects: reads `GET /` to learn the dialect (and fail early on a bad URL or credentials).
    /// - Parameter transport: Replaces the HTTP transport (tests use a faulty stub).
    public init(configuration: ElasticsearchConfiguration, transport: (any HTTPTransport)? = nil) async throws {
        client = try ElasticsearchClient(configuration: configuration, transport: transport)
        dialect = try await client.dialect()
    }

    /// The comma-separated index patterns searched for events; when one of them would take in socagent's own
    /// indices (`*`, `socagent-*`: detections, triage state), they are excluded, so they are never read as events.
    private var patterns: String {
        let patterns = client.configuration.indexPatterns
        let coversOwn = patterns.contains {
            Wildcard.matches($0, Self.detectionsIndex)
                || Wildcard.matches($0, ElasticsearchTriageLedger.indexPrefix + "-alerts")
        }
        return (patterns + (coversOwn ? ["-socagent-*"] : [])).joined(separator: ",")
    }

    /// Search options that make a pattern with no index yet an empty answer rather than a 404.
    private static let lenient = "ignore_unavailable=true&allow_no_indices=true"

    // MARK: Writing

    public func beginBulkLoad() async throws { bulkLoad.withLock { $0 = true } }

    public func finishBulkLoad() async throws {
        bulkLoad.withLock { $0 = false }
        try await refresh()
    }

    private func refresh() async throws {
        _ = try await client.send("POST", "/\(patterns)/_refresh?\(Self.lenient)")
    }

    public func append(_ events: [SecurityEvent]) async throws -> AppendResult {
        guard !events.isEmpty else { return AppendResult() }
        try await installTemplate()
        var result = AppendResult()
        let batch = max(1, client.configuration.bulkBatchSize)
        var start = 0
        while start < events.count {
            let slice = events[start..<min(events.count, start + batch)]
            result += try await bulk(slice)
            start += batch
        }
        if !bulkLoad.withLock({ $0 }) { try await refresh() }
        return result
    }

    /// One `_bulk` request: `create` actions, so a stored event is a 409 duplicate, never overwritten.
    private func bulk(_ events: ArraySlice<SecurityEvent>) async throws -> AppendResult {
        var body: [UInt8] = []
        body.reserveCapacity(events.count * 1024)
        for event in events {
            let action = #"{"create":{"_index":"\#(Self.indexName(for: event))","_id":"\#(event.id.hex)"}}"#
            body += action.utf8
            body.append(0x0A)
            body += Self.document(event).utf8
            body.append(0x0A)
        }
        let response = try await client.send("POST", "/_bulk", ndjson: body)
        var result = AppendResult()
        let items = response.json["items"] as? [[String: Any]] ?? []
        guard items.count == events.count else {
            throw EventStoreError(
                .writeFailed,
                "Elasticsearch answered \(items.count) bulk items for \(events.count) documents"
            )
        }
        for item in items {
            let outcome = (item["create"] ?? item.values.first) as? [String: Any] ?? [:]
            let status = (outcome["status"] as? NSNumber)?.intValue ?? 0
            switch status {
            case 200, 201: result.inserted += 1
            case 409: result.duplicates += 1
            default:
                result.failed += 1
                if result.failures.count < AppendResult.maximumFailureReasons {
                    let error = outcome["error"] as? [String: Any]
                    let reason = [error?["type"] as? String, error?["reason"] as? String].compactMap { $0 }.joined(
                        separator: ": "
                    )
                    result.failures.append("event \(outcome["_id"] as? String ?? "?"): HTTP \(status) \(reason)")
                }
            }
        }
        return result
    }

    /// The daily index for an event, named for the Beat that would have shipped it: Windows event logs to
    /// `winlogbeat-`, network flows to `packetbeat-`, everything else to `filebeat-`; the day is the event's (UTC).
    static func indexName(for event: SecurityEvent) -> String {
        let beat: String
        if event[ECSField.winlogChannel] != nil || event[ECSField.winlogEventID] != nil {
            beat = "winlogbeat"
        } else if event.categories.first == "network", event.string(ECSField.sourceFormat) == "sentinel" {
            beat = "packetbeat"
        } else {
            beat = "filebeat"
        }
        let day = (event.timestamp ?? Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)).components
        return String(format: "%@-%04d.%02d.%02d", beat, day.year, day.month, day.day)
    }

    /// The stored document: the event's ECS fields (dotted keys), `@timestamp`, `event.original`, and `socagent.id`
    /// (a sortable copy of `_id`, which Elasticsearch 8 does not sort on).
    static func document(_ event: SecurityEvent) -> String {
        var copy = event
        copy[Self.idField] = .string(event.id.hex)
        if let timestamp = event.timestamp { copy[Self.microsecondsField] = .integer(timestamp.microsecondsSinceEpoch) }
        return copy.document(includeOriginal: true)
    }

    /// The field holding the event id in documents socagent writes.
    static let idField = "socagent.id"
    /// The field holding `@timestamp` in microseconds (Elasticsearch dates keep milliseconds).
    static let microsecondsField = "socagent.timestamp_us"

    /// Installs (once, if absent) an index template with ECS types for the patterns: keywords for strings, `ip`
    /// for addresses, `date` for `@timestamp`, `text` for `message`. Its priority is low so the Beats' own
    /// templates win where they exist.
    private func installTemplate() async throws {
        guard !templateInstalled.withLock({ $0 }) else { return }
        let existing = try await client.send("GET", "/_index_template/socagent-ecs", accepting: [200, 404])
        if existing.status == 404 {
            var properties: [String: Any] = [
                "@timestamp": ["type": "date"], "message": ["type": "text"], Self.idField: ["type": "keyword"],
                ECSField.eventOriginal: ["type": "keyword", "index": false, "doc_values": false],
            ]
            for field in [ECSField.sourceIP, ECSField.destinationIP, ECSField.hostIP] {
                properties[field] = ["type": "ip"]
            }
            for field in [
                ECSField.sourcePort, ECSField.destinationPort, ECSField.processPID, InvestigationRules.repeatCountField,
                Self.microsecondsField,
            ] {
                properties[field] = ["type": "long"]
            }
            let template: [String: Any] = [
                "index_patterns": client.configuration.indexPatterns,
                "priority": 1,
                "template": [
                    "mappings": [
                        "dynamic_templates": [
                            [
                                "strings": [
                                    "match_mapping_type": "string",
                                    "mapping": ["type": "keyword", "ignore_above": 32766],
                                ]
                            ]
                        ],
                        "properties": properties,
                    ] as [String: Any]
                ],
            ]
            _ = try await client.send("PUT", "/_index_template/socagent-ecs", json: template)
        }
        templateInstalled.withLock { $0 = true }
    }

    // MARK: Reading

    public func count() async throws -> Int {
        let response = try await client.send(
            "POST",
            "/\(patterns)/_count?\(Self.lenient)",
            json: ["query": ["match_all": [:]]]
        )
        return (response.json["count"] as? NSNumber)?.intValue ?? 0
    }

    public func failedLogins(_ filter: EventFilter) async throws -> [EventSummary] {
        try await events(QueryDSL.failedLogin, filter: filter).map(EventSummary.init)
    }

    public func networkConnections(_ filter: EventFilter, includePrivate: Bool) async throws -> [EventSummary] {
        try await events(QueryDSL.connection(includePrivate: includePrivate), filter: filter).map(EventSummary.init)
    }

    public func suspiciousProcesses(_ filter: EventFilter) async throws -> [ProcessFinding] {
        // The rules' images and command-line words narrow the candidates in the cluster; the rules decide here.
        var findings: [ProcessFinding] = []
        try await walk(QueryDSL.processCandidates, filter: filter) { event in
            let matches = InvestigationRules.suspiciousMatches(event)
            if !matches.isEmpty { findings.append(ProcessFinding(event: EventSummary(event), matches: matches)) }
            return findings.count < filter.limit
        }
        return findings
    }

    public func bruteForce(_ filter: EventFilter, minimumFailures: Int) async throws -> [BruteForceSource] {
        // A plain sum (osmem has no scripts): socagent's parsers only store counts in ECSField.repeatCountRange; a
        // foreign document's out-of-range count is summed as it is, and the total is read without a trapping
        // conversion.
        let failures: [String: Any] = ["sum": ["field": InvestigationRules.repeatCountField, "missing": 1]]
        let body: [String: Any] = [
            "size": 0,
            "query": QueryDSL.bool(
                filter: QueryDSL.filter(filter) + [QueryDSL.failedLogin, ["exists": ["field": ECSField.sourceIP]]]
            ),
            "aggs": [
                "sources": [
                    "terms": [
                        // More buckets than asked: ties are broken below by the address's text, as the embedded
                        // store does, while the cluster orders addresses numerically.
                        "field": ECSField.sourceIP, "size": min(10_000, max(1, filter.limit) * 4 + 50),
                        "shard_size": min(10_000, max(100, filter.limit * 10)),
                        "order": [["failures": "desc"], ["_key": "asc"]],
                    ] as [String: Any],
                    "aggs": [
                        "failures": failures,
                        "users": ["cardinality": ["field": ECSField.userName, "precision_threshold": 40000]],
                        "first": ["min": ["field": "@timestamp"]], "last": ["max": ["field": "@timestamp"]],
                        "first_us": ["min": ["field": Self.microsecondsField]],
                        "last_us": ["max": ["field": Self.microsecondsField]],
                        "top_users": [
                            "terms": [
                                "field": ECSField.userName, "size": 10,
                                "order": [["failures": "desc"], ["_key": "asc"]],
                            ] as [String: Any],
                            "aggs": ["failures": failures],
                        ] as [String: Any],
                    ] as [String: Any],
                ] as [String: Any]
            ],
        ]
        let response = try await client.send("POST", "/\(patterns)/_search?\(Self.lenient)", json: body)
        try Self.checkShards(response.json)
        let buckets =
            ((response.json["aggregations"] as? [String: Any])?["sources"] as? [String: Any])?["buckets"]
            as? [[String: Any]] ?? []
        var sources: [(source: BruteForceSource, first: Timestamp?)] = []
        for bucket in buckets {
            let count = Self.number(bucket["failures"]).map { Self.count($0) } ?? 0
            guard count >= minimumFailures, let ip = bucket["key"] as? String else { continue }
            let userBuckets = (bucket["top_users"] as? [String: Any])?["buckets"] as? [[String: Any]] ?? []
            let first = Self.time(bucket, micros: "first_us", millis: "first")
            let last = Self.time(bucket, micros: "last_us", millis: "last")
            let source = BruteForceSource(
                sourceIP: ip,
                failures: count,
                users: Self.number(bucket["users"]).map { Self.count($0) } ?? 0,
                userNames: userBuckets.compactMap { $0["key"] as? String },
                firstSeen: first?.iso8601,
                lastSeen: last?.iso8601,
                successes: 0
            )
            sources.append((source, first))
        }
        sources.sort {
            $0.source.failures != $1.source.failures
                ? $0.source.failures > $1.source.failures : $0.source.sourceIP < $1.source.sourceIP
        }
        let top = Array(sources.prefix(filter.limit))
        let successes = try await successes(top.map { ($0.source.sourceIP, $0.first) }, filter: filter)
        return top.enumerated().map { index, entry in
            var source = entry.source
            source.successes = successes[index]
            return source
        }
    }

    /// For each address, the successful logons from it at or after its first failure (the user and address filters
    /// do not apply): one request, a `filters` aggregation with a bucket per address.
    private func successes(_ sources: [(ip: String, since: Timestamp?)], filter: EventFilter) async throws -> [Int] {
        guard !sources.isEmpty else { return [] }
        var successFilter = filter
        successFilter.user = nil
        successFilter.sourceIP = nil
        var buckets: [String: Any] = [:]
        for (index, source) in sources.enumerated() {
            var clauses: [[String: Any]] = [["term": [ECSField.sourceIP: source.ip]]]
            if let since = source.since {
                // The microsecond copy where socagent wrote it, else Elasticsearch's millisecond date.
                clauses.append([
                    "bool": [
                        "should": [
                            ["range": [Self.microsecondsField: ["gte": since.microsecondsSinceEpoch]]],
                            QueryDSL.bool(
                                filter: [["range": ["@timestamp": ["gte": since.iso8601]]]],
                                mustNot: [["exists": ["field": Self.microsecondsField]]]
                            ),
                        ],
                        "minimum_should_match": 1,
                    ] as [String: Any]
                ])
            }
            buckets["s\(index)"] = QueryDSL.bool(filter: clauses)
        }
        let body: [String: Any] = [
            "size": 0,
            "query": QueryDSL.bool(filter: QueryDSL.filter(successFilter) + [QueryDSL.successfulLogon]),
            "aggs": ["sources": ["filters": ["filters": buckets]]],
        ]
        let response = try await client.send("POST", "/\(patterns)/_search?\(Self.lenient)", json: body)
        try Self.checkShards(response.json)
        let counts =
            ((response.json["aggregations"] as? [String: Any])?["sources"] as? [String: Any])?["buckets"]
            as? [String: Any] ?? [:]
        return sources.indices.map { ((counts["s\($0)"] as? [String: Any])?["doc_count"] as? NSNumber)?.intValue ?? 0 }
    }

    public func search(_ query: LuceneQuery, filter: EventFilter, now: Timestamp) async throws -> SearchResult {
        // The query was parsed (so validated) by our parser; the cluster gets it back in canonical Lucene syntax.
        let queryString: [String: Any] = [
            "query_string": ["query": query.description, "default_operator": "OR", "analyze_wildcard": true]
                as [String: Any]
        ]
        let body: [String: Any] = [
            "query": QueryDSL.bool(filter: QueryDSL.filter(filter), must: [queryString]),
            "size": max(0, filter.limit), "track_total_hits": true, "sort": QueryDSL.newestFirst,
        ]
        let response = try await client.send("POST", "/\(patterns)/_search?\(Self.lenient)", json: body)
        try Self.checkShards(response.json)
        let hits = response.json["hits"] as? [String: Any] ?? [:]
        let total =
            ((hits["total"] as? [String: Any])?["value"] as? NSNumber)?.intValue ?? (hits["total"] as? NSNumber)?
            .intValue ?? 0
        return SearchResult(total: total, events: (hits["hits"] as? [[String: Any]] ?? []).compactMap(Self.event))
    }

    public func statistics(top: Int) async throws -> StoreStatistics {
        func terms(_ field: String) -> [String: Any] { ["terms": ["field": field, "size": top]] }
        var requested: [String: Any] = [
            "first": ["min": ["field": "@timestamp"]], "last": ["max": ["field": "@timestamp"]],
            "first_us": ["min": ["field": Self.microsecondsField]],
            "last_us": ["max": ["field": Self.microsecondsField]],
        ]
        if top > 0 {
            requested.merge([
                "formats": terms(ECSField.sourceFormat), "categories": terms(ECSField.eventCategory),
                "codes": terms(ECSField.eventCode), "hosts": terms(ECSField.hostName),
                "failed": [
                    "filter": QueryDSL.failedLogin,
                    "aggs": ["sources": terms(ECSField.sourceIP), "users": terms(ECSField.userName)],
                ] as [String: Any],
            ]) { _, new in new }
        }
        let body: [String: Any] = ["size": 0, "track_total_hits": true, "aggs": requested]
        let response = try await client.send("POST", "/\(patterns)/_search?\(Self.lenient)", json: body)
        try Self.checkShards(response.json)
        let aggregations = response.json["aggregations"] as? [String: Any] ?? [:]
        func counts(_ aggregation: Any?) -> [StoreStatistics.Count] {
            ((aggregation as? [String: Any])?["buckets"] as? [[String: Any]] ?? []).compactMap { bucket in
                guard let count = (bucket["doc_count"] as? NSNumber)?.intValue else { return nil }
                let key = bucket["key_as_string"] as? String ?? bucket["key"].map { "\($0)" } ?? ""
                return StoreStatistics.Count(value: key, count: count)
            }
        }
        func time(_ name: String) -> String? { Self.time(aggregations, micros: name + "_us", millis: name)?.iso8601 }
        let hits = response.json["hits"] as? [String: Any] ?? [:]
        let failed = aggregations["failed"] as? [String: Any] ?? [:]
        return StoreStatistics(
            events: ((hits["total"] as? [String: Any])?["value"] as? NSNumber)?.intValue ?? 0,
            firstSeen: time("first"),
            lastSeen: time("last"),
            formats: counts(aggregations["formats"]),
            categories: counts(aggregations["categories"]),
            eventCodes: counts(aggregations["codes"]),
            hosts: counts(aggregations["hosts"]),
            failedLoginSources: counts(failed["sources"]),
            failedLoginUsers: counts(failed["users"])
        )
    }

    // MARK: Helpers

    /// The newest `filter.limit` events matching `condition` and the filter.
    private func events(_ condition: [String: Any], filter: EventFilter) async throws -> [SecurityEvent] {
        let body: [String: Any] = [
            "query": QueryDSL.bool(filter: QueryDSL.filter(filter) + [condition]), "size": max(0, filter.limit),
            "sort": QueryDSL.newestFirst,
        ]
        let response = try await client.send("POST", "/\(patterns)/_search?\(Self.lenient)", json: body)
        try Self.checkShards(response.json)
        let hits = (response.json["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
        return hits.compactMap(Self.event)
    }

    // MARK: Sigma detections

    /// The index Sigma detections are kept in, one document per rule and event.
    static let detectionsIndex = "socagent-detections"

    /// A cluster keeps detections in ``detectionsIndex``.
    public var keepsDetections: Bool { true }

    /// Indexes detections (`_id` rule and event, so the same rule on the same event replaces the earlier one); the
    /// matched fields are kept as one JSON string, not mapped, so hostile field names cannot grow the mapping.
    public func saveDetections(_ detections: [StoredDetection]) async throws {
        guard !detections.isEmpty else { return }
        try await createDetectionsIndex()
        var start = 0
        while start < detections.count {
            let slice = detections[start..<min(detections.count, start + max(1, client.configuration.bulkBatchSize))]
            var body: [UInt8] = []
            for detection in slice {
                // A rule without an id is named by its path, which may exceed the 512-byte limit of `_id`: then a hash.
                var id = detection.ruleID + ":" + detection.eventID
                if id.utf8.count > 512 { id = EventIdentifier(record: id).hex }
                let action = ["index": ["_index": Self.detectionsIndex, "_id": id]]
                body += Array(try JSONSerialization.data(withJSONObject: action, options: [.sortedKeys]))
                body.append(0x0A)
                var document: [String: Any] = [
                    "rule_id": detection.ruleID, "title": detection.title, "level": detection.level.rawValue,
                    "techniques": detection.techniques,
                    "event_id": detection.eventID, "fields": detection.fieldsJSON,
                ]
                if let host = detection.host { document["host"] = ["name": host] }
                if let time = detection.instant {
                    document["@timestamp"] = time.iso8601
                    document["socagent"] = ["timestamp_us": time.microsecondsSinceEpoch]
                }
                body += Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]))
                body.append(0x0A)
            }
            let response = try await client.send("POST", "/_bulk", ndjson: body)
            let items = response.json["items"] as? [[String: Any]] ?? []
            for item in items {
                let outcome = (item["index"] ?? item.values.first) as? [String: Any] ?? [:]
                let status = (outcome["status"] as? NSNumber)?.intValue ?? 0
                guard status == 200 || status == 201 else {
                    let error = outcome["error"] as? [String: Any]
                    throw EventStoreError(
                        .writeFailed,
                        "Elasticsearch refused a detection (HTTP \(status)): \(error?["reason"] as? String ?? "no reason given")"
                    )
                }
            }
            start += slice.count
        }
        _ = try await client.send("POST", "/\(Self.detectionsIndex)/_refresh")
    }

    /// Saved detections in the filter's window and on its host (any case), newest first; none before any was saved.
    public func detections(_ filter: EventFilter, minimumLevel: SigmaLevel) async throws -> [StoredDetection] {
        var clauses: [[String: Any]] = []
        if minimumLevel > .informational {
            // As SigmaLevel(lenient:) reads levels: an unknown one is medium.
            var accepted: [[String: Any]] = [QueryDSL.terms("level", minimumLevel.andAbove.map(\.rawValue))]
            if minimumLevel <= .medium {
                accepted.append(
                    QueryDSL.bool(filter: [], mustNot: [QueryDSL.terms("level", SigmaLevel.allCases.map(\.rawValue))])
                )
            }
            clauses.append(["bool": ["should": accepted, "minimum_should_match": 1] as [String: Any]])
        }
        if let range = filter.timeRange, range.start != nil || range.end != nil {
            var bounds: [String: Any] = [:]
            if let start = range.start { bounds["gte"] = start.microsecondsSinceEpoch }
            if let end = range.end { bounds["lt"] = end.microsecondsSinceEpoch }
            clauses.append(["range": [Self.microsecondsField: bounds]])
        }
        if let host = filter.host { clauses.append(QueryDSL.hostClause(host)) }
        let body: [String: Any] = [
            "query": QueryDSL.bool(filter: clauses), "size": min(max(0, filter.limit), 10_000),
            "sort": [
                [Self.microsecondsField: ["order": "desc", "unmapped_type": "long"]],
                ["rule_id": ["order": "asc", "unmapped_type": "keyword"]],
            ],
        ]
        let response = try await client.send("POST", "/\(Self.detectionsIndex)/_search?\(Self.lenient)", json: body)
        try Self.checkShards(response.json)
        let hits = (response.json["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
        return hits.compactMap { hit in
            guard let source = hit["_source"] as? [String: Any], let ruleID = source["rule_id"] as? String,
                let eventID = source["event_id"] as? String
            else {
                return nil
            }
            let fields =
                (source["fields"] as? String).flatMap {
                    try? JSONDecoder().decode([String: String].self, from: Data($0.utf8))
                } ?? [:]
            let micros = ((source["socagent"] as? [String: Any])?["timestamp_us"] as? NSNumber)?.int64Value
            return StoredDetection(
                ruleID: ruleID,
                title: source["title"] as? String ?? "",
                level: SigmaLevel(lenient: source["level"] as? String),
                techniques: source["techniques"] as? [String] ?? [],
                eventID: eventID,
                timestamp: micros.map { Timestamp(microsecondsSinceEpoch: $0).iso8601 },
                host: (source["host"] as? [String: Any])?["name"] as? String,
                fields: fields
            )
        }
    }

    /// Creates ``detectionsIndex`` with its mapping, once; an index that exists already is kept.
    private func createDetectionsIndex() async throws {
        guard !detectionsIndexCreated.withLock({ $0 }) else { return }
        let keyword: [String: Any] = ["type": "keyword"]
        try await client.createIndex(
            Self.detectionsIndex,
            properties: [
                "rule_id": keyword, "title": keyword, "level": keyword, "techniques": keyword, "event_id": keyword,
                "@timestamp": ["type": "date"], "socagent": ["properties": ["timestamp_us": ["type": "long"]]],
                "host": ["properties": ["name": keyword]],
                "fields": ["type": "keyword", "index": false, "doc_values": false],
            ]
        )
        detectionsIndexCreated.withLock { $0 = true }
    }

    /// Every event passing `filter` (oldest first), a page at a time under a point in time: what a hunt over a
    /// cluster reads. `filter.limit` does not apply.
    public func forEachEvent(
        _ filter: EventFilter,
        pageSize: Int = 2000,
        _ body: ([SecurityEvent]) async throws -> Void
    ) async throws {
        try await forEachPage(nil, filter: filter, pageSize: pageSize, oldestFirst: true) { page in
            try await body(page)
            return true
        }
    }

    /// Visits every event matching `condition`, newest first, until `visit` returns false.
    func walk(
        _ condition: [String: Any],
        filter: EventFilter,
        pageSize: Int = 500,
        visit: (SecurityEvent) -> Bool
    ) async throws {
        try await forEachPage(condition, filter: filter, pageSize: pageSize, oldestFirst: false) { page in
            for event in page where !visit(event) { return false }
            return true
        }
    }

    /// Pages of events matching `condition` (all when `nil`) and the filter, under a point in time with
    /// `search_after`, until `body` returns false. The point in time is closed whatever happens.
    private func forEachPage(
        _ condition: [String: Any]?,
        filter: EventFilter,
        pageSize: Int,
        oldestFirst: Bool,
        _ body: ([SecurityEvent]) async throws -> Bool
    ) async throws {
        let pit: String
        do {
            pit = try await openPointInTime()
        } catch {
            // No index matches yet (a new cluster): some servers refuse a point in time over nothing; nothing to walk.
            if (try? await count()) == 0 { return }
            throw error
        }
        do {
            var after: [Any]?
            let clauses = QueryDSL.filter(filter) + (condition.map { [$0] } ?? [])
            let sort = oldestFirst ? QueryDSL.oldestFirst : QueryDSL.newestFirst
            while true {
                var request: [String: Any] = [
                    "query": QueryDSL.bool(filter: clauses), "size": pageSize, "sort": sort,
                    "pit": ["id": pit, "keep_alive": "1m"],
                ]
                if let after { request["search_after"] = after }
                let response = try await client.send("POST", "/_search", json: request)
                try Self.checkShards(response.json)
                let hits = (response.json["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
                let page = hits.compactMap(Self.event)
                if !page.isEmpty, try await !body(page) { break }
                guard hits.count == pageSize, let sortValues = hits.last?["sort"] as? [Any] else { break }
                after = sortValues
            }
        } catch {
            try? await closePointInTime(pit)
            throw error
        }
        try await closePointInTime(pit)
    }

    private func openPointInTime() async throws -> String {
        let path =
            switch dialect {
            case .elasticsearch: "/\(patterns)/_pit?keep_alive=1m&\(Self.lenient)"
            case .openSearch: "/\(patterns)/_search/point_in_time?keep_alive=1m&\(Self.lenient)"
            }
        let response = try await client.send("POST", path)
        guard let id = (response.json["id"] ?? response.json["pit_id"]) as? String else {
            throw EventStoreError(.readFailed, "Elasticsearch opened no point in time")
        }
        return id
    }

    private func closePointInTime(_ id: String) async throws {
        switch dialect {
        case .elasticsearch: _ = try await client.send("DELETE", "/_pit", json: ["id": id], accepting: [200, 404])
        case .openSearch:
            _ = try await client.send(
                "DELETE",
                "/_search/point_in_time",
                json: ["pit_id": [id]],
                accepting: [200, 404]
            )
        }
    }

    /// A partial answer (some shards failed) is an error, not a smaller result.
    static func checkShards(_ json: [String: Any]) throws {
        guard let shards = json["_shards"] as? [String: Any], let failed = (shards["failed"] as? NSNumber)?.intValue,
            failed > 0
        else { return }
        let failure = (shards["failures"] as? [[String: Any]])?.first
        let reason = ((failure?["reason"] as? [String: Any])?["reason"] as? String) ?? "unknown reason"
        throw EventStoreError(.readFailed, "\(failed) shard(s) failed: \(reason)")
    }

    /// An instant from a `min`/`max` pair: the microsecond field socagent writes when there is one, else the
    /// millisecond `@timestamp` of documents from elsewhere.
    static func time(_ aggregations: [String: Any], micros: String, millis: String) -> Timestamp? {
        if let value = number(aggregations[micros]), value.isFinite, abs(value) < 9e15 {
            return Timestamp(microsecondsSinceEpoch: Int64(value))
        }
        return number(aggregations[millis]).flatMap {
            $0.isFinite && abs($0) < 9e12 ? Timestamp(microsecondsSinceEpoch: Int64($0 * 1000)) : nil
        }
    }

    /// A count from an aggregation's double: NaN and negative values are 0, and a huge one is capped (never a trap).
    static func count(_ value: Double) -> Int {
        guard value.isFinite, value > 0 else { return 0 }
        return value >= Double(Int.max / 2) ? Int.max / 2 : Int(value)
    }

    /// A metric aggregation's value (Elasticsearch writes them as doubles, sometimes in exponent form).
    static func number(_ aggregation: Any?) -> Double? {
        ((aggregation as? [String: Any])?["value"] as? NSNumber)?.doubleValue
    }

    /// The event a hit holds, its id from `_id`: socagent's own documents are read back as stored; documents
    /// shipped by Beats (any version, with or without the ingest pipeline) go through the ECS parser, which
    /// normalizes `winlog.*` and the older `event_data.*` the way ingest does.
    static func event(_ hit: [String: Any]) -> SecurityEvent? {
        guard let source = hit["_source"] as? [String: Any],
            let data = try? JSONSerialization.data(withJSONObject: source), let id = hit["_id"] as? String
        else { return nil }
        let identifier = EventIdentifier(hex: id) ?? EventIdentifier(record: id)
        let ours = source[idField] != nil || (source["socagent"] as? [String: Any])?["id"] != nil
        if !ours {
            var parser = JSONEventParser(format: .ecs)
            var context = ParseContext(
                options: .init(referenceTime: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)),
                path: nil
            )
            var events: [SecurityEvent] = []
            let parsed: Void? = try? Array(data).withUnsafeBytes { bytes in
                try parser.parse(bytes, line: 1, context: &context, into: &events)
            }
            if parsed != nil, var event = events.first {
                event.id = identifier
                return event
            }
        }
        var event = SecurityEvent(id: identifier, original: "")
        event.timestamp = StoredDocument.read(utf8: Array(data), into: &event).flatMap { TimestampParser.parse($0) }
        event.original = event.string(ECSField.eventOriginal) ?? ""
        event[ECSField.eventOriginal] = nil
        event[idField] = nil
        event[microsecondsField] = nil
        return event
    }
}

extension ElasticsearchEventStore: SecurityAlertSource {
    /// Elastic Security's alert indices: 8.x `.alerts-security.alerts-<space>` and 7.x `.siem-signals-<space>`.
    static let securityAlertIndices = ".alerts-security.alerts-*,.siem-signals-*"

    public func securityAlerts(since: Timestamp?, offset: Int, limit: Int) async throws -> [SecurityEvent] {
        var query: [String: Any] = ["match_all": [String: Any]()]
        if let since {
            query = ["range": ["@timestamp": ["gte": since.iso8601, "format": "strict_date_optional_time"]]]
        }
        let body: [String: Any] = [
            "query": query, "size": max(1, min(limit, 10_000)), "from": max(0, offset),
            "sort": [["@timestamp": ["order": "asc", "unmapped_type": "date"]]],
        ]
        let response = try await client.send(
            "POST",
            "/\(Self.securityAlertIndices)/_search?ignore_unavailable=true&allow_no_indices=true",
            json: body
        )
        try Self.checkShards(response.json)
        let hits = (response.json["hits"] as? [String: Any])?["hits"] as? [[String: Any]] ?? []
        return hits.compactMap(Self.event)
    }
}
