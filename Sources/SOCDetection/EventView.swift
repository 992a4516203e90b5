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
    private var lowerSlots: [[Text]?]
    private var originalSlots: [[Text]?]
    private var lowerText: Text?

    init(_ event: SecurityEvent, registry: FieldRegistry) {
        self.event = event
        self.registry = registry
        lowerSlots = Array(repeating: nil, count: registry.candidates.count)
        originalSlots = lowerSlots
        channel = event.string(ECSField.winlogChannel)
        lowerChannel = channel?.lowercased()
        eventCode = event.code
        format = event.string(ECSField.sourceFormat)
        program = event.string(ECSField.processName) ?? event.string(ECSField.logSyslogAppName)
    }

    /// Event data names with spaces, by their name without spaces (built once, only when asked).
    private lazy var spacelessEventData: [String: String] = {
        var names: [String: String] = [:]
        for name in event.fields.names where name.hasPrefix(ECSField.winlogEventDataPrefix) && name.contains(" ") {
            names[String(name.dropFirst(ECSField.winlogEventDataPrefix.count).filter { $0 != " " })] = name
        }
        return names
    }()

    /// The values of a registered field slot, lower-cased or not, resolved and converted once per event.
    func values(slot: Int, lowered: Bool) -> [Text] {
        if lowered, let cached = lowerSlots[slot] { return cached }
        if !lowered, let cached = originalSlots[slot] { return cached }
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
        if lowered { lowerSlots[slot] = texts } else { originalSlots[slot] = texts }
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

/// A value and its UTF-8 bytes, so patterns compare bytes (Foundation's string search is far too slow here).
struct Text {
    let string: String
    let bytes: [UInt8]
    init(_ string: String) {
        self.string = string
        self.bytes = Array(string.utf8)
    }
}
