import SOCModel
import SOCStore
import SOCStoreSQLite
import Testing

/// The in-memory store is the reference implementation of ``EventStore``: the SQLite store must agree with it.
@Suite struct InMemoryEventStoreTests {
    private func events() -> [SecurityEvent] {
        (0..<40).map { index in
            var event = SecurityEvent(
                id: EventIdentifier(record: "record \(index % 30)"),  // ten repeats
                timestamp: Timestamp(microsecondsSinceEpoch: 1_700_000_000_000_000 + Int64(index) * 1_000_000),
                original: "record \(index % 30)"
            )
            event[ECSField.sourceFormat] = .string(index % 2 == 0 ? "syslog" : "evtx-json")
            event[ECSField.eventCategory] = .strings([index % 3 == 0 ? "process" : "authentication"])
            event[ECSField.eventOutcome] = .string(index % 4 == 0 ? "success" : "failure")
            event[ECSField.hostName] = .string("host\(index % 5)")
            event[ECSField.sourceIP] = .string("10.0.0.\(index % 7)")
            event[ECSField.userName] = .string(["root", "admin", "alice"][index % 3])
            event[ECSField.eventCode] = .string(index % 2 == 0 ? "4625" : "4624")
            return event
        }
    }

    @Test func agreesWithTheSQLiteStore() async throws {
        let memory = InMemoryEventStore()
        let sqlite = try SQLiteEventStore(path: ":memory:")
        for batch in [Array(events().prefix(25)), Array(events().suffix(15))] {
            let fromMemory = await memory.append(batch)
            let fromSQLite = try await sqlite.append(batch)
            #expect(fromMemory == fromSQLite)
        }
        #expect(await memory.count() == 30)
        #expect(try await sqlite.count() == 30)
        let expected = await memory.statistics(top: 3)
        let actual = try await sqlite.statistics(top: 3)
        #expect(actual == expected)
        // With top 0, only the count and the time range: what the empty-window hint needs.
        let extent = StoreStatistics(events: 30, firstSeen: expected.firstSeen, lastSeen: expected.lastSeen)
        #expect(expected.firstSeen != nil && expected.lastSeen != nil && expected.hosts.count == 3)
        #expect(await memory.statistics(top: 0) == extent)
        #expect(try await sqlite.statistics(top: 0) == extent)
    }

    @Test func bothWalkEveryEventInTheFilterPageByPage() async throws {
        let memory = InMemoryEventStore()
        let sqlite = try SQLiteEventStore(path: ":memory:")
        _ = await memory.append(events())
        _ = try await sqlite.append(events())
        let filter = EventFilter(host: "host1", limit: 1)  // the limit does not apply to a walk
        for store in [memory, sqlite] as [any EventStore] {
            var pages: [Int] = []
            var seen: [String] = []
            try await store.forEachEvent(filter, pageSize: 2) { page in
                pages.append(page.count)
                seen += page.map(\.id.hex)
            }
            #expect(pages == [2, 2, 2])
            #expect(Set(seen).count == 6)
        }
    }
}
