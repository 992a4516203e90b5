public import SOCModel

/// One event as investigation queries report it: the fields an analyst reads first.
public struct EventSummary: Hashable, Sendable, Codable {
    /// The event's id (32 hex characters).
    public var id: String
    /// `@timestamp`, ISO 8601.
    public var timestamp: String?
    /// `event.code`.
    public var code: String?
    /// `event.action`.
    public var action: String?
    /// `event.outcome`.
    public var outcome: String?
    /// `host.name`.
    public var host: String?
    /// `user.name`.
    public var user: String?
    /// `user.domain`.
    public var domain: String?
    /// `source.ip`.
    public var sourceIP: String?
    /// `source.port`.
    public var sourcePort: Int64?
    /// `destination.ip`.
    public var destinationIP: String?
    /// `destination.port`.
    public var destinationPort: Int64?
    /// `process.name`.
    public var processName: String?
    /// `process.executable`.
    public var processExecutable: String?
    /// `process.command_line`.
    public var commandLine: String?
    /// `process.parent.name`.
    public var parentName: String?
    /// `event.reason` (why a logon failed).
    public var reason: String?
    /// PowerShell script text (4104's `ScriptBlockText`, 4103's `Payload`), at most 2,000 characters.
    public var script: String?
    /// How many attempts the record stands for ("message repeated 3 times").
    public var count: Int
    /// The input format.
    public var format: String?

    /// Summarizes a full event.
    public init(_ event: SecurityEvent) {
        id = event.id.hex
        timestamp = event.timestamp?.iso8601
        code = event.code
        action = event.action
        outcome = event.outcome
        host = event.string(ECSField.hostName)
        user = event.string(ECSField.userName)
        domain = event.string(ECSField.userDomain)
        sourceIP = event.string(ECSField.sourceIP)
        sourcePort = event[ECSField.sourcePort]?.integerValue
        destinationIP = event.string(ECSField.destinationIP)
        destinationPort = event[ECSField.destinationPort]?.integerValue
        processName = event.string(ECSField.processName)
        processExecutable = event.string(ECSField.processExecutable)
        commandLine = event.string(ECSField.processCommandLine)
        parentName = event.string(ECSField.processParentName)
        reason = event.string(ECSField.eventReason)
        script = (event.string(ECSField.eventData("ScriptBlockText")) ?? event.string(ECSField.eventData("Payload")))
            .map { $0.count > 2000 ? String($0.prefix(2000)) : $0 }
        count = InvestigationRules.repeatCount(event)
        format = event.string(ECSField.sourceFormat)
    }

    enum CodingKeys: String, CodingKey {
        case id, timestamp, code, action, outcome, host, user, domain
        case sourceIP = "source_ip"
        case sourcePort = "source_port"
        case destinationIP = "destination_ip"
        case destinationPort = "destination_port"
        case processName = "process_name"
        case processExecutable = "process_executable"
        case commandLine = "command_line"
        case parentName = "parent_name"
        case reason, script, count, format
    }
}

/// A process creation flagged as suspicious, with why.
public struct ProcessFinding: Hashable, Sendable, Codable {
    /// The process creation.
    public var event: EventSummary
    /// Each reason it is suspicious, for people, such as "encoded PowerShell command (T1027)".
    public var reasons: [String]
    /// The identifiers of the rules it matched (``InvestigationRules/ProcessRule/id``), in the order of `reasons`:
    /// what the analyst decides by.
    public var rules: [String]

    /// Creates a finding from the rules a process matched.
    public init(event: EventSummary, matches: [InvestigationRules.ProcessRuleMatch]) {
        self.event = event
        self.reasons = matches.map(\.text)
        self.rules = matches.map(\.ruleID)
    }
}

/// Failed logins from one source address, and whether that address then logged on.
public struct BruteForceSource: Hashable, Sendable, Codable {
    /// The source address.
    public var sourceIP: String
    /// Failed attempts (a repeated syslog line counts as its repetitions).
    public var failures: Int
    /// Distinct target user names.
    public var users: Int
    /// The most-tried user names, most tried first (at most ten).
    public var userNames: [String]
    /// The first failure, ISO 8601.
    public var firstSeen: String?
    /// The last failure, ISO 8601.
    public var lastSeen: String?
    /// Successful logons from this address at or after its first failure: a successful brute force.
    public var successes: Int

    /// Creates a result.
    public init(
        sourceIP: String,
        failures: Int,
        users: Int,
        userNames: [String],
        firstSeen: String?,
        lastSeen: String?,
        successes: Int
    ) {
        self.sourceIP = sourceIP
        self.failures = failures
        self.users = users
        self.userNames = userNames
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.successes = successes
    }

    enum CodingKeys: String, CodingKey {
        case sourceIP = "source_ip"
        case failures, users
        case userNames = "user_names"
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case successes
    }
}

/// The answer to a Lucene search: the exact number of matches and the first events.
public struct SearchResult: Sendable {
    /// Every matching event, counted exactly.
    public var total: Int
    /// Up to the requested number of events, newest first.
    public var events: [SecurityEvent]
    /// Creates a result.
    public init(total: Int, events: [SecurityEvent]) {
        self.total = total
        self.events = events
    }
}
