import Foundation
import GRDB
import SOCModel
import SOCStore
import Testing

@testable import SOCStoreSQLite

@Suite struct SQLiteEventStoreTests {
    private func event(
        _ line: String,
        code: String = "4625",
        ip: String? = "45.142.212.61",
        user: String? = "admin"
    ) -> SecurityEvent {
        var event = SecurityEvent(
            id: EventIdentifier(record: line),
            timestamp: Timestamp(year: 2024, month: 2, day: 4, hour: 10),
            original: line
        )
        event[ECSField.sourceFormat] = .string("text")
        event[ECSField.eventCode] = .string(code)
        event[ECSField.eventCategory] = .strings(["authentication"])
        event[ECSField.eventOutcome] = .string("failure")
        event.set(ECSField.sourceIP, ip)
        event.set(ECSField.userName, user)
        event.set(ECSField.hostName, "dc01")
        event[ECSField.sourcePort] = .integer(51234)
        event[ECSField.message] = .string(line)
        return event
    }

    private func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("socagent-store-\(UUID().uuidString).db").path
    }

    @Test func appendsAndSkipsEventsAlreadyStored() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        let events = (0..<100).map { event("Failed login attempt \($0) from 45.142.212.61 for user 'admin'") }
        #expect(try await store.append(events) == AppendResult(inserted: 100, duplicates: 0))
        #expect(
            try await store.append(Array(events.prefix(10)) + [event("new line")])
                == AppendResult(inserted: 1, duplicates: 10)
        )
        #expect(try await store.count() == 101)
    }

    @Test func keepsTheDocumentAndTheOriginalRecord() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        let stored = event("Feb  4 10:00:00 host sshd[1]: Failed password for admin from 45.142.212.61 port 51234 ssh2")
        _ = try await store.append([stored])
        let fetched = try #require(try await store.events(ids: [stored.id]).first)
        #expect(fetched.id == stored.id)
        #expect(fetched.timestamp == stored.timestamp)
        #expect(fetched.original == stored.original)
        #expect(fetched.fields == stored.fields)
        #expect(fetched.string(ECSField.sourceIP) == "45.142.212.61")
        #expect(fetched[ECSField.sourcePort] == .integer(51234))
        #expect(fetched.categories == ["authentication"])
    }

    @Test func anEventWithoutAMessageDoesNotInheritThePreviousOne() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        var silent = event("no message here")
        silent[ECSField.message] = nil
        _ = try await store.append([event("the first event's message"), silent])
        let fetched = try #require(try await store.events(ids: [silent.id]).first)
        #expect(fetched.string(ECSField.message) == nil)
    }

    /// `message:/(a+)+/` took 3 s on a 17-character message and over 100 s on 21 with Swift's backtracking `Regex`.
    @Test(.timeLimit(.minutes(5)))
    func nestedQuantifiersInARegexQueryRunInLinearTime() async throws {
        let sqlite = try SQLiteEventStore(path: ":memory:")
        let memory = InMemoryEventStore()
        let long = String(repeating: "a", count: 50_000) + "!"
        let events = [
            event(String(repeating: "a", count: 21) + "!", user: long),
            event("bbbb", user: "aaaa"),
        ]
        _ = try await sqlite.append(events)
        _ = await memory.append(events)
        for (text, expected) in [("message:/(a+)+/", 1), ("user.name:/(a+)+/", 1), ("user.name:/(a+)+b/", 0)] {
            let query = try LuceneParser.parse(text)
            let fromSQLite = try await sqlite.search(
                query,
                filter: EventFilter(),
                now: Timestamp(microsecondsSinceEpoch: 0)
            )
            let fromMemory = await memory.search(
                query,
                filter: EventFilter(),
                now: Timestamp(microsecondsSinceEpoch: 0)
            )
            #expect(fromSQLite.total == expected, "\(text)")
            #expect(fromMemory.total == expected, "\(text)")
        }
    }

    /// `kill -9` during a bulk load left a store whose full-text search answered 0 and whose secondary indexes
    /// were gone, while `stats` looked normal.
    @Test func aBulkLoadThatNeverFinishedIsCompletedOnTheNextOpen() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var configuration = SQLiteEventStore.Configuration()
        configuration.bulkTransactionEvents = 10
        do {
            let interrupted = try SQLiteEventStore(path: path, configuration: configuration)
            _ = try await interrupted.append([event("Accepted password for alice before the load")])
            try await interrupted.beginBulkLoad()
            let events = (0..<35).map { event("Failed password for new process \($0) from 45.142.212.61") }
            _ = try await interrupted.append(Array(events.prefix(30)))  // committed: 30 ≥ 10 events
            _ = try await interrupted.append(Array(events.suffix(5)))  // still in the open transaction
            // No finishBulkLoad: the process dies here, and the open transaction is rolled back.
        }
        let reopened = try SQLiteEventStore(path: path)
        #expect(reopened.recoveryNotice?.contains("the last bulk load into \(path) was interrupted") == true)
        #expect(reopened.recoveryNotice?.contains("indexed 30 events for full-text search") == true)
        let stored = try await reopened.count()
        #expect(stored == 31)
        let found = try await reopened.search(
            try LuceneParser.parse(#"message:"new process""#),
            filter: EventFilter(),
            now: Timestamp(microsecondsSinceEpoch: 0)
        )
        #expect(found.total == stored - 1)
        let indexes = try await reopened.database.read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
        }
        for index in Schema.secondaryIndexes { #expect(indexes.contains(index.name), "\(index.name)") }
        // Once completed, the next open has nothing to do.
        #expect(try SQLiteEventStore(path: path).recoveryNotice == nil)
    }

    @Test func hostileValuesAreStoredVerbatimNeverExecuted() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        let hostile = "admin'); DROP TABLE events; --"
        _ = try await store.append([
            event("line with hostile user", user: hostile),
            event("a second line", ip: "10.0.0.1\"; DELETE FROM events"),
        ])
        #expect(try await store.count() == 2)
        let users = try await store.database.read { db in
            try String.fetchAll(db, sql: "SELECT user_name FROM events ORDER BY rowid")
        }
        #expect(users == [hostile, "admin"])
        // A non-address source is not put in the typed IP column by the parsers; the store keeps whatever it is given.
        let statistics = try await store.statistics(top: 5)
        #expect(statistics.failedLoginUsers.contains(StoreStatistics.Count(value: hostile, count: 1)))
    }

    @Test func bulkLoadsRebuildIndexesAndIndexMessagesForFullTextSearch() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        try await store.beginBulkLoad()
        let indexesDuringLoad = try await store.database.read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND name NOT LIKE 'sqlite_%'"
            )
        }
        #expect(indexesDuringLoad == ["events_id"])
        _ = try await store.append([
            event("powershell -enc SQBFAFgA from 10.0.0.5"), event("mimikatz sekurlsa::logonpasswords"),
        ])
        try await store.finishBulkLoad()
        let indexes = try await store.database.read { db in
            try Set(
                String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
            )
        }
        #expect(indexes.isSuperset(of: Set(Schema.secondaryIndexes.map(\.name) + ["events_id"])))
        let matches = try await store.database.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM events_fts WHERE events_fts MATCH ?",
                arguments: ["mimikatz"]
            )
        }
        #expect(matches == 1)
        // Appends outside a bulk load keep the full-text index current on their own.
        _ = try await store.append([event("another mimikatz run")])
        let later = try await store.database.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM events_fts WHERE events_fts MATCH ?",
                arguments: ["mimikatz"]
            )
        }
        #expect(later == 2)
    }

    @Test func summarizesWhatIsStored() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        var events = (0..<5).map { event("fail \($0)", ip: "45.142.212.61") }
        events += (0..<2).map { event("other \($0)", ip: "10.0.0.9", user: "root") }
        _ = try await store.append(events)
        let statistics = try await store.statistics(top: 1)
        #expect(statistics.events == 7)
        #expect(statistics.failedLoginSources == [StoreStatistics.Count(value: "45.142.212.61", count: 5)])
        #expect(statistics.categories == [StoreStatistics.Count(value: "authentication", count: 7)])
        #expect(statistics.firstSeen == "2024-02-04T10:00:00.000Z")
    }

    @Test func persistsAcrossReopening() async throws {
        let path = temporaryPath()
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: path + suffix)
            }
        }
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try await store.append([event("kept across runs")])
        }
        let reopened = try SQLiteEventStore(path: path)
        #expect(try await reopened.count() == 1)
        #expect(try await reopened.append([event("kept across runs")]) == AppendResult(inserted: 0, duplicates: 1))
    }

    @Test func anUnwritableLocationIsACleanError() throws {
        #expect {
            _ = try SQLiteEventStore(path: "/nonexistent-directory/socagent.db")
        } throws: { error in
            guard let error = error as? EventStoreError else { return false }
            return error.kind == .cannotOpen && error.description.contains("/nonexistent-directory/socagent.db")
        }
        let notAStore = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: notAStore) }
        try Data("this is not a database, just text that is long enough to look like a header".utf8).write(
            to: URL(fileURLWithPath: notAStore)
        )
        #expect(throws: EventStoreError.self) { _ = try SQLiteEventStore(path: notAStore) }
    }

    /// Saved detections read back by window and host (any case), newest first; a host's detections come from the
    /// (host, time) index, not a scan of the window (840 ms over 301,793 detections before migration v5, 3 ms after).
    @Test func addressBlocksAndHostsAreSearchedThroughTheirIndexes() async throws {
        let sqlite = try SQLiteEventStore(path: ":memory:")
        let memory = InMemoryEventStore()
        let addresses = [
            "172.16.5.1", "172.31.255.255", "172.32.0.1", "172.15.0.1", "10.1.2.3", "10.1.2.200", "100.1.2.3",
            "2001:db8::1", "2001:db9::1",
        ]
        var events = addresses.map { event("failure from \($0)", ip: $0) }
        // Not addresses, but starting like ones in the blocks: an index range finds them, the exact test drops them.
        for junk in ["10.evil", "172.16.x"] {
            var stored = event("junk \(junk)", ip: nil)
            stored[ECSField.sourceIP] = .string(junk)
            events.append(stored)
        }
        var upper = event("upper-case host", ip: "192.0.2.1")
        upper.set(ECSField.hostName, "DC01")
        events.append(upper)
        _ = try await sqlite.append(events)
        _ = await memory.append(events)
        let now = Timestamp(year: 2024, month: 3, day: 1)!
        func found(_ text: String) async throws -> [String] {
            let query = try LuceneParser.parse(text)
            let found = try await sqlite.search(query, filter: EventFilter(limit: 50), now: now)
            let reference = await memory.search(query, filter: EventFilter(limit: 50), now: now)
            #expect(Set(found.events.map(\.id)) == Set(reference.events.map(\.id)), "\(text)")
            #expect(found.total == found.events.count, "\(text)")
            return found.events.compactMap { $0[ECSField.sourceIP]?.stringValue }.sorted()
        }
        #expect(try await found(#"source.ip:"172.16.0.0/12""#) == ["172.16.5.1", "172.31.255.255"])
        #expect(try await found(#"source.ip:"10.0.0.0/8""#) == ["10.1.2.200", "10.1.2.3"])
        #expect(try await found(#"source.ip:"10.1.2.128/25""#) == ["10.1.2.200"])
        #expect(try await found(#"source.ip:"0.0.0.0/0""#).count == 8)
        #expect(try await found(#"source.ip:"2001:db8::/32""#) == ["2001:db8::1"])
        #expect(try await found(#"NOT source.ip:"10.0.0.0/8" AND source.ip:"172.0.0.0/8""#).count == 4)
        #expect(try await found("host.name:DC01") == ["192.0.2.1"], "keyword terms are exact")
        let logins = try await sqlite.failedLogins(EventFilter(sourceIP: IPMatcher("172.16.0.0/12"), limit: 50))
        #expect(logins.map(\.sourceIP).compactMap { $0 }.sorted() == ["172.16.5.1", "172.31.255.255"])

        func plan(_ text: String) async throws -> [String] {
            let condition = LuceneSQLCompiler.compile(try LuceneParser.parse(text), now: now)
            return try await sqlite.read { db in
                try Row.fetchAll(
                    db,
                    sql: "EXPLAIN QUERY PLAN SELECT count(*) FROM events e WHERE \(condition.sql)",
                    arguments: StatementArguments(condition.arguments)
                )
                .map { $0["detail"] as String? ?? "" }
            }
        }
        for block in [#"source.ip:"172.16.0.0/12""#, #"source.ip:"10.0.0.0/8""#] {
            let steps = try await plan(block)
            #expect(steps.contains { $0.contains("SEARCH") && $0.contains("source_ip>") }, "\(block): \(steps)")
        }
        let hostSteps = try await plan("host.name:DC01")
        #expect(hostSteps.contains { $0.contains("events_host_category_ts") }, "\(hostSteps)")
        #expect(try await sqlite.read(SQLiteEventStore.addressColumnsAreCanonical) == false, "junk was stored")
    }

    @Test func aStoreOfCanonicalAddressesSearchesBlocksByRangesAlone() async throws {
        let sqlite = try SQLiteEventStore(path: ":memory:")
        let memory = InMemoryEventStore()
        #expect(try await sqlite.read(SQLiteEventStore.addressColumnsAreCanonical), "a new store is canonical")
        // Stored as the normalizers write them: canonical, whatever the spelling in the log.
        let events = ["172.16.5.1", "172.31.255.255", "172.32.0.1", "10.1.2.3", "2001:db8::1"].map {
            event("failure from \($0)", ip: $0)
        }
        _ = try await sqlite.append(events)
        _ = await memory.append(events)
        #expect(try await sqlite.read(SQLiteEventStore.addressColumnsAreCanonical))
        let now = Timestamp(year: 2024, month: 3, day: 1)!
        for text in [#"source.ip:"172.16.0.0/12""#, #"source.ip:"10.0.0.0/8""#, #"NOT source.ip:"172.16.0.0/12""#] {
            let query = try LuceneParser.parse(text)
            let found = try await sqlite.search(query, filter: EventFilter(limit: 50), now: now)
            let reference = await memory.search(query, filter: EventFilter(limit: 50), now: now)
            #expect(Set(found.events.map(\.id)) == Set(reference.events.map(\.id)), "\(text)")
            #expect(found.total == reference.total, "\(text)")
        }
        let condition = LuceneSQLCompiler.compile(
            try LuceneParser.parse(#"source.ip:"172.16.0.0/12""#),
            now: now,
            canonicalAddressColumns: true
        )
        #expect(!condition.sql.contains("soc_ip_in"), "\(condition.sql)")
        // One address or user is read newest first from its (column, time) index; blocks and others sort matches.
        let newestFirst = [
            ("source.ip:10.1.2.3", true), (#"source.ip:"10.0.0.0/8""#, false), ("user.name:alice", true),
            ("host.name:DC01", false), ("event.code:4625", false), ("user.name:alice AND event.code:4625", false),
            ("user.name:ali*", false), ("source.ip:[10.0.0.0 TO 10.0.0.9]", false),
        ]
        for (text, expected) in newestFirst {
            let compiled = LuceneSQLCompiler.compile(try LuceneParser.parse(text), now: now)
            #expect(compiled.readsNewestFirst == expected, "\(text)")
        }
        // One value that is not a canonical address, and blocks are tested exactly again.
        var junk = event("junk", ip: nil)
        junk[ECSField.sourceIP] = .string("10.1.2.3 ")
        _ = try await sqlite.append([junk])
        #expect(try await sqlite.read(SQLiteEventStore.addressColumnsAreCanonical) == false)
        let found = try await sqlite.search(
            try LuceneParser.parse(#"source.ip:"10.0.0.0/8""#),
            filter: EventFilter(limit: 50),
            now: now
        )
        #expect(found.total == 1)
    }

    @Test func aStoreFromBeforeAddressTrackingKeepsTheExactTest() async throws {
        // A store written before migration v8: events, but no record of what its address columns hold.
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try await store.append([
                event("from 10.1.2.3", ip: "10.1.2.3"), event("from 172.16.0.9", ip: "172.16.0.9"),
            ])
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [SQLiteEventStore.addressColumnsMetaKey])
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v8'")
        }
        try queue.close()
        let reopened = try SQLiteEventStore(path: path)
        #expect(try await reopened.read(SQLiteEventStore.addressColumnsAreCanonical) == false)
        let found = try await reopened.search(
            try LuceneParser.parse(#"source.ip:"10.0.0.0/8""#),
            filter: EventFilter(limit: 10),
            now: Timestamp(year: 2024, month: 3, day: 1)!
        )
        #expect(found.total == 1 && found.events.first?[ECSField.sourceIP]?.stringValue == "10.1.2.3")
    }

    @Test func aStoreFromANewerVersionIsRefusedUntouched() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { _ = try SQLiteEventStore(path: path) }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99')") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            _ = try SQLiteEventStore(path: path)
        } throws: { error in
            "\(error)".contains("was written by a newer socagent (migrations v99 are unknown to this version)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func detectionsAreReadByHostThroughTheirIndex() async throws {
        let store = try SQLiteEventStore(path: ":memory:")
        var detections: [StoredDetection] = []
        for index in 0..<2_000 {
            detections.append(
                StoredDetection(
                    ruleID: "rule-\(index % 7)",
                    title: "Rule \(index % 7)",
                    level: [SigmaLevel.low, .high][index % 2],
                    techniques: ["T1003.001"],
                    eventID: EventIdentifier(record: "event \(index)").hex,
                    timestamp: Timestamp(microsecondsSinceEpoch: 1_706_998_400_000_000 + Int64(index) * 1_000_000)
                        .iso8601,
                    host: "WS-\(index % 50)",
                    fields: ["CommandLine": "cmd /c \(index)"]
                )
            )
        }
        try await store.saveDetections(detections)
        try await store.saveDetections(Array(detections.prefix(10)))  // saved again: replaced, not added
        let all = try await store.detections(EventFilter(limit: 5_000))
        #expect(all.count == 2_000)
        // The level is filtered in the query, so a limit counts only detections at that level.
        let serious = try await store.detections(EventFilter(limit: 1_000), minimumLevel: .high)
        #expect(serious.count == 1_000 && serious.allSatisfy { $0.level == .high })
        let onHost = try await store.detections(EventFilter(host: "ws-7", limit: 100))
        #expect(onHost.count == 40 && onHost.allSatisfy { $0.host == "WS-7" })
        #expect(onHost.map(\.timestamp) == onHost.map(\.timestamp).sorted(by: { ($0 ?? "") > ($1 ?? "") }))
        let window = TimeRange(
            start: Timestamp(microsecondsSinceEpoch: 1_706_998_400_000_000),
            end: Timestamp(microsecondsSinceEpoch: 1_706_998_400_000_000 + 100_000_000)
        )
        #expect(
            try await store.detections(EventFilter(timeRange: window, host: "WS-7", limit: 100)).map(\.eventID) == [
                EventIdentifier(record: "event 57").hex, EventIdentifier(record: "event 7").hex,
            ]
        )
        let plan = try await store.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "EXPLAIN QUERY PLAN SELECT * FROM detections WHERE ts >= 0 AND ts < 1 AND host_name = 'ws-7' COLLATE NOCASE ORDER BY ts DESC"
            )
            .map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("detections_host_ts") }, "\(plan)")
    }
}

/// A store written before migration v5 keeps its detections when opened: the table is rebuilt, rows and all.
@Suite struct DetectionsMigrationTests {
    @Test func detectionsSurviveTheRebuild() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-v4-\(UUID().uuidString).db")
            .path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let queue = try DatabaseQueue(path: path)
        try SQLiteEventStore.migrator.migrate(queue, upTo: "v4")
        try await queue.write { db in
            try db.execute(
                sql:
                    "INSERT INTO detections(rule_id, event_id, title, level, techniques, ts, host_name, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    "r1", Data(EventIdentifier(record: "e1").bytes), "Rule one", "high", "T1003.001",
                    1_706_998_400_000_000, "WS-1", #"{"Image":"x.exe"}"#,
                ]
            )
        }
        try queue.close()
        let store = try SQLiteEventStore(path: path)
        let kept = try await store.detections(EventFilter(host: "ws-1", limit: 10))
        #expect(kept.map(\.ruleID) == ["r1"])
        #expect(kept.first?.fields == ["Image": "x.exe"])
        #expect(kept.first?.eventID == EventIdentifier(record: "e1").hex)
        // Saving the same rule on the same event again replaces it.
        try await store.saveDetections([
            StoredDetection(
                ruleID: "r1",
                title: "Rule one",
                level: .critical,
                techniques: [],
                eventID: EventIdentifier(record: "e1").hex,
                timestamp: "2024-02-03T22:13:20Z",
                host: "WS-1",
                fields: [:]
            )
        ])
        #expect(try await store.detections(EventFilter(limit: 10)).map(\.level) == [.critical])
    }
}
