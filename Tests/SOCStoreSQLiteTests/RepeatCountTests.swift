import SOCModel
import SOCStore
import SOCStoreSQLite
import Testing

/// A stored repeat count outside `ECSField.repeatCountRange` (from a JSON document, say) counts once in every
/// store: a negative one cannot cancel real failures, a huge one cannot overflow the sum.
@Suite struct RepeatCountTests {
    private func failure(_ index: Int, repeatCount: Int64?) -> SecurityEvent {
        var event = SecurityEvent(
            id: EventIdentifier(record: "failure \(index)"),
            timestamp: Timestamp(microsecondsSinceEpoch: 1_700_000_000_000_000 + Int64(index) * 1_000_000),
            original: "failure \(index)"
        )
        event[ECSField.sourceFormat] = .string("syslog")
        event[ECSField.eventCategory] = .strings(["authentication"])
        event[ECSField.eventOutcome] = .string("failure")
        event[ECSField.sourceIP] = .string("203.0.113.9")
        event[ECSField.userName] = .string("root")
        if let repeatCount { event[ECSField.repeatCount] = .integer(repeatCount) }
        return event
    }

    @Test(arguments: [Int64(-1000), 0, .max, .min, 1_000_001])
    func anOutOfRangeCountCountsOnce(_ count: Int64) async throws {
        let events = (0..<6).map { failure($0, repeatCount: nil) } + [failure(6, repeatCount: count)]
        let memory = InMemoryEventStore()
        let sqlite = try SQLiteEventStore(path: ":memory:")
        _ = await memory.append(events)
        _ = try await sqlite.append(events)
        let filter = EventFilter(limit: 10)
        let fromMemory = await memory.bruteForce(filter, minimumFailures: 5)
        let fromSQLite = try await sqlite.bruteForce(filter, minimumFailures: 5)
        #expect(fromMemory.map(\.failures) == [7])
        #expect(fromSQLite == fromMemory)
    }

    @Test func anInRangeCountIsSummed() async throws {
        let events = [failure(0, repeatCount: 1_000_000), failure(1, repeatCount: 4)]
        let sqlite = try SQLiteEventStore(path: ":memory:")
        _ = try await sqlite.append(events)
        #expect(try await sqlite.bruteForce(EventFilter(limit: 10), minimumFailures: 1).map(\.failures) == [1_000_004])
    }
}
