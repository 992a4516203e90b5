/// An incident triage keeps: the alerts that share hosts, users or addresses within a time window, grouped, rated by
/// the last investigation, and where a person has taken it.
public struct TriageIncident: Codable, Sendable, Equatable {
    /// Where a person has taken the incident.
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Nobody has looked at it yet.
        case open
        /// Someone is on it.
        case acknowledged
        /// Dealt with; alerts that would have joined it start a new incident.
        case closed
    }

    /// The alerts of one rule (or title) in the incident, counted: a storm is one line with a large count.
    public struct RuleCount: Codable, Sendable, Equatable {
        /// Where the alerts arose.
        public var source: AlertSource
        /// The rule's identifier, else the title.
        public var rule: String
        /// The rule's name or the alerts' title.
        public var title: String
        /// The highest severity among them, on socagent's scale.
        public var severity: Severity
        /// How many alerts (each alert's own count summed).
        public var count: Int

        /// Creates a count.
        public init(source: AlertSource, rule: String, title: String, severity: Severity, count: Int) {
            self.source = source
            self.rule = rule
            self.title = title
            self.severity = severity
            self.count = count
        }
    }

    /// `INC-YYYYMMDD-HHMMSS-XXXXXX`: the first alert's UTC second and a digest of its id, so triaging the same data
    /// again names the same incident.
    public var id: String
    /// Where a person has taken it.
    public var status: Status
    /// What the last investigation rated it (nil before the first).
    public var severity: Severity?
    /// The last investigation's summary title, else the first alert's title.
    public var title: String
    /// The first and last alert's times.
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    /// Alerts that joined it (each alert's count summed).
    public var alertCount: Int
    /// Entities its alerts name, as first spelled (at most ``maximumEntities`` each).
    public var hosts: [String]
    public var users: [String]
    public var addresses: [String]
    /// ATT&CK techniques its alerts carry.
    public var techniques: [String]
    /// Its alerts by rule, most severe first (at most ``maximumRules``).
    public var rules: [RuleCount]
    /// Bumped each time alerts join; an investigation covers the revision it read.
    public var revision: Int
    /// The revision the last investigation covered (0: never investigated).
    public var investigatedRevision: Int
    /// The id of the last report written for it (its latest revision).
    public var reportID: String?
    /// How many report revisions have been written.
    public var reportRevisions: Int
    /// Who has taken it (a person's or a team's name), if anyone.
    public var assignee: String?
    /// How it was closed (set when closed, cleared when reopened).
    public var disposition: Disposition?
    /// Every change a person made, oldest first: who, when, and what.
    public var history: [Change] = []

    /// The most entities, rules kept per incident: what a person reads, not a log.
    public static let maximumEntities = 50
    public static let maximumRules = 100

    /// Whether alerts joined it since its last investigation.
    public var needsInvestigation: Bool { revision > investigatedRevision && status != .closed }

    /// Creates an incident from its first alert.
    public init(id: String, first alert: Alert, at time: Timestamp) {
        self.id = id
        status = .open
        severity = nil
        title = alert.title
        firstSeen = time
        lastSeen = time
        alertCount = 0
        hosts = []
        users = []
        addresses = []
        techniques = []
        rules = []
        revision = 0
        investigatedRevision = 0
        reportID = nil
        reportRevisions = 0
    }

    /// Takes what people decided — status, assignee, disposition, history — from `stored`, the incident as it is
    /// recorded now, so a grouping computed from an older copy never undoes a change made meanwhile.
    public mutating func keepWorkflow(of stored: TriageIncident) {
        status = stored.status
        assignee = stored.assignee
        disposition = stored.disposition
        history = stored.history
    }

    /// Applies a person's change: a status move, an assignee, a comment; recorded in ``history``.
    /// - Throws: ``ChangeError`` for a move the workflow does not allow (closing without a disposition, a
    ///   disposition on an incident left open) or a change that changes nothing.
    public mutating func apply(_ change: Change) throws(ChangeError) {
        if let comment = change.comment, comment.count > Change.maximumCommentLength {
            throw ChangeError("a comment is at most \(Change.maximumCommentLength) characters")
        }
        if let assignee = change.assignee, assignee.count > Change.maximumNameLength {
            throw ChangeError("an assignee is at most \(Change.maximumNameLength) characters")
        }
        let target = change.status ?? status
        if target == .closed, change.disposition == nil, !(status == .closed && disposition != nil) {
            throw ChangeError("closing an incident needs a disposition (\(Disposition.allCases.map(\.rawValue)))")
        }
        if change.disposition != nil, target != .closed {
            throw ChangeError("a disposition is given when closing (status closed)")
        }
        guard change.status != nil || change.assignee != nil || change.comment?.isEmpty == false else {
            throw ChangeError("nothing to change: give a status, an assignee or a comment")
        }
        status = target
        disposition = target == .closed ? (change.disposition ?? disposition) : nil
        if let assignee = change.assignee { self.assignee = assignee.isEmpty ? nil : assignee }
        history.append(change)
    }

    /// Takes `alert` in: its count, entities, techniques and rule; bumps the revision once per call.
    public mutating func add(_ alert: Alert, at time: Timestamp) {
        alertCount += max(1, alert.count)
        firstSeen = min(firstSeen, time)
        lastSeen = max(lastSeen, time)
        Self.merge(alert.hosts, into: &hosts)
        Self.merge(alert.users, into: &users)
        Self.merge(alert.addresses, into: &addresses)
        Self.merge(alert.techniques, into: &techniques)
        let rule = alert.rule ?? alert.title
        if let index = rules.firstIndex(where: { $0.source == alert.source && $0.rule == rule }) {
            rules[index].count += max(1, alert.count)
            rules[index].severity = max(rules[index].severity, alert.severity)
        } else if rules.count < Self.maximumRules {
            rules.append(
                RuleCount(
                    source: alert.source,
                    rule: rule,
                    title: alert.title,
                    severity: alert.severity,
                    count: max(1, alert.count)
                )
            )
        }
        rules.sort { ($0.severity, $0.count) > ($1.severity, $1.count) }
    }

    private static func merge(_ values: [String], into list: inout [String]) {
        for value in values where list.count < maximumEntities {
            if !list.contains(where: { $0.lowercased() == value.lowercased() }) { list.append(value) }
        }
    }

    /// How a closed incident turned out.
    public enum Disposition: String, Codable, Sendable, CaseIterable {
        /// A real attack or policy violation.
        case truePositive = "true_positive"
        /// The detection was wrong.
        case falsePositive = "false_positive"
        /// Real activity, but expected (an administrator, a scanner, a test).
        case benign
        /// Another incident covers it.
        case duplicate
    }

    /// A change a person made to an incident, as recorded.
    public struct Change: Codable, Sendable, Equatable {
        /// When, and who (the API token's name, or the signed-in person).
        public var at: Timestamp
        public var by: String
        /// The new status, if it moved.
        public var status: Status?
        /// Why it was closed.
        public var disposition: Disposition?
        /// The new assignee ("" to clear), if changed.
        public var assignee: String?
        /// What the person wrote.
        public var comment: String?

        /// The longest comment and name kept.
        public static let maximumCommentLength = 4_000
        public static let maximumNameLength = 200

        public init(
            at: Timestamp,
            by: String,
            status: Status? = nil,
            disposition: Disposition? = nil,
            assignee: String? = nil,
            comment: String? = nil
        ) {
            self.at = at
            self.by = by
            self.status = status
            self.disposition = disposition
            self.assignee = assignee
            self.comment = comment
        }

        enum CodingKeys: String, CodingKey {
            case at, by, status, disposition, assignee, comment
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            at = Timestamp(microsecondsSinceEpoch: try container.decode(Int64.self, forKey: .at))
            by = try container.decode(String.self, forKey: .by)
            status = try container.decodeIfPresent(Status.self, forKey: .status)
            disposition = try container.decodeIfPresent(Disposition.self, forKey: .disposition)
            assignee = try container.decodeIfPresent(String.self, forKey: .assignee)
            comment = try container.decodeIfPresent(String.self, forKey: .comment)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at.microsecondsSinceEpoch, forKey: .at)
            try container.encode(by, forKey: .by)
            try container.encodeIfPresent(status, forKey: .status)
            try container.encodeIfPresent(disposition, forKey: .disposition)
            try container.encodeIfPresent(assignee, forKey: .assignee)
            try container.encodeIfPresent(comment, forKey: .comment)
        }
    }

    /// A change the workflow refuses, with the reason.
    public struct ChangeError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, severity, title, assignee, disposition, history
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case firstSeenMicroseconds = "first_seen_us"
        case lastSeenMicroseconds = "last_seen_us"
        case alertCount = "alerts"
        case hosts, users
        case addresses = "source_ips"
        case techniques = "attack_techniques"
        case rules, revision
        case investigatedRevision = "investigated_revision"
        case reportID = "report"
        case reportRevisions = "report_revisions"
    }

    /// Reads an incident (times from their microsecond fields).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(Status.self, forKey: .status)
        severity = try container.decodeIfPresent(Severity.self, forKey: .severity)
        title = try container.decode(String.self, forKey: .title)
        firstSeen = Timestamp(microsecondsSinceEpoch: try container.decode(Int64.self, forKey: .firstSeenMicroseconds))
        lastSeen = Timestamp(microsecondsSinceEpoch: try container.decode(Int64.self, forKey: .lastSeenMicroseconds))
        alertCount = try container.decode(Int.self, forKey: .alertCount)
        hosts = try container.decodeIfPresent([String].self, forKey: .hosts) ?? []
        users = try container.decodeIfPresent([String].self, forKey: .users) ?? []
        addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
        techniques = try container.decodeIfPresent([String].self, forKey: .techniques) ?? []
        rules = try container.decodeIfPresent([RuleCount].self, forKey: .rules) ?? []
        revision = try container.decodeIfPresent(Int.self, forKey: .revision) ?? 0
        investigatedRevision = try container.decodeIfPresent(Int.self, forKey: .investigatedRevision) ?? 0
        reportID = try container.decodeIfPresent(String.self, forKey: .reportID)
        reportRevisions = try container.decodeIfPresent(Int.self, forKey: .reportRevisions) ?? 0
        assignee = try container.decodeIfPresent(String.self, forKey: .assignee)
        disposition = try container.decodeIfPresent(Disposition.self, forKey: .disposition)
        history = try container.decodeIfPresent([Change].self, forKey: .history) ?? []
    }

    /// Writes an incident: times as ISO 8601 UTC with milliseconds for people, and in microseconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(severity, forKey: .severity)
        try container.encode(title, forKey: .title)
        try container.encode(firstSeen.iso8601Milliseconds, forKey: .firstSeen)
        try container.encode(lastSeen.iso8601Milliseconds, forKey: .lastSeen)
        try container.encode(firstSeen.microsecondsSinceEpoch, forKey: .firstSeenMicroseconds)
        try container.encode(lastSeen.microsecondsSinceEpoch, forKey: .lastSeenMicroseconds)
        try container.encode(alertCount, forKey: .alertCount)
        try container.encode(hosts, forKey: .hosts)
        try container.encode(users, forKey: .users)
        try container.encode(addresses, forKey: .addresses)
        try container.encode(techniques, forKey: .techniques)
        try container.encode(rules, forKey: .rules)
        try container.encode(revision, forKey: .revision)
        try container.encode(investigatedRevision, forKey: .investigatedRevision)
        try container.encodeIfPresent(reportID, forKey: .reportID)
        try container.encode(reportRevisions, forKey: .reportRevisions)
        try container.encodeIfPresent(assignee, forKey: .assignee)
        try container.encodeIfPresent(disposition, forKey: .disposition)
        if !history.isEmpty { try container.encode(history, forKey: .history) }
    }
}
