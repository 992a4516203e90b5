import SOCModel

/// An event as the Sigma engine reads it: the values of the rules' field slots, resolved and lower-cased at most
/// once per event for the case-insensitive matching Sigma requires.
final class EventView {
    /// The event.
    let event: SecurityEvent
    let channel: String?
    /// The channel lower-cased, for comparing with log sources.
    let lowerChannel: String?
    let eventCode: String?
    let format: String?
    let program: String?
    private let registry: FieldRegistry
    private let cache: SlotCache
    private var lowerText: Text?

    /// A view of `event`; `cache` (one per thread, reused from event to event) keeps its resolved values.
    init(_ event: SecurityEvent, registry: FieldRegistry, cache: SlotCache) {
        self.event = event
        self.registry = registry
        self.cache = cache
        cache.startEvent()
        channel = event.string(ECSField.winlogChannel)
        lowerChannel = channel?.lowercased()
        eventCode = event.code
        format = event.string(ECSField.sourceFormat)
        program = event.string(ECSField.processName) ?? event.string(ECSField.logSyslogAppName)
    }

    /// A field name as Sigma writes it: some providers name event data with spaces ("Threat Name"), Sigma without.
    static func spaceless(_ name: String) -> String { name.filter { $0 != " " } }

    /// Event data names with spaces, by their name without spaces (built once, only when asked).
    private lazy var spacelessEventData: [String: String] = {
        var names: [String: String] = [:]
        for name in event.fields.names where name.hasPrefix(ECSField.winlogEventDataPrefix) && name.contains(" ") {
            names[Self.spaceless(String(name.dropFirst(ECSField.winlogEventDataPrefix.count)))] = name
        }
        return names
    }()

    /// The values of a registered field slot, lower-cased or not, resolved and converted once per event.
    func values(slot: Int, lowered: Bool) -> [Text] {
        if let cached = cache.values(slot: slot, lowered: lowered) { return cached }
        var found: [String] = []
        for key in registry.candidates[slot] {
            if let value = event.fields[key] {
                found = value.stringValues
                break
            }
        }
        if found.isEmpty, hasSpacedNames, let name = registry.eventDataNames[slot], let spaced = spacelessEventData[name], let value = event[spaced] {
            found = value.stringValues
        }
        let texts = found.map { Text(lowered ? $0.lowercased() : $0) }
        cache.store(texts, slot: slot, lowered: lowered)
        return texts
    }

    /// Whether any field name has a space (rare; only then is ``spacelessEventData`` worth building).
    private lazy var hasSpacedNames: Bool = event.fields.names.contains { $0.utf8.contains(0x20) }

    /// Everything keyword selections search: the message and the original record, lower-cased.
    var lowerFullText: Text {
        if let lowerText { return lowerText }
        let text = Text(((event.string(ECSField.message) ?? "") + "\n" + event.original).lowercased())
        lowerText = text
        return text
    }
}

/// The resolved values of one event's field slots, reused from event to event by one thread: a generation stamp
/// per slot says whether a value belongs to the current event, so starting an event costs nothing per slot.
final class SlotCache {
    private var generation: UInt32 = 0
    private var lowerStamps: [UInt32]
    private var originalStamps: [UInt32]
    private var lower: [[Text]]
    private var original: [[Text]]

    init(slots: Int) {
        lowerStamps = Array(repeating: 0, count: slots)
        originalStamps = lowerStamps
        lower = Array(repeating: [], count: slots)
        original = lower
    }

    func startEvent() {
        generation &+= 1
        if generation == 0 {  // wrapped: forget every stamp
            generation = 1
            for index in lowerStamps.indices { (lowerStamps[index], originalStamps[index]) = (0, 0) }
        }
    }

    func values(slot: Int, lowered: Bool) -> [Text]? {
        if lowered { return lowerStamps[slot] == generation ? lower[slot] : nil }
        return originalStamps[slot] == generation ? original[slot] : nil
    }

    func store(_ texts: [Text], slot: Int, lowered: Bool) {
        if lowered {
            lower[slot] = texts
            lowerStamps[slot] = generation
        } else {
            original[slot] = texts
            originalStamps[slot] = generation
        }
    }
}

/// A value and its UTF-8 bytes, so patterns compare bytes (Foundation's string search is far too slow here).
struct Text {
    let string: String
    let bytes: [UInt8]
    init(_ string: String) {
        self.string = string
        self.bytes = Array(string.utf8)
    }
}
