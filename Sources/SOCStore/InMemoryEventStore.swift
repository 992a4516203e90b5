public import SOCModel

/// An ``EventStore`` that keeps events in memory, for tests and small cases.
public actor InMemoryEventStore: EventStore {
    private var events: [EventIdentifier: SecurityEvent] = [:]
    private var savedDetections: [String: StoredDetection] = [:]

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
        events.values.sorted {
            ($0.timestamp ?? Timestamp(microsecondsSinceEpoch: .min))
                < ($1.timestamp ?? Timestamp(microsecondsSinceEpoch: .min))
        }
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
        guard top > 0 else {
            return StoreStatistics(
                events: all.count,
                firstSeen: timestamps.min()?.iso8601,
                lastSeen: timestamps.max()?.iso8601
            )
        }
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

    /// Events passing the filter, newest first.
    private func filtered(_ filter: EventFilter, _ predicate: (SecurityEvent) -> Bool) -> [SecurityEvent] {
        events.values.filter { filter.matches($0) && predicate($0) }.sorted(by: Self.newestFirst)
    }

    static func newestFirst(_ a: SecurityEvent, _ b: SecurityEvent) -> Bool {
        let left = a.timestamp?.microsecondsSinceEpoch ?? .min
        let right = b.timestamp?.microsecondsSinceEpoch ?? .min
        return left != right ? left > right : a.id.hex < b.id.hex
    }

    /// Every event passing the filter, oldest first, `pageSize` at a time.
    public nonisolated func forEachEvent(
        _ filter: EventFilter,
        pageSize: Int,
        _ body: ([SecurityEvent]) async throws -> Void
    ) async throws {
        let all = await oldestFirst(filter)
        var start = 0
        while start < all.count {
            try await body(Array(all[start..<min(all.count, start + max(1, pageSize))]))
            start += max(1, pageSize)
        }
    }

    private func oldestFirst(_ filter: EventFilter) -> [SecurityEvent] {
        Array(filtered(filter) { _ in true }.reversed())
    }

    /// Failed authentication attempts, newest first.
    public func failedLogins(_ filter: EventFilter) -> [EventSummary] {
        filtered(filter, InvestigationRules.isFailedLogin).prefix(filter.limit).map(EventSummary.init)
    }

    /// Process starts and PowerShell activity that a rule flags, newest first.
    public func suspiciousProcesses(_ filter: EventFilter) -> [ProcessFinding] {
        var findings: [ProcessFinding] = []
        for event in filtered(filter, InvestigationRules.isProcessActivity) {
            let matches = InvestigationRules.suspiciousMatches(event)
            guard !matches.isEmpty else { continue }
            findings.append(ProcessFinding(event: EventSummary(event), matches: matches))
            if findings.count == filter.limit { break }
        }
        return findings
    }

    /// Connections to (public, unless `includePrivate`) destinations, newest first.
    public func networkConnections(_ filter: EventFilter, includePrivate: Bool) -> [EventSummary] {
        filtered(filter) { InvestigationRules.isConnection($0, includePrivate: includePrivate) }.prefix(filter.limit)
            .map(EventSummary.init)
    }

    /// Failed logins grouped by source address.
    public func bruteForce(_ filter: EventFilter, minimumFailures: Int) -> [BruteForceSource] {
        var failures: [String: [SecurityEvent]] = [:]
        for event in events.values where filter.matches(event) && InvestigationRules.isFailedLogin(event) {
            guard let source = event.string(ECSField.sourceIP) else { continue }
            failures[source, default: []].append(event)
        }
        var sources: [BruteForceSource] = []
        for (source, attempts) in failures {
            let count = attempts.reduce(0) { $0 + InvestigationRules.repeatCount($1) }
            guard count >= minimumFailures else { continue }
            var perUser: [String: Int] = [:]
            for attempt in attempts {
                if let user = attempt.string(ECSField.userName) {
                    perUser[user, default: 0] += InvestigationRules.repeatCount(attempt)
                }
            }
            let times = attempts.compactMap(\.timestamp)
            let first = times.min()
            var successFilter = filter
            successFilter.user = nil
            let successes = events.values.filter { event in
                successFilter.matches(event) && InvestigationRules.isSuccessfulLogon(event)
                    && event.string(ECSField.sourceIP) == source
                    && (first.map { earliest in event.timestamp.map { $0 >= earliest } ?? false } ?? true)
            }.count
            sources.append(
                BruteForceSource(
                    sourceIP: source,
                    failures: count,
                    users: perUser.count,
                    userNames: perUser.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(
                        10
                    ).map(\.key),
                    firstSeen: first?.iso8601,
                    lastSeen: times.max()?.iso8601,
                    successes: successes
                )
            )
        }
        return Array(
            sources.sorted { $0.failures != $1.failures ? $0.failures > $1.failures : $0.sourceIP < $1.sourceIP }
                .prefix(filter.limit)
        )
    }

    /// Events matching a Lucene query, evaluated in memory.
    public func search(_ query: LuceneQuery, filter: EventFilter, now: Timestamp) -> SearchResult {
        let evaluator = LuceneEvaluator(now: now)
        let matches = filtered(filter) { evaluator.matches(query, $0) }
        return SearchResult(total: matches.count, events: Array(matches.prefix(filter.limit)))
    }

    /// Memory keeps detections.
    public nonisolated var keepsDetections: Bool { true }

    /// Keeps detections, one per rule and event.
    public func saveDetections(_ detections: [StoredDetection]) {
        for detection in detections { savedDetections[detection.ruleID + "|" + detection.eventID] = detection }
    }

    /// Kept detections in the window and on the host, newest first.
    public func detections(_ filter: EventFilter, minimumLevel: SigmaLevel) -> [StoredDetection] {
        let matching = savedDetections.values.filter { detection in
            detection.level >= minimumLevel && (filter.timeRange?.contains(detection.instant) ?? true)
                && filter.matches(host: detection.host)
        }
        return Array(
            matching.sorted { ($0.timestamp ?? "", $1.ruleID) > ($1.timestamp ?? "", $0.ruleID) }.prefix(filter.limit)
        )
    }
}
