public import SOCModel

/// Where triage keeps its state — alerts as they arrive, incidents, and how far each alert source has been read — so
/// a run killed at any moment loses no alert that was recorded and duplicates nothing when it runs again.
///
/// Every method is one transaction — alerts and the cursor that produced them land together, a grouping lands whole,
/// an investigation's outcome lands after its report is written — or, where the store has no transactions over
/// several records (a cluster), is made safe to repeat and finished by the next run.
public protocol TriageLedger: Sendable {
    /// How far a source has been read (its own format: a row number, a time, a file digest), or nil.
    func cursor(_ name: String) async throws -> String?

    /// Records the alerts whose ids are new (an id already recorded is skipped) and moves `cursors`, together.
    /// - Returns: How many alerts were new.
    func record(_ alerts: [Alert], cursors: [String: String]) async throws -> Int

    /// Alerts not yet in an incident, in arrival order, at most `limit`.
    func ungroupedAlerts(limit: Int) async throws -> [LedgerAlert]

    /// Incidents not closed whose last alert is at or after `since`.
    func incidents(activeSince since: Timestamp) async throws -> [TriageIncident]

    /// Saves incidents created or grown and puts each alert in its incident, together.
    func saveGrouping(_ incidents: [TriageIncident], assignments: [LedgerAssignment]) async throws

    /// Incidents whose alerts changed since their last investigation (not closed), oldest activity first.
    func incidentsToInvestigate(limit: Int) async throws -> [TriageIncident]

    /// An incident's alerts, most severe first, at most `limit`.
    func alerts(ofIncident id: String, limit: Int) async throws -> [Alert]

    /// Records an investigation of `revision`: the rating, the title and the report revision written, read-modify-written in
    /// one transaction so alerts that joined meanwhile keep the incident due for another look.
    func recordInvestigation(
        incident id: String,
        revision: Int,
        severity: Severity,
        title: String,
        reportID: String,
        reportRevision: Int
    ) async throws

    /// Applies a person's change to an incident (read, changed and written in one step) and returns it; nil when
    /// there is no such incident.
    /// - Throws: ``TriageIncident/ChangeError`` when the workflow refuses the change.
    func change(incident id: String, _ change: TriageIncident.Change) async throws -> TriageIncident?

    /// One incident.
    func incident(id: String) async throws -> TriageIncident?

    /// Incidents, most recent activity first.
    func incidents(_ query: IncidentQuery) async throws -> [TriageIncident]

    /// How many alerts and incidents are recorded.
    func triageCounts() async throws -> (alerts: Int, incidents: Int)
}

/// An alert as the ledger holds it: its arrival number and the alert.
public struct LedgerAlert: Sendable {
    /// The order it arrived in.
    public var sequence: Int64
    /// The alert.
    public var alert: Alert

    public init(sequence: Int64, alert: Alert) {
        self.sequence = sequence
        self.alert = alert
    }
}

/// An alert put in an incident.
public struct LedgerAssignment: Sendable, Equatable {
    /// The alert's arrival number.
    public var sequence: Int64
    /// The alert's id (a cluster ledger finds the alert's document by it).
    public var alertID: String
    /// The incident.
    public var incidentID: String

    public init(sequence: Int64, alertID: String, incidentID: String) {
        self.sequence = sequence
        self.alertID = alertID
        self.incidentID = incidentID
    }
}

/// Which incidents to list.
public struct IncidentQuery: Sendable {
    /// At or above this severity (investigated incidents only).
    public var minimumSeverity: Severity?
    /// With this status.
    public var status: TriageIncident.Status?
    /// Naming this host (any case).
    public var host: String?
    /// Whose last alert is at or after this time.
    public var activeSince: Timestamp?
    /// At most this many.
    public var limit: Int

    public init(
        minimumSeverity: Severity? = nil,
        status: TriageIncident.Status? = nil,
        host: String? = nil,
        activeSince: Timestamp? = nil,
        limit: Int = 100
    ) {
        self.minimumSeverity = minimumSeverity
        self.status = status
        self.host = host
        self.activeSince = activeSince
        self.limit = limit
    }
}
