import Foundation
import SOCDetection
public import SOCModel
import SOCParsers
public import SOCReports
public import SOCStore

/// The Level-1 loop: reads alerts from where they arise, records them, groups them into incidents, investigates
/// each incident whose alerts changed and writes a new revision of its report.
///
/// Every step is a transaction in the ledger, so a run killed at any moment resumes where the last recorded step
/// ended: no recorded alert is lost, no incident or report is made twice (a report revision interrupted before it
/// was recorded is written again under the same name).
public struct TriageService: Sendable {
    /// How triage works.
    public struct Options: Sendable {
        /// How long after an incident's last alert a new alert may join it (seconds, default 2 h).
        public var groupWindowSeconds: Double
        /// Investigations run at once (they share threat-intelligence quotas through one service).
        public var parallelInvestigations: Int
        /// The most alerts an investigation reads (most severe first).
        public var alertsPerInvestigation: Int
        /// Run the behavioural detections over new events.
        public var behaviours: Bool
        /// Only events and alerts in this window (nil: all).
        public var window: TimeRange?

        public init(
            groupWindowSeconds: Double = 7200,
            parallelInvestigations: Int = 2,
            alertsPerInvestigation: Int = 500,
            behaviours: Bool = true,
            window: TimeRange? = nil
        ) {
            self.groupWindowSeconds = groupWindowSeconds
            self.parallelInvestigations = max(1, parallelInvestigations)
            self.alertsPerInvestigation = max(1, alertsPerInvestigation)
            self.behaviours = behaviours
            self.window = window
        }
    }

    /// Investigates an incident with its alerts (the deterministic analyst, and the model when configured).
    public typealias Investigator = @Sendable (TriageIncident, [Alert]) async -> IncidentReport
    /// Runs Sigma rules over the store's events in a window and saves the detections.
    public typealias Hunter = @Sendable (TimeRange?) async throws -> Void
    /// Behavioural detections over the store's events in a window, as alerts.
    public typealias BehaviourScan = @Sendable (any EventStore, TimeRange?) async throws -> [Alert]

    let store: any EventStore
    /// Where alerts, incidents and progress are kept (shared with whoever else records alerts or changes incidents).
    public let ledger: any TriageLedger
    let feed: (any StoreChangeFeed)?
    let reports: ReportStore
    let options: Options
    let investigator: Investigator
    let hunter: Hunter?
    let behaviourScans: [BehaviourScan]

    /// - Parameters:
    ///   - store: The events.
    ///   - ledger: Where alerts, incidents and progress are kept (the SQLite store itself, or a file beside a cluster).
    ///   - feed: What the store added since the last run (new events to hunt and scan, new detections); without
    ///     one, every run scans the whole window.
    ///   - hunter: Sigma hunting over new events, when rules were given.
    ///   - behaviourScans: Behavioural detections run over new events (``BehaviourScans/standard``).
    public init(
        store: any EventStore,
        ledger: any TriageLedger,
        feed: (any StoreChangeFeed)?,
        reports: ReportStore,
        options: Options = Options(),
        hunter: Hunter? = nil,
        behaviourScans: [BehaviourScan] = BehaviourScans.standard,
        investigator: @escaping Investigator
    ) {
        self.store = store
        self.ledger = ledger
        self.feed = feed
        self.reports = reports
        self.options = options
        self.hunter = hunter
        self.behaviourScans = behaviourScans
        self.investigator = investigator
    }

    /// What one pass did.
    public struct Pass: Sendable, Encodable {
        /// Alerts recorded (new ones only).
        public var alerts = 0
        /// Incidents created.
        public var newIncidents = 0
        /// Existing incidents that new alerts joined.
        public var updatedIncidents = 0
        /// Incidents investigated in this pass, with their reports.
        public var incidents: [TriageIncident] = []
        /// Investigations that failed (`INC-…: reason`); those incidents stay due and are tried again next pass.
        public var failures: [String] = []
        /// Seconds spent reading sources (hunting and behaviour scans included), grouping, and investigating.
        public var readingSeconds = 0.0
        public var groupingSeconds = 0.0
        public var investigatingSeconds = 0.0

        enum CodingKeys: String, CodingKey {
            case alerts
            case newIncidents = "new_incidents"
            case updatedIncidents = "updated_incidents"
            case incidents, failures
            case readingSeconds = "reading_seconds"
            case groupingSeconds = "grouping_seconds"
            case investigatingSeconds = "investigating_seconds"
        }
    }

    /// One pass: new events are hunted and scanned, new detections and `extraAlerts` recorded, alerts grouped,
    /// changed incidents investigated.
    /// - Parameters:
    ///   - extraAlerts: Alerts from files or standard input, with the cursors that mark them read (recorded with them).
    ///   - now: What "now" is for alerts without a time.
    public func run(
        extraAlerts: [Alert] = [],
        cursors: [String: String] = [:],
        now: Timestamp
    ) async throws -> Pass {
        var pass = Pass()
        let clock = ContinuousClock()
        func seconds(since start: ContinuousClock.Instant) -> Double {
            let elapsed = clock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        var start = clock.now
        pass.alerts += try await readStore()
        if !extraAlerts.isEmpty || !cursors.isEmpty {
            pass.alerts += try await ledger.record(extraAlerts.filter(inWindow), cursors: cursors)
        }
        pass.readingSeconds = seconds(since: start)
        start = clock.now
        let grouped = try await group(now: now)
        pass.newIncidents = grouped.created
        pass.updatedIncidents = grouped.updated
        pass.groupingSeconds = seconds(since: start)
        start = clock.now
        (pass.incidents, pass.failures) = try await investigate()
        pass.investigatingSeconds = seconds(since: start)
        return pass
    }

    func inWindow(_ alert: Alert) -> Bool {
        guard let window = options.window, let time = alert.time else { return true }
        return (window.start.map { time >= $0 } ?? true) && (window.end.map { time < $0 } ?? true)
    }

    /// New events (hunted, scanned for behaviours) and new detections, as recorded alerts.
    func readStore() async throws -> Int {
        var recorded = 0
        // Events: the span the new ones cover (all of the window without a feed).
        var position: Int64?
        var span = options.window
        if let feed {
            let after = Int64(try await ledger.cursor("events") ?? "0") ?? 0
            let added = try await feed.eventsAdded(after: after)
            if added.count > 0 {
                position = added.position
                // Rules that count over time (a brute force, a logon then connections) need the events just before
                // the new ones too: the scan looks back one grouping window (a second pass over unchanged data
                // still scans nothing).
                let lookBack = Int64(options.groupWindowSeconds * 1_000_000)
                let start = added.span?.start.map {
                    Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch &- lookBack)
                }
                span = Self.clip(added.span.map { TimeRange(start: start, end: $0.end) }, to: options.window)
            } else {
                span = nil
            }
        }
        var cursors = position.map { ["events": String($0)] } ?? [:]
        if feed == nil {
            // No change feed (a cluster): from an hour before the newest event the last pass saw, to now.
            let seen = try await ledger.cursor("events-time").flatMap(Int64.init)
            let newest = try await store.search(
                .all,
                filter: EventFilter(limit: 1),
                now: Timestamp(secondsSinceEpoch: 0)
            )
            .events.first?.timestamp
            if let seen, let newest, newest.microsecondsSinceEpoch <= seen {
                span = nil
                position = nil
            } else {
                let start = seen.map { Timestamp(microsecondsSinceEpoch: $0 &- 3_600_000_000) }
                span = Self.clip(start.map { TimeRange(start: $0, end: nil) }, to: options.window)
                position = newest?.microsecondsSinceEpoch ?? 0
                if let newest { cursors = ["events-time": String(newest.microsecondsSinceEpoch)] }
            }
        }
        if position != nil {
            if let hunter { try await hunter(span) }
            var alerts: [Alert] = []
            if options.behaviours {
                for scan in behaviourScans { alerts += try await scan(store, span) }
            }
            recorded += try await ledger.record(alerts.filter(inWindow), cursors: cursors)
        }
        // Another product's alerts in the store (Elastic Security's indices in a cluster), from the last one read.
        if let source = store as? any SecurityAlertSource {
            recorded += try await readSecurityAlerts(source)
        }
        // Detections saved since the last read (by hunting here or by `socagent hunt`).
        if let feed {
            var after = Int64(try await ledger.cursor("detections") ?? "0") ?? 0
            while true {
                let page = try await feed.detectionsAdded(after: after, limit: 20_000)
                guard page.position > after else { break }
                let alerts = page.detections.map(Alert.init(detection:)).filter(inWindow)
                recorded += try await ledger.record(alerts, cursors: ["detections": String(page.position)])
                after = page.position
            }
        } else if store.keepsDetections {
            let detections = try await store.detections(EventFilter(timeRange: options.window, limit: 100_000))
            recorded += try await ledger.record(detections.map(Alert.init(detection:)), cursors: [:])
        }
        return recorded
    }

    /// Elastic Security's alerts since the last one read, a page at a time: `gte` the cursor's time (alerts sharing it
    /// are read again and skipped by id), and when a whole page shares one time — a rule run writes its alerts with
    /// one `@timestamp` — the next page is read at an offset within that time, so the cursor never sticks.
    func readSecurityAlerts(_ source: any SecurityAlertSource) async throws -> Int {
        let pageSize = 1000
        var recorded = 0
        var since = try await ledger.cursor("security-alerts").flatMap(Int64.init).map(
            Timestamp.init(microsecondsSinceEpoch:)
        )
        var offset = 0
        while true {
            let page = try await source.securityAlerts(since: since, offset: offset, limit: pageSize)
            let alerts = page.map(Alert.init(record:))
            let newest = page.compactMap(\.timestamp).max()
            let cursor = (newest ?? since).map { ["security-alerts": String($0.microsecondsSinceEpoch)] } ?? [:]
            recorded += try await ledger.record(alerts.filter(inWindow), cursors: cursor)
            guard page.count == pageSize, let newest else { break }
            if newest == since {
                // The whole page at the cursor's time: read on past it (an index's result window ends at 10,000).
                offset += pageSize
                if offset >= 10_000 { break }
            } else {
                since = newest
                offset = 0
            }
        }
        return recorded
    }

    /// Puts ungrouped alerts into incidents, a page at a time.
    func group(now: Timestamp) async throws -> (created: Int, updated: Int) {
        let grouper = IncidentGrouper(windowSeconds: options.groupWindowSeconds)
        var created = 0
        var touched = Set<String>()
        while true {
            let page = try await ledger.ungroupedAlerts(limit: 20_000)
            guard !page.isEmpty else { break }
            let earliest = page.compactMap(\.alert.time).min() ?? now
            let since = Timestamp(microsecondsSinceEpoch: earliest.microsecondsSinceEpoch &- grouper.window)
            let active = try await ledger.incidents(activeSince: since)
            let outcome = grouper.group(page, active: active, now: now)
            try await ledger.saveGrouping(outcome.incidents, assignments: outcome.assignments)
            created += outcome.created
            touched.formUnion(outcome.incidents.map(\.id))
            if page.count < 20_000 { break }
        }
        return (created, max(0, touched.count - created))
    }

    /// Investigates every incident whose alerts changed, `parallelInvestigations` at a time, and records each one
    /// after its report revision is written.
    func investigate() async throws -> (done: [TriageIncident], failures: [String]) {
        var done: [TriageIncident] = []
        var failures: [String] = []
        var seen = Set<String>()
        while true {
            let due = try await ledger.incidentsToInvestigate(limit: 256).filter { !seen.contains($0.id) }
            guard !due.isEmpty else { break }
            seen.formUnion(due.map(\.id))
            try await withThrowingTaskGroup(of: TriageIncident?.self) { group in
                var iterator = due.makeIterator()
                let failed = FailureList()
                func next() -> Bool {
                    guard let incident = iterator.next() else { return false }
                    group.addTask {
                        // One incident that cannot be investigated or written (a full disk, an unwritable folder)
                        // stays due; the others go on.
                        do {
                            return try await self.investigate(incident)
                        } catch let error as CancellationError {
                            throw error
                        } catch {
                            failed.append("\(incident.id): \(error)")
                            return nil
                        }
                    }
                    return true
                }
                defer { failures += failed.values }
                for _ in 0..<options.parallelInvestigations {
                    if !next() { break }
                }
                while let finished = try await group.next() {
                    if let finished { done.append(finished) }
                    _ = next()
                }
            }
        }
        return (done, failures)
    }

    /// One investigation: the incident's alerts (most severe first), the report, its revision, then the record.
    func investigate(_ incident: TriageIncident) async throws -> TriageIncident? {
        try Task.checkCancellation()
        let alerts = try await ledger.alerts(ofIncident: incident.id, limit: options.alertsPerInvestigation * 4)
            .sorted { ($0.severity, $0.time ?? incident.lastSeen) > ($1.severity, $1.time ?? incident.lastSeen) }
        var report = await investigator(incident, Array(alerts.prefix(options.alertsPerInvestigation)))
        report.incidentID = incident.id
        let revision = incident.reportRevisions + 1
        try reports.writeRevision(report, revision: revision)
        try await ledger.recordInvestigation(
            incident: incident.id,
            revision: incident.revision,
            severity: report.severity,
            title: report.findings.first?.title ?? incident.title,
            reportID: incident.id,
            reportRevision: revision
        )
        return try await ledger.incident(id: incident.id)
    }

    static func clip(_ span: TimeRange?, to window: TimeRange?) -> TimeRange? {
        guard let window else { return span }
        guard let span else { return window }
        let start = [span.start, window.start].compactMap { $0 }.max()
        let end = [span.end, window.end].compactMap { $0 }.min()
        return TimeRange(start: start, end: end)
    }
}

/// The behavioural detections triage runs over new events.
public enum BehaviourScans {
    /// Brute force and spraying (and logons after them), process starts a MEDIUM-or-worse process rule flags, and the
    /// behaviour and notable-event rules (lateral movement, ransomware, exfiltration, persistence, defence evasion,
    /// credential access, discovery…).
    public static let standard: [TriageService.BehaviourScan] = [
        bruteForce, processes, rules, outboundAfterSuspiciousLogon,
    ]

    /// The behaviour rules (``BehaviourRule/all``) over every event in the window, a page at a time.
    public static let rules: TriageService.BehaviourScan = { store, window in
        var engine = BehaviourEngine()
        try await store.forEachEvent(EventFilter(timeRange: window), pageSize: 2000) { engine.observe($0) }
        return engine.finish().map(Alert.init(behaviour:))
    }

    /// Failed logins by source address (five or more), with the successes that followed.
    public static let bruteForce: TriageService.BehaviourScan = { store, window in
        try await store.bruteForce(EventFilter(timeRange: window, limit: 1000), minimumFailures: 5)
            .map(Alert.init(bruteForce:))
    }

    /// Connections to public addresses from a host after a logon that followed failed logins from the logon's source
    /// (up to 24 h after it): the step after a successful brute force. One alert per host and logon, MEDIUM as the
    /// rubric's `outbound-after-logon`; the brute force and the logon are alerts of their own.
    public static let outboundAfterSuspiciousLogon: TriageService.BehaviourScan = { store, window in
        let sources = try await store.bruteForce(EventFilter(timeRange: window, limit: 200), minimumFailures: 5)
            .filter { $0.successes > 0 }
        var alerts: [Alert] = []
        for source in sources.prefix(50) {
            let firstFailure = source.firstSeen.flatMap { TimestampParser.parse($0) }
            let logons = try await store.search(
                .boolean([
                    LuceneClause(.must, .term(field: "event.category", value: "authentication")),
                    LuceneClause(.must, .term(field: "event.outcome", value: "success")),
                    LuceneClause(.must, .term(field: "source.ip", value: source.sourceIP)),
                ]),
                filter: EventFilter(timeRange: TimeRange(start: firstFailure, end: window?.end), limit: 50),
                now: Timestamp(secondsSinceEpoch: 0)
            ).events.filter(InvestigationRules.isSuccessfulLogon)
            // The first logon on each host.
            var firstLogon: [String: SecurityEvent] = [:]
            for logon in logons {
                guard let host = logon.string(ECSField.hostName), let time = logon.timestamp else { continue }
                if let earlier = firstLogon[host.lowercased()]?.timestamp, earlier <= time { continue }
                firstLogon[host.lowercased()] = logon
            }
            for (_, logon) in firstLogon.sorted(by: { $0.key < $1.key }) {
                guard let host = logon.string(ECSField.hostName), let time = logon.timestamp else { continue }
                let connections = try await store.networkConnections(
                    EventFilter(timeRange: TimeRange(start: time, end: time.adding(hours: 24)), host: host, limit: 50),
                    includePrivate: false
                )
                guard !connections.isEmpty else { continue }
                let destinations = Array(Set(connections.compactMap(\.destinationIP))).sorted()
                alerts.append(
                    Alert(
                        source: .behaviour,
                        id:
                            "behaviour:\(PlaybookAlertRule.outboundAfterSuspiciousLogon.rawValue):\(host.lowercased()):\(logon.id.hex)",
                        time: connections.compactMap { $0.timestamp.flatMap { TimestampParser.parse($0) } }.max()
                            ?? time,
                        title:
                            "Outbound connections from \(host) after a logon from \(source.sourceIP) that followed failures",
                        rule: PlaybookAlertRule.outboundAfterSuspiciousLogon.rawValue,
                        severity: .medium,
                        hosts: [host],
                        users: [logon.string(ECSField.userName)].compactMap { $0 },
                        addresses: [source.sourceIP] + destinations.prefix(10),
                        processes: Array(Set(connections.compactMap(\.processName))).sorted(),
                        techniques: ["T1071"],
                        count: connections.count,
                        text: "\(connections.count) connection\(connections.count == 1 ? "" : "s") from \(host) to "
                            + "\(destinations.prefix(5).joined(separator: ", ")) after \(logon.string(ECSField.userName) ?? "?") "
                            + "logged on from \(source.sourceIP) (\(source.failures) failures before)"
                    )
                )
            }
        }
        return alerts
    }

    /// Process starts flagged MEDIUM or worse by a process rule (the LOW ones — any PowerShell — are context).
    public static let processes: TriageService.BehaviourScan = { store, window in
        try await store.suspiciousProcesses(EventFilter(timeRange: window, limit: 5000)).map(Alert.init(process:))
            .filter { $0.severity >= .medium }
    }
}

/// Failures collected by concurrent investigations.
final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ value: String) { lock.withLock { list.append(value) } }
    var values: [String] { lock.withLock { list } }
}

extension TriageService {
    /// A cursor the ledger keeps (how far a source was read).
    public func cursor(_ name: String) async throws -> String? { try await ledger.cursor(name) }

    /// Incidents, most recent activity first.
    public func incidents(_ query: IncidentQuery) async throws -> [TriageIncident] { try await ledger.incidents(query) }
}
