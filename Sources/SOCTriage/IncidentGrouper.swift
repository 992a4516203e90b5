public import SOCModel
public import SOCStore

/// Groups alerts into incidents: an alert joins the incident that shares a host, an account or an address with it
/// and was active within the window; otherwise it starts one. The same rule on the same host is always the same
/// incident while the storm lasts — one incident with a count, never one per alert.
///
/// Grouping is deterministic: the same alerts in the same order make the same incidents with the same ids.
public struct IncidentGrouper: Sendable {
    /// How long after an incident's last alert a new alert may still join it (default 2 hours).
    public var window: Int64

    /// - Parameter windowSeconds: The grouping window.
    public init(windowSeconds: Double = 7200) {
        window = Int64(max(0, min(windowSeconds, 366 * 86400)) * 1_000_000)
    }

    /// The keys an alert may be joined by: `h:host`, `u:user`, `a:address`; with none, its rule (`r:rule`).
    public static func keys(of alert: Alert) -> [String] {
        var keys: [String] = []
        for host in alert.hosts where !host.isEmpty && host != "-" { keys.append("h:" + host.lowercased()) }
        for user in alert.users where Alert.namesAPerson(user) { keys.append("u:" + user.lowercased()) }
        for address in alert.addresses {
            guard let ip = IPAddress(address), ip.scope != .loopback, address != "0.0.0.0", address != "::" else {
                continue
            }
            keys.append("a:" + address)
        }
        if keys.isEmpty {
            // No entity: the event it fired on (several rules on one event are one incident), else its rule.
            keys.append(alert.eventKey != alert.id ? "e:" + alert.eventKey : "r:" + (alert.rule ?? alert.title))
        }
        return keys
    }

    /// The outcome of grouping a batch.
    public struct Outcome: Sendable {
        /// Incidents created or grown (to save).
        public var incidents: [TriageIncident]
        /// Which incident each alert joined.
        public var assignments: [LedgerAssignment]
        /// How many of `incidents` are new.
        public var created: Int
    }

    /// Groups `alerts` (in arrival order; each placed at its own time, or `now` when it has none) with the `active`
    /// incidents.
    public func group(_ alerts: [LedgerAlert], active: [TriageIncident], now: Timestamp) -> Outcome {
        var incidents = active
        // Every incident a key names (a host may have several incidents hours apart): each is checked against the
        // window, so which one an alert joins does not depend on how alerts were batched.
        var byKey: [String: [Int]] = [:]
        var ids = Set(active.map(\.id))
        for (index, incident) in incidents.enumerated() {
            for key in Self.keys(of: incident) { byKey[key, default: []].append(index) }
        }
        var touched = Set<Int>()
        var created = Set<Int>()
        var assignments: [LedgerAssignment] = []
        // In time order, so an incident's window is measured from its alerts before this one.
        let ordered = alerts.sorted {
            ($0.alert.time ?? now, $0.sequence) < ($1.alert.time ?? now, $1.sequence)
        }
        for ledgerAlert in ordered {
            let alert = ledgerAlert.alert
            let time = alert.time ?? now
            let keys = Self.keys(of: alert)
            let candidates = keys.flatMap { byKey[$0] ?? [] }.filter { index in
                let incident = incidents[index]
                return incident.status != .closed
                    && time.microsecondsSinceEpoch >= incident.firstSeen.microsecondsSinceEpoch - window
                    && time.microsecondsSinceEpoch <= incident.lastSeen.microsecondsSinceEpoch + window
            }
            let index: Int
            if let joined = candidates.min(by: { incidents[$0].id < incidents[$1].id }) {
                index = joined
            } else {
                var id = Self.incidentID(for: alert, at: time)
                var attempt = 1
                while ids.contains(id) {
                    attempt += 1
                    id = Self.incidentID(for: alert, at: time, attempt: attempt)
                }
                ids.insert(id)
                incidents.append(TriageIncident(id: id, first: alert, at: time))
                index = incidents.count - 1
                created.insert(index)
            }
            incidents[index].add(alert, at: time)
            touched.insert(index)
            for key in keys where byKey[key]?.contains(index) != true { byKey[key, default: []].append(index) }
            assignments.append(
                LedgerAssignment(sequence: ledgerAlert.sequence, alertID: alert.id, incidentID: incidents[index].id)
            )
        }
        var changed: [TriageIncident] = []
        for index in touched.sorted() {
            var incident = incidents[index]
            incident.revision += 1
            changed.append(incident)
        }
        return Outcome(incidents: changed, assignments: assignments, created: created.count)
    }

    /// The keys an incident is joined by: those of its entities.
    static func keys(of incident: TriageIncident) -> [String] {
        var probe = Alert(source: .file, id: "", time: nil, title: "", severity: .low, text: "")
        probe.hosts = incident.hosts
        probe.users = incident.users
        probe.addresses = incident.addresses
        var keys = keys(of: probe)
        if keys.first?.hasPrefix("r:") == true {
            // No entity: joined by its rules (an incident of entity-less Sigma alerts is joined by none: their
            // events differ).
            keys = incident.rules.filter { $0.source != .sigma }.map { "r:" + $0.rule }
        }
        return keys
    }

    /// `INC-YYYYMMDD-HHMMSS-XXXXXX`: the alert's UTC second and six hex digits of a digest of its id (and of
    /// `attempt` when an earlier attempt's id is taken by another incident in the same second).
    public static func incidentID(for alert: Alert, at time: Timestamp, attempt: Int = 1) -> String {
        let digits = time.iso8601.prefix(19).filter(\.isNumber)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let seed = (alert.id.isEmpty ? alert.title : alert.id) + (attempt > 1 ? "#\(attempt)" : "")
        for byte in seed.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash & 0xFF_FFFF, radix: 16)
        let padded = String(repeating: "0", count: 6 - hex.count) + hex
        return "INC-\(digits.prefix(8))-\(digits.dropFirst(8).prefix(6))-\(padded.uppercased())"
    }
}
