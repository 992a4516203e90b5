public import SOCModel

/// An event as the Sigma engine reads it: field values found by Sigma name, lower-cased once for the
/// case-insensitive matching Sigma requires.
public final class EventView {
    /// The event.
    public let event: SecurityEvent
    let channel: String?
    /// The channel lower-cased, for comparing with log sources.
    let lowerChannel: String?
    let eventCode: String?
    let format: String?
    let program: String?
    private let logSources: LogSourceMap
    private var cache: [String: [String]] = [:]
    private let registry: FieldRegistry?
    private var lowerSlots: [[Text]?]
    private var originalSlots: [[Text]?]
    private var lowerCache: [String: [Text]] = [:]
    private var originalCache: [String: [Text]] = [:]
    private var lowerText: Text?

    /// Creates a view of `event`.
    public convenience init(_ event: SecurityEvent, logSources: LogSourceMap = .bundled) {
        self.init(event, logSources: logSources, registry: nil)
    }

    init(_ event: SecurityEvent, logSources: LogSourceMap, registry: FieldRegistry?) {
        self.event = event
        self.logSources = logSources
        self.registry = registry
        lowerSlots = Array(repeating: nil, count: registry?.candidates.count ?? 0)
        originalSlots = lowerSlots
        channel = event.string(ECSField.winlogChannel)
        lowerChannel = channel?.lowercased()
        eventCode = event.code
        format = event.string(ECSField.sourceFormat)
        program = event.string(ECSField.processName) ?? event.string(ECSField.logSyslogAppName)
    }

    /// The values of a Sigma field (empty when the event does not have it).
    func values(_ field: String, renames: [String: String]) -> [String] {
        let key = renames[field].map { "\(field)\u{0}\($0)" } ?? field
        if let cached = cache[key] { return cached }
        var found: [String] = []
        for candidate in logSources.candidates(for: field, renames: renames) {
            if let value = event[candidate] {
                found = value.stringValues
                break
            }
        }
        // Some providers name event data with spaces ("Threat Name"); Sigma writes them without (ThreatName).
        if found.isEmpty, let spaced = spacelessEventData[field], let value = event[spaced] { found = value.stringValues }
        cache[key] = found
        return found
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
        if let registry {
            for key in registry.candidates[slot] {
                if let value = event.fields[key] {
                    found = value.stringValues
                    break
                }
            }
            if found.isEmpty, hasSpacedNames, let name = registry.eventDataNames[slot], let spaced = spacelessEventData[name], let value = event[spaced] {
                found = value.stringValues
            }
        }
        let texts = found.map { Text(lowered ? $0.lowercased() : $0) }
        if lowered { lowerSlots[slot] = texts } else { originalSlots[slot] = texts }
        return texts
    }

    /// Whether any field name has a space (rare; only then is ``spacelessEventData`` worth building).
    private lazy var hasSpacedNames: Bool = event.fields.names.contains { $0.utf8.contains(0x20) }

    /// The values, lower-cased, with their UTF-8 bytes for matching.
    func lowerValues(_ field: String, renames: [String: String]) -> [Text] {
        let key = renames[field].map { "\(field)\u{0}\($0)" } ?? field
        if let cached = lowerCache[key] { return cached }
        let lowered = values(field, renames: renames).map { Text($0.lowercased()) }
        lowerCache[key] = lowered
        return lowered
    }

    /// The values in their original case, with their UTF-8 bytes.
    func originalValues(_ field: String, renames: [String: String]) -> [Text] {
        let key = renames[field].map { "\(field)\u{0}\($0)" } ?? field
        if let cached = originalCache[key] { return cached }
        let values = values(field, renames: renames).map { Text($0) }
        originalCache[key] = values
        return values
    }

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
