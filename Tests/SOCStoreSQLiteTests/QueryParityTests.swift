import Foundation
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import Testing

/// The query_string checks of ../shared/reference/es-harness, ported: the same documents, the same queries, the
/// answers Elasticsearch (and osmem-server) give — from the SQLite store and from the in-memory reference alike.
@Suite struct QueryParityTests {
    /// The harness documents by index, with their `_id`s, parsed as socagent ingests them.
    struct Corpus {
        var stores: [String: (sqlite: SQLiteEventStore, memory: InMemoryEventStore, ids: [EventIdentifier: String])] =
            [:]
    }

    static let harness: String? = {
        guard let reference = SharedFiles.reference else { return nil }
        let path = reference + "/es-harness/data.ndjson"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    static let now = Timestamp(year: 2026, month: 11, day: 29)!

    static func corpus() async throws -> Corpus {
        let lines = try String(contentsOfFile: try #require(harness), encoding: .utf8).split(separator: "\n")
        var corpus = Corpus()
        var index = ""
        var id = ""
        for line in lines {
            if line.hasPrefix("{\"index\"") {
                let action = try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: String]]
                )
                index = String(action["index"]?["_index"]?.split(separator: "-").first ?? "")
                id = action["index"]?["_id"] ?? ""
                continue
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "socagent-harness-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("doc.json").path
            try (String(line) + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            var reader = try EventFileReader(path: file, options: .init(referenceTime: now))
            let events = try #require(try reader.nextBatch())
            if corpus.stores[index] == nil {
                corpus.stores[index] = (try SQLiteEventStore(path: ":memory:"), InMemoryEventStore(), [:])
            }
            _ = try await corpus.stores[index]!.sqlite.append(events)
            _ = await corpus.stores[index]!.memory.append(events)
            corpus.stores[index]!.ids[events[0].id] = id
        }
        return corpus
    }

    static let cases: [(index: String, query: String, and: Bool, expected: [String])] = [
        ("winlogbeat", "event.code:4625 AND user.name:admin*", false, ["w1", "w2"]),
        ("winlogbeat", "(event.code:4624 OR event.code:4688) AND NOT host.name:DC01", false, ["w4"]),
        ("winlogbeat", "+event.code:4625 -user.name:admin*", false, ["w5"]),
        ("winlogbeat", "event.code:4625 AND host.name:FS01 OR event.code:1", false, ["w5"]),
        ("winlogbeat", "@timestamp:[2024-05-02 TO 2024-05-03} AND event.outcome:failure", false, ["w5"]),
        ("winlogbeat", "@timestamp:[now-5000d TO now]", false, ["w1", "w2", "w3", "w4", "w5", "w6"]),
        ("packetbeat", "destination.port:>=443 AND network.bytes:>1000", false, ["p1"]),
        ("winlogbeat", "process.name:*shell.exe OR process.name:rundll3?.exe", false, ["w4", "w6"]),
        ("winlogbeat", #"message:"failed to log on""#, false, ["w1", "w2", "w5"]),
        ("winlogbeat", #"winlog.channel:Microsoft\-Windows\-Sysmon\/Operational"#, false, ["w6"]),
        ("winlogbeat", "_exists_:process.parent.name", false, ["w4"]),
        ("winlogbeat", "process.command_line:*", false, ["w4", "w6"]),
        ("winlogbeat", "host.name:WS-042", false, ["w4", "w6"]),
        ("winlogbeat", "source.ip:[203.0.113.0 TO 203.0.113.255]", false, ["w1", "w2", "w3"]),
        ("winlogbeat", #"source.ip:"203.0.113.0/24""#, false, ["w1", "w2", "w3"]),
        ("winlogbeat", "user.name:/admin.*/", false, ["w1", "w2", "w3"]),
        ("winlogbeat", "user.name:jsmyth~1", false, ["w4", "w6"]),
        ("winlogbeat", "powershell.exe", false, ["w4"]),
        ("winlogbeat", "host.name:dc01", false, []),
        ("winlogbeat", "jsmith DC01", false, []),
        ("winlogbeat", "jsmith OR DC01", false, ["w1", "w2", "w3", "w4", "w6"]),
        ("winlogbeat", #"jsmith AND WS\-042"#, false, ["w4", "w6"]),
        ("winlogbeat", "user.name:jsmith host.name:WS-042", true, ["w4", "w6"]),
        ("filebeat", "user.name:root AND event.dataset.keyword:system.auth", false, ["f1"]),
        ("winlogbeat", #"process.command_line:*\-enc*"#, false, ["w4"]),
        ("winlogbeat", #"event.code:4625 AND source.ip:203.0.113.0\/24"#, false, ["w1", "w2"]),
        ("winlogbeat", "@timestamp:>=2024-05-02 AND NOT event.code:1", false, ["w4", "w5"]),
        ("winlogbeat", "@timestamp:[2024-05-01||+1d TO 2024-05-01||+2d}", false, ["w4", "w5", "w6"]),
        ("winlogbeat", "NOT user.name:jsmith", false, ["w1", "w2", "w3", "w5"]),
    ]

    @Test(
        "query_string semantics match Elasticsearch on the harness documents",
        .enabled(if: harness != nil, "needs ../shared/reference/es-harness")
    )
    func harnessQueries() async throws {
        let corpus = try await Self.corpus()
        for testCase in Self.cases {
            let store = try #require(corpus.stores[testCase.index])
            let query = try LuceneParser.parse(testCase.query, defaultOperator: testCase.and ? .and : .or)
            let filter = EventFilter(limit: 100)
            let fromSQLite = try await store.sqlite.search(query, filter: filter, now: Self.now)
            let fromMemory = await store.memory.search(query, filter: filter, now: Self.now)
            let sqliteIDs = fromSQLite.events.compactMap { store.ids[$0.id] }.sorted()
            let memoryIDs = fromMemory.events.compactMap { store.ids[$0.id] }.sorted()
            #expect(sqliteIDs == testCase.expected, "SQLite: \(testCase.query)")
            #expect(memoryIDs == testCase.expected, "memory: \(testCase.query)")
            #expect(fromSQLite.total == testCase.expected.count, "\(testCase.query)")
        }
    }

    @Test func bothStoresCountASuccessfulBruteForce() async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SOCParsersTests/Fixtures/syslog/input.log").path
        var reader = try EventFileReader(path: fixture, options: .init(year: 2024, referenceTime: Self.now))
        let events = try #require(try reader.nextBatch())
        let sqlite = try SQLiteEventStore(path: ":memory:")
        let memory = InMemoryEventStore()
        _ = try await sqlite.append(events)
        _ = await memory.append(events)
        let all = EventFilter(limit: 10)
        let fromSQLite = try await sqlite.bruteForce(all, minimumFailures: 1)
        #expect(fromSQLite == (await memory.bruteForce(all, minimumFailures: 1)))
        #expect(fromSQLite.first { $0.sourceIP == "45.142.212.61" }?.successes == 1)
        for kind in 0..<3 {
            let filter = EventFilter(
                timeRange: TimeRange(start: Timestamp(year: 2024, month: 2, day: 4, hour: 10, minute: 16)),
                limit: 10
            )
            switch kind {
            case 0: #expect(try await sqlite.failedLogins(filter) == (await memory.failedLogins(filter)))
            case 1: #expect(try await sqlite.suspiciousProcesses(filter) == (await memory.suspiciousProcesses(filter)))
            default:
                #expect(
                    try await sqlite.networkConnections(filter, includePrivate: true)
                        == (await memory.networkConnections(filter, includePrivate: true))
                )
            }
        }
    }

    @Test func aSyntaxErrorNamesTheColumn() {
        #expect(throws: LuceneSyntaxError(column: 21, message: "expected a term after 'AND' but the query ended")) {
            _ = try LuceneParser.parse("user.name:(admin AND")
        }
    }
}
