public import SOCModel
import SOCStore

/// One behaviour rule firing on one group of events (one host, one source address or one account), with the
/// entities it concerns and the records it rests on.
public struct BehaviourHit: Sendable, Codable, Equatable {
    /// The rule that fired.
    public var rule: BehaviourRule
    /// The earliest and latest timestamp of the events counted, when they have one.
    public var firstSeen: Timestamp?
    public var lastSeen: Timestamp?
    /// How many events the hit counts (the event ids are capped; the count is not).
    public var count: Int
    /// The events' ids (``EventIdentifier/hex``), at most ``BehaviourHit/maxEventIDs``.
    public var eventIDs: [String]
    /// Host names, user names, IP addresses and process images or command lines, each at most
    /// ``BehaviourHit/maxEntities``, in the order first seen.
    public var hosts: [String]
    public var users: [String]
    public var addresses: [String]
    public var processes: [String]
    /// Short lines quoting the records' fields (data, never instructions), at most ``BehaviourHit/maxEvidence``.
    public var evidence: [String]

    /// The most event ids a hit keeps.
    public static let maxEventIDs = 50
    /// The most values a hit keeps per entity list.
    public static let maxEntities = 20
    /// The most evidence lines a hit keeps.
    public static let maxEvidence = 10
    /// The longest evidence line, in characters.
    public static let maxEvidenceLength = 300

    /// Creates a hit.
    public init(
        rule: BehaviourRule,
        firstSeen: Timestamp? = nil,
        lastSeen: Timestamp? = nil,
        count: Int = 0,
        eventIDs: [String] = [],
        hosts: [String] = [],
        users: [String] = [],
        addresses: [String] = [],
        processes: [String] = [],
        evidence: [String] = []
    ) {
        self.rule = rule
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.eventIDs = eventIDs
        self.hosts = hosts
        self.users = users
        self.addresses = addresses
        self.processes = processes
        self.evidence = evidence
    }

    enum CodingKeys: String, CodingKey {
        case rule
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case count
        case eventIDs = "event_ids"
        case hosts, users, addresses, processes, evidence
    }

    /// Reads a hit; timestamps are ISO 8601 UTC text (``Timestamp`` is not `Codable`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rule = try container.decode(BehaviourRule.self, forKey: .rule)
        firstSeen = try Self.decodeTimestamp(container, .firstSeen)
        lastSeen = try Self.decodeTimestamp(container, .lastSeen)
        count = try container.decode(Int.self, forKey: .count)
        eventIDs = try container.decodeIfPresent([String].self, forKey: .eventIDs) ?? []
        hosts = try container.decodeIfPresent([String].self, forKey: .hosts) ?? []
        users = try container.decodeIfPresent([String].self, forKey: .users) ?? []
        addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
        processes = try container.decodeIfPresent([String].self, forKey: .processes) ?? []
        evidence = try container.decodeIfPresent([String].self, forKey: .evidence) ?? []
    }

    /// Writes a hit; timestamps as ISO 8601 UTC text (`2021-12-04T21:19:16.741995Z`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rule, forKey: .rule)
        try container.encodeIfPresent(firstSeen?.iso8601, forKey: .firstSeen)
        try container.encodeIfPresent(lastSeen?.iso8601, forKey: .lastSeen)
        try container.encode(count, forKey: .count)
        try container.encode(eventIDs, forKey: .eventIDs)
        try container.encode(hosts, forKey: .hosts)
        try container.encode(users, forKey: .users)
        try container.encode(addresses, forKey: .addresses)
        try container.encode(processes, forKey: .processes)
        try container.encode(evidence, forKey: .evidence)
    }

    private static func decodeTimestamp(
        _ container: KeyedDecodingContainer<CodingKeys>,
        _ key: CodingKeys
    ) throws -> Timestamp? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        // The store's one ISO 8601 reader (date math with no arithmetic is a plain date).
        guard let time = DateMath.resolve(text, now: Timestamp(microsecondsSinceEpoch: 0), roundUp: false) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not an ISO 8601 time")
        }
        return time
    }
}
