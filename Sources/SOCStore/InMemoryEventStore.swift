public import SOCModel

/// An ``EventStore`` that keeps events in memory, for tests and small cases.
public actor InMemoryEventStore: EventStore {
    private var events: [EventIdentifier: SecurityEvent] = [:]

    /// Creates a store holding `events`.
    public init(_ events: [SecurityEvent] = []) {
        for event in events { self.events[event.id] = event }
    }

    /// Stores new events, skipping identifiers already stored.
    public func append(_ events: [SecurityEvent]) -> AppendResult {
        var result = AppendResult()
        for event in events {
            if self.events[event.id] == nil {
                self.events[event.id] = event
                result.inserted += 1
            } else {
                result.duplicates += 1
            }
        }
        return result
    }

    /// The number of stored events.
    public func count() -> Int { events.count }

    /// Every stored event, oldest first.
    public func allEvents() -> [SecurityEvent] {
        events.values.sorted { ($0.timestamp ?? Timestamp(microsecondsSinceEpoch: .min)) < ($1.timestamp ?? Timestamp(microsecondsSinceEpoch: .min)) }
    }

    /// The time range and most common values of the key fields.
    public func statistics(top: Int) -> StoreStatistics {
        let all = Array(events.values)
        func counts(_ values: [String]) -> [StoreStatistics.Count] {
            var tally: [String: Int] = [:]
            for value in values { tally[value, default: 0] += 1 }
            return tally.map { StoreStatistics.Count(value: $0.key, count: $0.value) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }
                .prefix(top).map { $0 }
        }
        let timestamps = all.compactMap(\.timestamp)
        let failures = all.filter { $0.categories.contains("authentication") && $0.outcome == "failure" }
        return StoreStatistics(
            events: all.count,
            firstSeen: timestamps.min()?.iso8601,
            lastSeen: timestamps.max()?.iso8601,
            formats: counts(all.compactMap { $0.string(ECSField.sourceFormat) }),
            categories: counts(all.flatMap(\.categories)),
            eventCodes: counts(all.compactMap(\.code)),
            hosts: counts(all.compactMap { $0.string(ECSField.hostName) }),
            failedLoginSources: counts(failures.compactMap { $0.string(ECSField.sourceIP) }),
            failedLoginUsers: counts(failures.compactMap { $0.string(ECSField.userName) })
        )
    }
}
