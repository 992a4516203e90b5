/// How bad an incident is, on the rubric analysts use: LOW < MEDIUM < HIGH < CRITICAL.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case low = "LOW"
    case medium = "MEDIUM"
    case high = "HIGH"
    case critical = "CRITICAL"

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// `CRITICAL`, `HIGH`, `MEDIUM` or `LOW`.
    public var description: String { rawValue }
}

/// A JSON value, for the parts of a report whose shape is the tool's (a tool call's input).
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// What kind of evidence a finding is: what correlation and the severity rubric work on.
public enum FindingKind: String, Codable, Sendable, CaseIterable {
    /// Many failed logins from one source against one account or a few (T1110.001), or many accounts (spraying,
    /// T1110.003).
    case bruteForce = "brute_force"
    /// Failed logins for one account, from wherever they came.
    case failedLogins = "failed_logins"
    /// A successful logon from a source after its failures: the brute force worked.
    case logonAfterFailures = "logon_after_failures"
    /// Process starts or PowerShell activity a process rule flags.
    case suspiciousProcess = "suspicious_process"
    /// Connections from a host to public destinations.
    case outboundConnection = "outbound_connection"
    /// Sigma rules that matched events (saved by `socagent hunt`).
    case sigmaDetection = "sigma_detection"
    /// Threat intelligence rates an address or a file malicious or suspicious.
    case intelligenceVerdict = "intelligence_verdict"
    /// A vulnerability: a known-exploited or critical CVE.
    case vulnerability
    /// Failures, a logon, then suspicious activity on the same host: the findings it joins, as one.
    case attackChain = "attack_chain"
    /// A behavioural detection over the store (lateral movement, ransomware, exfiltration, persistence, defence
    /// evasion, credential access), rated by its rule.
    case behaviour
    /// An alert from another product (Elastic Security, Sentinel, an alert file), rated by the source's severity.
    case externalAlert = "external_alert"
    /// Independent findings of one incident that together raise it.
    case corroboration
}

/// The things a finding concerns: what correlation joins findings by.
public struct FindingEntities: Codable, Sendable, Equatable {
    /// Host names, as the events spell them.
    public var hosts: [String]
    /// User names.
    public var users: [String]
    /// IP addresses (sources of failures, destinations of connections, looked-up addresses).
    public var addresses: [String]
    /// Process images or command lines, and file hashes.
    public var processes: [String]

    /// Creates a set of entities; each list empty unless given.
    public init(hosts: [String] = [], users: [String] = [], addresses: [String] = [], processes: [String] = []) {
        self.hosts = hosts
        self.users = users
        self.addresses = addresses
        self.processes = processes
    }

    /// Whether no entity is named.
    public var isEmpty: Bool { hosts.isEmpty && users.isEmpty && addresses.isEmpty && processes.isEmpty }

    enum CodingKeys: String, CodingKey {
        case hosts, users, addresses, processes
    }

    /// Reads entities; a missing list is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hosts = try container.decodeIfPresent([String].self, forKey: .hosts) ?? []
        users = try container.decodeIfPresent([String].self, forKey: .users) ?? []
        addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
        processes = try container.decodeIfPresent([String].self, forKey: .processes) ?? []
    }
}

/// Something the investigation established, with the evidence and the ATT&CK techniques it points to.
///
/// Its meaning is typed: ``kind``, the ``rule`` of the rubric (or the process rule) that set its severity, and the
/// ``entities`` it concerns. ``title`` and ``detail`` are words for people; nothing is decided by them.
public struct Finding: Codable, Sendable, Equatable {
    public var title: String
    public var severity: Severity
    /// What it means, for people.
    public var detail: String
    /// The records or tool results it rests on (quoted data, never instructions).
    public var evidence: [String]
    /// MITRE ATT&CK technique ids (`T1110.001`).
    public var attackTechniques: [String]
    /// What kind of evidence it is (absent in reports written before kinds existed).
    public var kind: FindingKind?
    /// The identifier of the rubric row or process rule that set its severity (`brute-force`,
    /// `process.credential-dumping`).
    public var rule: String?
    /// The hosts, users, addresses and processes it concerns.
    public var entities: FindingEntities

    enum CodingKeys: String, CodingKey {
        case title, severity, detail, evidence
        case attackTechniques = "attack_techniques"
        case kind, rule, entities
    }

    /// Creates a finding.
    public init(
        title: String,
        severity: Severity,
        detail: String,
        evidence: [String] = [],
        attackTechniques: [String] = [],
        kind: FindingKind? = nil,
        rule: String? = nil,
        entities: FindingEntities = FindingEntities()
    ) {
        self.title = title
        self.severity = severity
        self.detail = detail
        self.evidence = evidence
        self.attackTechniques = attackTechniques
        self.kind = kind
        self.rule = rule
        self.entities = entities
    }

    /// Reads a finding; reports written before kinds, rules and entities existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try container.decode(String.self, forKey: .title)
        severity = try container.decode(Severity.self, forKey: .severity)
        detail = try container.decode(String.self, forKey: .detail)
        evidence = try container.decodeIfPresent([String].self, forKey: .evidence) ?? []
        attackTechniques = try container.decodeIfPresent([String].self, forKey: .attackTechniques) ?? []
        kind = try container.decodeIfPresent(FindingKind.self, forKey: .kind)
        rule = try container.decodeIfPresent(String.self, forKey: .rule)
        entities = try container.decodeIfPresent(FindingEntities.self, forKey: .entities) ?? FindingEntities()
    }
}

/// One step of the attack chain, in time order.
public struct TimelineEntry: Codable, Sendable, Hashable {
    /// ISO 8601 UTC.
    public var timestamp: String
    /// What happened.
    public var description: String
    /// Where it was seen (host, user, address).
    public var subject: String?

    public init(timestamp: String, description: String, subject: String? = nil) {
        self.timestamp = timestamp
        self.description = description
        self.subject = subject
    }
}

/// A tool the analyst ran, with what it was asked and a summary of what it answered.
public struct ToolCallRecord: Codable, Sendable, Equatable {
    public var tool: String
    public var input: JSONValue
    public var resultSummary: String
    public var durationMilliseconds: Int
    /// Why the call failed, when it did (its summary then starts `error:`): a failed tool is never "nothing found".
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case tool, input
        case resultSummary = "result_summary"
        case durationMilliseconds = "duration_ms"
        case error
    }

    /// Records a call.
    public init(tool: String, input: JSONValue, resultSummary: String, durationMilliseconds: Int, error: String? = nil)
    {
        self.tool = tool
        self.input = input
        self.resultSummary = resultSummary
        self.durationMilliseconds = durationMilliseconds
        self.error = error
    }
}

/// Which analyst wrote a report: the deterministic playbook alone, or a model over it.
public enum AnalystMode: String, Codable, Sendable, CaseIterable {
    /// The deterministic analyst (no model).
    case offline
    /// Claude through the Anthropic Messages API.
    case anthropic
    /// A model behind an OpenAI-compatible server.
    case openAICompatible = "openai"
}

/// Who produced the report: the deterministic analyst or a model, and what the model used.
public struct AnalystInfo: Codable, Sendable, Equatable {
    /// The analyst: `offline`, `anthropic` or `openai` in JSON.
    public var mode: AnalystMode
    /// The model, when one was used.
    public var model: String?
    /// Tokens the model read and wrote.
    public var inputTokens: Int?
    public var outputTokens: Int?
    /// Model turns taken.
    public var turns: Int?
    /// What the investigation actually consulted: the event store, and each intelligence source that answered
    /// (`abuseipdb (cached)`); absent in reports written before it was recorded.
    public var consulted: [String]?

    enum CodingKeys: String, CodingKey {
        case mode, model
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case turns, consulted
    }

    public init(
        mode: AnalystMode,
        model: String? = nil,
        inputTokens: Int? = nil,
        outputTokens: Int? = nil,
        turns: Int? = nil,
        consulted: [String]? = nil
    ) {
        self.mode = mode
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.turns = turns
        self.consulted = consulted
    }
}

/// An incident report: `reports/INC-YYYYMMDD-HHMMSS.json`.
public struct IncidentReport: Codable, Sendable, Equatable {
    /// `INC-YYYYMMDD-HHMMSS`, with `-2`, `-3`… when several reports share a second; set when written.
    public var incidentID: String
    /// ISO 8601 UTC.
    public var createdAt: String
    public var severity: Severity
    /// Why the severity is what it is, one rubric line each.
    public var severityReasons: [String]
    public var summary: String
    /// The alert or event text that started the investigation.
    public var alert: String?
    public var indicators: IndicatorSet
    public var findings: [Finding]
    public var attackTechniques: [String]
    public var timeline: [TimelineEntry]
    public var recommendations: [String]
    public var toolCalls: [ToolCallRecord]
    public var analyst: AnalystInfo
    /// For a manager: what happened, the impact, who and what is affected, what to do now.
    public var executiveSummary: ExecutiveSummary?
    /// `true` when the report is about generated data (`socagent demo`), never a real incident.
    public var synthetic: Bool?

    enum CodingKeys: String, CodingKey {
        case incidentID = "incident_id"
        case createdAt = "created_at"
        case severity
        case severityReasons = "severity_reasons"
        case summary,
            alert, indicators, findings
        case attackTechniques = "attack_techniques"
        case timeline, recommendations
        case
            toolCalls = "tool_calls"
        case analyst
        case executiveSummary = "executive_summary"
        case synthetic
    }

    public init(
        incidentID: String = "",
        createdAt: String,
        severity: Severity,
        severityReasons: [String],
        summary: String,
        alert: String? = nil,
        indicators: IndicatorSet = IndicatorSet(),
        findings: [Finding] = [],
        attackTechniques: [String] = [],
        timeline: [TimelineEntry] = [],
        recommendations: [String] = [],
        toolCalls: [ToolCallRecord] = [],
        analyst: AnalystInfo,
        executiveSummary: ExecutiveSummary? = nil,
        synthetic: Bool? = nil
    ) {
        self.incidentID = incidentID
        self.createdAt = createdAt
        self.severity = severity
        self.severityReasons = severityReasons
        self.summary = summary
        self.alert = alert
        self.indicators = indicators
        self.findings = findings
        self.attackTechniques = attackTechniques
        self.timeline = timeline
        self.recommendations = recommendations
        self.toolCalls = toolCalls
        self.analyst = analyst
        self.executiveSummary = executiveSummary
        self.synthetic = synthetic
    }
}

/// A report's first lines, for a manager: what happened, the impact, the hosts and accounts affected, what to do now.
public struct ExecutiveSummary: Codable, Sendable, Equatable {
    /// What happened, in a sentence or two.
    public var whatHappened: String
    /// What it means: the severity and the guide's line for it.
    public var impact: String
    /// The hosts the findings concern, each spelled once (as its events spell it).
    public var hosts: [String]
    /// The accounts the findings concern.
    public var accounts: [String]
    /// The first things to do.
    public var actNow: [String]

    enum CodingKeys: String, CodingKey {
        case whatHappened = "what_happened"
        case impact
        case hosts = "affected_hosts"
        case accounts = "affected_accounts"
        case actNow = "act_now"
    }

    /// Creates a summary.
    public init(whatHappened: String, impact: String, hosts: [String], accounts: [String], actNow: [String]) {
        self.whatHappened = whatHappened
        self.impact = impact
        self.hosts = hosts
        self.accounts = accounts
        self.actNow = actNow
    }

    /// The summary of `report` as it stands: its summary line, its severity's meaning, the hosts and accounts of its
    /// findings (one spelling each, at most ten), and its first three recommendations.
    /// - Parameter meaning: The guide's line for the report's severity.
    public init(report: IncidentReport, meaning: String) {
        let prefix = report.severity.rawValue + ": "
        whatHappened =
            report.summary.hasPrefix(prefix) ? String(report.summary.dropFirst(prefix.count)) : report.summary
        impact = "\(report.severity.rawValue) — \(meaning)."
        hosts = Self.once(report.findings.flatMap(\.entities.hosts))
        accounts = Self.once(report.findings.flatMap(\.entities.users))
        actNow = Array(report.recommendations.prefix(3))
    }

    /// Each name once, case-insensitively, first spelling kept; at most ten.
    private static func once(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return Array(names.filter { seen.insert($0.lowercased()).inserted }.prefix(10))
    }
}
