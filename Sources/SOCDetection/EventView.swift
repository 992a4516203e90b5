import SOCModel

/// An event as the Sigma engine reads it: the values of the rules' field slots, resolved, converted to UTF-8 bytes
/// and lower-cased at most once per event for the case-insensitive matching Sigma requires.
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
    let cache: SlotCache

    /// A view of `event`; `cache` (one per thread, reused from event to event) keeps its resolved values.
    init(_ event: SecurityEvent, registry: FieldRegistry, cache: SlotCache) {
        self.event = event
        self.registry = registry
        self.cache = cache
        cache.startEvent()
        let fields = event.fields
        channel = fields[Self.channelKey]?.stringValue
        lowerChannel = channel?.lowercased()
        eventCode = fields[Self.codeKey]?.stringValue
        format = fields[Self.formatKey]?.stringValue
        program = fields[Self.processNameKey]?.stringValue ?? fields[Self.appNameKey]?.stringValue
    }

    private static let channelKey = FieldKey(ECSField.winlogChannel)
    private static let codeKey = FieldKey(ECSField.eventCode)
    private static let formatKey = FieldKey(ECSField.sourceFormat)
    private static let processNameKey = FieldKey(ECSField.processName)
    private static let appNameKey = FieldKey(ECSField.logSyslogAppName)
    static let messageKey = FieldKey(ECSField.message)

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

    /// Whether any field name has a space (rare; only then is ``spacelessEventData`` worth building).
    private lazy var hasSpacedNames: Bool = event.fields.names.contains { $0.utf8.contains(0x20) }

    /// The value of a registered field slot: the first of its candidate fields the event has.
    private func value(slot: Int) -> FieldValue? {
        for key in registry.candidates[slot] {
            guard let value = event.fields[key] else { continue }
            if case .strings(let list) = value, list.isEmpty { break }  // present but empty: try the spaced name
            return value
        }
        if hasSpacedNames, let name = registry.eventDataNames[slot], let spaced = spacelessEventData[name] {
            return event[spaced]
        }
        return nil
    }

    /// The values of a slot as byte strings in ``cache``, lower-cased or not, converted once per event.
    func values(slot: Int, lowered: Bool) -> SlotCache.Values {
        if let cached = cache.values(slot: slot, lowered: lowered) { return cached }
        let start = cache.beginValues()
        value(slot: slot)?.forEachString { cache.append($0, lowered: lowered) }
        let values = cache.endValues(from: start)
        cache.store(values, slot: slot, lowered: lowered)
        return values
    }

    /// The values of a slot as strings in their original case (for regular expressions, CIDR blocks and numbers).
    func strings(slot: Int) -> [String] {
        if let cached = cache.strings(slot: slot) { return cached }
        let strings = value(slot: slot)?.stringValues ?? []
        cache.store(strings, slot: slot)
        return strings
    }

    /// Everything keyword selections search, lower-cased: the message and the original record, one value.
    var lowerFullText: SlotCache.Values {
        if let cached = cache.fullText { return cached }
        let start = cache.beginValues()
        cache.append((event.fields[Self.messageKey]?.stringValue ?? "") + "\n" + event.original, lowered: true)
        let values = cache.endValues(from: start)
        cache.fullText = values
        return values
    }
}

/// The resolved values of one event's field slots, reused from event to event by one thread: values are byte
/// strings in one arena, and a generation stamp per slot says whether a slot's values belong to the current event,
/// so starting an event costs nothing per slot.
final class SlotCache {
    /// A slot's values: spans `first..<first + count` of ``spans``.
    struct Values {
        let first: Int32
        let count: Int32
        var isEmpty: Bool { count == 0 }
    }
    private struct Span {
        let start: Int32
        let count: Int32
    }

    private var generation: UInt32 = 0
    private var lowerStamps: [UInt32]
    private var originalStamps: [UInt32]
    private var stringStamps: [UInt32]
    private var lower: [Values]
    private var original: [Values]
    private var strings: [[String]]
    private var spans: [Span] = []
    private var bytes: [UInt8] = []
    var fullText: Values?

    init(slots: Int) {
        lowerStamps = Array(repeating: 0, count: slots)
        originalStamps = lowerStamps
        stringStamps = lowerStamps
        lower = Array(repeating: Values(first: 0, count: 0), count: slots)
        original = lower
        strings = Array(repeating: [], count: slots)
        spans.reserveCapacity(256)
        bytes.reserveCapacity(16_384)
    }

    func startEvent() {
        generation &+= 1
        if generation == 0 {  // wrapped: forget every stamp
            generation = 1
            for index in lowerStamps.indices {
                (lowerStamps[index], originalStamps[index], stringStamps[index]) = (0, 0, 0)
            }
        }
        spans.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        fullText = nil
    }

    func values(slot: Int, lowered: Bool) -> Values? {
        if lowered { return lowerStamps[slot] == generation ? lower[slot] : nil }
        return originalStamps[slot] == generation ? original[slot] : nil
    }

    func store(_ values: Values, slot: Int, lowered: Bool) {
        if lowered {
            lower[slot] = values
            lowerStamps[slot] = generation
        } else {
            original[slot] = values
            originalStamps[slot] = generation
        }
    }

    func strings(slot: Int) -> [String]? { stringStamps[slot] == generation ? strings[slot] : nil }

    func store(_ values: [String], slot: Int) {
        strings[slot] = values
        stringStamps[slot] = generation
    }

    func beginValues() -> Int32 { Int32(spans.count) }

    func endValues(from start: Int32) -> Values { Values(first: start, count: Int32(spans.count) - start) }

    /// Appends one value's UTF-8 bytes, lower-cased when asked (ASCII byte by byte, anything else as Unicode
    /// lower-cases it).
    func append(_ value: String, lowered: Bool) {
        let start = Int32(bytes.count)
        var value = value
        let ascii = value.withUTF8 { utf8 in
            guard lowered else {
                bytes.append(contentsOf: utf8)
                return true
            }
            for byte in utf8 {
                if byte >= 0x80 { return false }
                bytes.append(byte &+ (byte &- 0x41 < 26 ? 0x20 : 0))
            }
            return true
        }
        if !ascii {
            bytes.removeSubrange(Int(start)...)
            bytes.append(contentsOf: value.lowercased().utf8)
        }
        spans.append(Span(start: start, count: Int32(bytes.count) - start))
    }

    /// Whether `body` holds for any of `values`; `body` gets each value's bytes (valid during the call only).
    @inline(__always)
    func contains(_ values: Values, where body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        guard values.count > 0 else { return false }
        return bytes.withUnsafeBufferPointer { arena in
            for index in Int(values.first)..<Int(values.first + values.count) {
                let span = spans[index]
                if body(UnsafeBufferPointer(rebasing: arena[Int(span.start)..<Int(span.start + span.count)])) {
                    return true
                }
            }
            return false
        }
    }

    /// Whether every one of `values` is empty.
    func allEmpty(_ values: Values) -> Bool {
        for index in Int(values.first)..<Int(values.first + values.count) where spans[index].count > 0 { return false }
        return true
    }

    /// Whether some value of `lhs` equals some value of `rhs`.
    func sharesValue(_ lhs: Values, _ rhs: Values) -> Bool {
        contains(lhs) { mine in
            contains(rhs) { theirs in mine.count == theirs.count && mine.elementsEqual(theirs) }
        }
    }
}
