import Foundation
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreElasticsearch
import SOCStoreSQLite
import SOCTestSupport
import Testing

/// The same ../shared/data samples in the embedded SQLite store and in a cluster (osmem-server, started by
/// `.ci/run`) give the same answers to every investigation query and to a set of Lucene queries.
@Suite(
    .enabled(
        if: TestCluster.url != nil && SharedFiles.data != nil,
        "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run) and ../shared/data"
    )
)
struct ElasticsearchParityTests {
    static let samples = [
        "loghub/OpenSSH_2k_first500.log", "deepbluecli-evtx/jsonl/password-spray.jsonl",
        "evtx-attack-samples/jsonl/Credential Access/kerberos_pwd_spray_4771.jsonl",
        "deepbluecli-evtx/jsonl/Powershell-Invoke-Obfuscation-many.jsonl",
        "deepbluecli-evtx/jsonl/powersploit-security.jsonl",
        "azure-sentinel-samples/msticpy-testdata/jsonl/az_net_flows.jsonl",
        "deepbluecli-evtx/jsonl/metasploit-sysmon.jsonl",
    ]

    static let queries = [
        "event.code:4625", "event.outcome:failure AND user.name:admin*",
        "event.category:authentication AND NOT event.outcome:success",
        "source.ip:\"103.99.0.122\"", "process.name:powershell.exe OR process.name:cmd.exe", "_exists_:destination.ip",
        "destination.port:>=443", "host.name:LabSZ AND event.action:ssh_login",
        "user.name:(root OR admin OR administrator)",
        "@timestamp:[2019-01-01 TO 2020-01-01}", "event.code:(4648 OR 4771) AND NOT user.name:*$",
    ]

    /// Sigma detections saved in a cluster read back as from the embedded store: window (to the microsecond), host in
    /// any case, newest first, at most the limit; saving again replaces; hostile field names stay data.
    @Test func detectionsAreKeptAsTheEmbeddedStoreKeepsThem() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let elastic = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: cluster.url))
        let sqlite = try SQLiteEventStore(path: ":memory:")
        #expect(try await elastic.detections(EventFilter()).isEmpty)  // no index yet: none, not an error
        func detection(
            _ rule: String,
            _ level: SigmaLevel,
            _ host: String?,
            _ time: String,
            _ fields: [String: String] = [:]
        ) -> StoredDetection {
            StoredDetection(
                ruleID: rule,
                title: "Rule \(rule)",
                level: level,
                techniques: ["T1003.001", "T1059"],
                eventID: String(repeating: "ab", count: 16),
                timestamp: time,
                host: host,
                fields: fields
            )
        }
        let detections = [
            detection("r1", .high, "WS-1", "2024-02-04T10:15:23.000001Z", ["CommandLine": "procdump -ma lsass.exe"]),
            detection(
                "r2",
                .critical,
                "ws-1",
                "2024-02-04T10:15:23.000002Z",
                ["a.b": "dotted name", "x\"y": "quote", "": "empty"]
            ),
            detection("r3", .low, "WS-2", "2024-02-04T11:00:00Z"),
            detection("r4", .medium, nil, "2024-02-05T00:00:00Z"),
        ]
        for store in [elastic, sqlite] as [any EventStore] {
            try await store.saveDetections(detections)
            try await store.saveDetections([
                detection("r1", .high, "WS-1", "2024-02-04T10:15:23.000001Z", ["CommandLine": "replaced"])
            ])
        }
        let window = TimeRange(
            start: Timestamp(year: 2024, month: 2, day: 4, hour: 10, minute: 15, second: 23),
            end: Timestamp(year: 2024, month: 2, day: 4, hour: 11)
        )
        for (name, filter) in [
            ("all", EventFilter(limit: 100)), ("host", EventFilter(host: "WS-1", limit: 100)),
            ("window", EventFilter(timeRange: window, limit: 100)),
            ("limit", EventFilter(limit: 2)),
        ] {
            let fromCluster = try await elastic.detections(filter)
            let fromFile = try await sqlite.detections(filter)
            #expect(fromCluster == fromFile, "\(name)")
            #expect(!fromCluster.isEmpty, "\(name)")
            for level in SigmaLevel.allCases.dropFirst() {
                #expect(
                    try await elastic.detections(filter, minimumLevel: level)
                        == (try await sqlite.detections(filter, minimumLevel: level)),
                    "\(name), \(level)"
                )
            }
        }
        let all = try await elastic.detections(EventFilter(limit: 100))
        #expect(all.map(\.ruleID) == ["r4", "r3", "r2", "r1"])
        #expect(all.last?.fields == ["CommandLine": "replaced"])
        #expect(all.first { $0.ruleID == "r2" }?.fields["a.b"] == "dotted name")
        #expect(try await elastic.detections(EventFilter(host: "ws-1", limit: 100)).map(\.ruleID) == ["r2", "r1"])

        // Index patterns that would take in the detections index (`*`) still read only events.
        var event = SecurityEvent(
            id: EventIdentifier(record: "one event"),
            timestamp: Timestamp(year: 2024, month: 2, day: 4),
            original: "one event"
        )
        event[ECSField.eventCode] = .string("4625")
        _ = try await elastic.append([event])
        let everything = try await ElasticsearchEventStore(
            configuration: ElasticsearchConfiguration(url: cluster.url, indexPatterns: ["*"])
        )
        #expect(try await everything.count() == 1)
        #expect(
            try await everything.search(
                try LuceneParser.parse("*"),
                filter: EventFilter(limit: 10),
                now: Timestamp(year: 2026, month: 1, day: 1)!
            ).total == 1
        )
    }

    @Test func everyQueryAnswersAsTheEmbeddedStoreDoes() async throws {
        let cluster = try await TestCluster.fresh()
        defer { Task { await TestCluster.remove(cluster.id) } }
        let elastic = try await ElasticsearchEventStore(configuration: ElasticsearchConfiguration(url: cluster.url))
        let sqlite = try SQLiteEventStore(path: ":memory:")
        let options = ParseContext.Options(year: 2025, referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)
        try await elastic.beginBulkLoad()
        var appended = AppendResult()
        for sample in Self.samples {
            var reader = try EventFileReader(path: try #require(SharedFiles.data) + "/" + sample, options: options)
            while let batch = try reader.nextBatch() {
                _ = try await sqlite.append(batch)
                appended += try await elastic.append(batch)
            }
        }
        try await elastic.finishBulkLoad()
        #expect(appended.failed == 0, "\(appended.failures)")
        #expect(try await elastic.count() == (try await sqlite.count()))
        #expect(try await elastic.count() > 1_500)

        let filters: [(String, EventFilter)] = [
            ("all", EventFilter(limit: 5_000)),
            ("user root", EventFilter(user: "root", limit: 5_000)),
            ("host", EventFilter(host: "LabSZ", limit: 5_000)),
            ("CIDR", EventFilter(sourceIP: IPMatcher("103.99.0.0/16"), limit: 5_000)),
            (
                "window",
                EventFilter(
                    timeRange: TimeRange(
                        start: Timestamp(year: 2025, month: 12, day: 10, hour: 7),
                        end: Timestamp(year: 2025, month: 12, day: 10, hour: 8)
                    ),
                    limit: 5_000
                )
            ),
        ]
        for (name, filter) in filters {
            let failedES = try await elastic.failedLogins(filter)
            let failedSQL = try await sqlite.failedLogins(filter)
            #expect(failedES == failedSQL, "failed logins, \(name)")
            let bruteES = try await elastic.bruteForce(filter, minimumFailures: 1)
            let bruteSQL = try await sqlite.bruteForce(filter, minimumFailures: 1)
            #expect(
                bruteES == bruteSQL,
                "brute force, \(name): \(zip(bruteES, bruteSQL).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "counts \(bruteES.count) vs \(bruteSQL.count)")"
            )
            for includePrivate in [false, true] {
                #expect(
                    try await elastic.networkConnections(filter, includePrivate: includePrivate)
                        == (try await sqlite.networkConnections(filter, includePrivate: includePrivate)),
                    "connections, \(name), private \(includePrivate)"
                )
            }
            #expect(
                try await elastic.suspiciousProcesses(filter) == (try await sqlite.suspiciousProcesses(filter)),
                "processes, \(name)"
            )
        }
        let now = Timestamp(year: 2026, month: 1, day: 1)!
        for text in Self.queries {
            let query = try LuceneParser.parse(text)
            let fromES = try await elastic.search(query, filter: EventFilter(limit: 5_000), now: now)
            let fromSQL = try await sqlite.search(query, filter: EventFilter(limit: 5_000), now: now)
            #expect(fromES.total == fromSQL.total, "\(text)")
            #expect(fromES.events.map(\.id) == fromSQL.events.map(\.id), "\(text)")
        }
        let statistics = (try await elastic.statistics(top: 5), try await sqlite.statistics(top: 5))
        let extents = (try await elastic.statistics(top: 0), try await sqlite.statistics(top: 0))
        #expect(extents.0 == extents.1)
        #expect(extents.0.events == statistics.0.events && extents.0.hosts.isEmpty)
        #expect(extents.0.firstSeen == statistics.0.firstSeen && extents.0.lastSeen == statistics.0.lastSeen)
        #expect(statistics.0.events == statistics.1.events)
        #expect(
            statistics.0.firstSeen == statistics.1.firstSeen,
            "\(statistics.0.firstSeen ?? "-") vs \(statistics.1.firstSeen ?? "-")"
        )
        #expect(
            statistics.0.lastSeen == statistics.1.lastSeen,
            "\(statistics.0.lastSeen ?? "-") vs \(statistics.1.lastSeen ?? "-")"
        )
        #expect(statistics.0.failedLoginSources == statistics.1.failedLoginSources)

        // Ingesting the same events again stores nothing new: each is a 409 duplicate.
        var reader = try EventFileReader(path: try #require(SharedFiles.data) + "/" + Self.samples[0], options: options)
        let again = try await elastic.append(try #require(try reader.nextBatch()))
        #expect(again.inserted == 0 && again.duplicates > 0 && again.failed == 0)
    }
}
