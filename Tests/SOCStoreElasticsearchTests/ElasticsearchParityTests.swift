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
@Suite(.enabled(if: TestCluster.url != nil && SharedFiles.data != nil, "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run) and ../shared/data"))
struct ElasticsearchParityTests {
    static let samples = [
        "loghub/OpenSSH_2k_first500.log", "deepbluecli-evtx/jsonl/password-spray.jsonl",
        "evtx-attack-samples/jsonl/Credential Access/kerberos_pwd_spray_4771.jsonl",
        "deepbluecli-evtx/jsonl/Powershell-Invoke-Obfuscation-many.jsonl", "deepbluecli-evtx/jsonl/powersploit-security.jsonl",
        "azure-sentinel-samples/msticpy-testdata/jsonl/az_net_flows.jsonl", "deepbluecli-evtx/jsonl/metasploit-sysmon.jsonl",
    ]

    static let queries = [
        "event.code:4625", "event.outcome:failure AND user.name:admin*", "event.category:authentication AND NOT event.outcome:success",
        "source.ip:\"103.99.0.122\"", "process.name:powershell.exe OR process.name:cmd.exe", "_exists_:destination.ip",
        "destination.port:>=443", "host.name:LabSZ AND event.action:ssh_login", "user.name:(root OR admin OR administrator)",
        "@timestamp:[2019-01-01 TO 2020-01-01}", "event.code:(4648 OR 4771) AND NOT user.name:*$",
    ]

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
            ("window", EventFilter(timeRange: TimeRange(start: Timestamp(year: 2025, month: 12, day: 10, hour: 7), end: Timestamp(year: 2025, month: 12, day: 10, hour: 8)), limit: 5_000)),
        ]
        for (name, filter) in filters {
            let failedES = try await elastic.failedLogins(filter)
            let failedSQL = try await sqlite.failedLogins(filter)
            #expect(failedES == failedSQL, "failed logins, \(name)")
            let bruteES = try await elastic.bruteForce(filter, minimumFailures: 1)
            let bruteSQL = try await sqlite.bruteForce(filter, minimumFailures: 1)
            #expect(bruteES == bruteSQL, "brute force, \(name): \(zip(bruteES, bruteSQL).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "counts \(bruteES.count) vs \(bruteSQL.count)")")
            for includePrivate in [false, true] {
                #expect(
                    try await elastic.networkConnections(filter, includePrivate: includePrivate)
                        == (try await sqlite.networkConnections(filter, includePrivate: includePrivate)),
                    "connections, \(name), private \(includePrivate)")
            }
            #expect(try await elastic.suspiciousProcesses(filter) == (try await sqlite.suspiciousProcesses(filter)), "processes, \(name)")
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
        #expect(statistics.0.events == statistics.1.events)
        #expect(statistics.0.firstSeen == statistics.1.firstSeen, "\(statistics.0.firstSeen ?? "-") vs \(statistics.1.firstSeen ?? "-")")
        #expect(statistics.0.lastSeen == statistics.1.lastSeen, "\(statistics.0.lastSeen ?? "-") vs \(statistics.1.lastSeen ?? "-")")
        #expect(statistics.0.failedLoginSources == statistics.1.failedLoginSources)

        // Ingesting the same events again stores nothing new: each is a 409 duplicate.
        var reader = try EventFileReader(path: try #require(SharedFiles.data) + "/" + Self.samples[0], options: options)
        let again = try await elastic.append(try #require(try reader.nextBatch()))
        #expect(again.inserted == 0 && again.duplicates > 0 && again.failed == 0)
    }
}
