/// Where an alert arose.
public enum AlertSource: String, Codable, Sendable, CaseIterable {
    /// A Sigma rule matched a stored event (`socagent hunt`).
    case sigma
    /// A behavioural detection socagent ran over the store (brute force, lateral movement, ransomware…).
    case behaviour
    /// Elastic Security's detection engine (`.alerts-security.alerts-*`, 7.x `.siem-signals-*`, webhook JSON).
    case elasticSecurity = "elastic_security"
    /// Microsoft Sentinel (SecurityIncident / SecurityAlert rows, the incidents REST shape).
    case sentinel
    /// An alert file dropped into an inbox folder, or a record read from standard input.
    case file
    /// Text a person typed or pasted.
    case text
}

/// One alert, from wherever it arose, in one typed shape: what triage groups into incidents and what an
/// investigation starts from.
///
/// Everything in it except ``source`` and ``severity`` comes from log content or from another product: it is data,
/// never an instruction.
public struct Alert: Sendable, Equatable, Codable {
    /// Where it arose.
    public var source: AlertSource
    /// Its identity, stable across runs: the same alert read twice has the same id (`sigma:RULE:EVENT`,
    /// `elastic_security:DOCUMENT-ID`, `file:SHA-256`…). Empty for typed text.
    public var id: String
    /// When it happened (the event's time, else the alert's).
    public var time: Timestamp?
    /// The rule's name or the alert's title.
    public var title: String
    /// The rule's identifier, when a rule raised it.
    public var rule: String?
    /// The severity the source gave, in its own words (`high`, `Medium`, `critical`, `73`).
    public var sourceSeverity: String?
    /// The source's severity on socagent's scale (see ``Alert/severity(fromSource:)``).
    public var severity: Severity
    /// Hosts named, as the source spells them.
    public var hosts: [String]
    /// Accounts named.
    public var users: [String]
    /// IP addresses named (sources and destinations).
    public var addresses: [String]
    /// Process images or command lines named.
    public var processes: [String]
    /// File hashes named.
    public var hashes: [String]
    /// MITRE ATT&CK technique ids.
    public var techniques: [String]
    /// How many identical occurrences this alert stands for (a behavioural detection over many events).
    public var count: Int
    /// The text an analyst reads: a pasted line, the original record, or the rule and its evidence.
    public var text: String
    /// The parsed event, when the alert is a record; not kept with a stored alert (``text`` holds the record).
    public var event: SecurityEvent?

    /// An alert given as text (and the event it was read from, when it is a record): what `socagent analyze` builds.
    public init(text: String, event: SecurityEvent? = nil) {
        self.init(
            source: .text,
            id: "",
            time: event?.timestamp,
            title: String(text.prefix { $0 != "\n" }.prefix(200)),
            severity: .low,
            text: text,
            event: event
        )
    }

    /// Creates an alert.
    public init(
        source: AlertSource,
        id: String,
        time: Timestamp?,
        title: String,
        rule: String? = nil,
        sourceSeverity: String? = nil,
        severity: Severity,
        hosts: [String] = [],
        users: [String] = [],
        addresses: [String] = [],
        processes: [String] = [],
        hashes: [String] = [],
        techniques: [String] = [],
        count: Int = 1,
        text: String,
        event: SecurityEvent? = nil
    ) {
        self.source = source
        self.id = id
        self.time = time
        self.title = title
        self.rule = rule
        self.sourceSeverity = sourceSeverity
        self.severity = severity
        self.hosts = hosts
        self.users = users
        self.addresses = addresses
        self.processes = processes
        self.hashes = hashes
        self.techniques = techniques
        self.count = count
        self.text = text
        self.event = event
    }

    enum CodingKeys: String, CodingKey {
        case source, id, time, title, rule
        case sourceSeverity = "source_severity"
        case severity, hosts, users, addresses, processes, hashes, techniques, count, text
    }

    /// Reads an alert as stored (`time` as ISO 8601 UTC with microseconds).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(AlertSource.self, forKey: .source)
        id = try container.decode(String.self, forKey: .id)
        time = try container.decodeIfPresent(Int64.self, forKey: .time).map(Timestamp.init(microsecondsSinceEpoch:))
        title = try container.decode(String.self, forKey: .title)
        rule = try container.decodeIfPresent(String.self, forKey: .rule)
        sourceSeverity = try container.decodeIfPresent(String.self, forKey: .sourceSeverity)
        severity = try container.decode(Severity.self, forKey: .severity)
        hosts = try container.decodeIfPresent([String].self, forKey: .hosts) ?? []
        users = try container.decodeIfPresent([String].self, forKey: .users) ?? []
        addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
        processes = try container.decodeIfPresent([String].self, forKey: .processes) ?? []
        hashes = try container.decodeIfPresent([String].self, forKey: .hashes) ?? []
        techniques = try container.decodeIfPresent([String].self, forKey: .techniques) ?? []
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        text = try container.decodeIfPresent(String.self, forKey: .text) ?? ""
        event = nil
    }

    /// Writes an alert (`time` as microseconds since the epoch; the parsed event is not written).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(time?.microsecondsSinceEpoch, forKey: .time)
        try container.encode(title, forKey: .title)
        try container.encodeIfPresent(rule, forKey: .rule)
        try container.encodeIfPresent(sourceSeverity, forKey: .sourceSeverity)
        try container.encode(severity, forKey: .severity)
        try container.encode(hosts, forKey: .hosts)
        try container.encode(users, forKey: .users)
        try container.encode(addresses, forKey: .addresses)
        try container.encode(processes, forKey: .processes)
        try container.encode(hashes, forKey: .hashes)
        try container.encode(techniques, forKey: .techniques)
        try container.encode(count, forKey: .count)
        try container.encode(text, forKey: .text)
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.source == rhs.source && lhs.id == rhs.id && lhs.time == rhs.time && lhs.title == rhs.title
            && lhs.rule == rhs.rule && lhs.sourceSeverity == rhs.sourceSeverity && lhs.severity == rhs.severity
            && lhs.hosts == rhs.hosts && lhs.users == rhs.users && lhs.addresses == rhs.addresses
            && lhs.processes == rhs.processes && lhs.hashes == rhs.hashes && lhs.techniques == rhs.techniques
            && lhs.count == rhs.count && lhs.text == rhs.text
    }

    /// A source's own severity word or number on socagent's scale, by what the levels mean: SigmaHQ's and Elastic's
    /// `critical` ("indicates an incident") → HIGH, `high` ("should trigger an internal alert and prompt review") →
    /// MEDIUM, `medium` ("should be reviewed") → MEDIUM, `low`/`informational` → LOW; Elastic's risk score (0–100):
    /// ≥ 99 HIGH, ≥ 47 MEDIUM, else LOW. The rubric raises a corroborated incident above this (``Severity``).
    public static func severity(fromSource word: String?) -> Severity {
        guard let word = word?.lowercased().filter({ $0 != " " }), !word.isEmpty else { return .low }
        if let score = Double(word) { return score >= 99 ? .high : score >= 47 ? .medium : .low }
        switch word {
        case "critical", "crit", "severe", "veryhigh": return .high
        case "high", "medium", "moderate", "med": return .medium
        default: return .low
        }
    }
}

extension Alert {
    /// Accounts every Windows host has (and `-`, empty): naming one ties no alerts together.
    public static let sharedAccounts: Set<String> = [
        "system", "local service", "network service", "anonymous logon", "-", "", "n/a", "nt authority\\system",
        "dwm-1", "dwm-2", "dwm-3", "umfd-0", "umfd-1", "umfd-2", "window manager", "font driver host",
    ]

    /// Whether `account` says who acted: not one of ``sharedAccounts``, not a machine account (`NAME$`).
    public static func namesAPerson(_ account: String) -> Bool {
        let lower = account.lowercased()
        return !sharedAccounts.contains(lower) && !lower.hasSuffix("$")
    }

    /// The event the alert fired on, when its id names one (a Sigma detection, `sigma:RULE:EVENT`), else its id:
    /// two alerts with one event key are one piece of evidence.
    public var eventKey: String {
        let parts = id.split(separator: ":")
        return source == .sigma && parts.count == 3 ? String(parts[2]) : id
    }
}
