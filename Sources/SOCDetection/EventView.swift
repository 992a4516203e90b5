public import SOCModel

/// An event as the Sigma engine reads it: field values found by Sigma name, lower-cased once for the
/// case-insensitive matching Sigma requires.
public final class EventView {
    /// The event.
    public let event: SecurityEvent
    let channel: String?
    let eventCode: String?
    let format: String?
    let program: String?
    private let logSources: LogSourceMap
    private var cache: [String: [String]] = [:]
    private var lowerCache: [String: [String]] = [:]
    private var lowerText: String?

    /// Creates a view of `event`.
    public init(_ event: SecurityEvent, logSources: LogSourceMap = .bundled) {
        self.event = event
        self.logSources = logSources
        channel = event.string(ECSField.winlogChannel)
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

    /// The values lower-cased.
    func lowerValues(_ field: String, renames: [String: String]) -> [String] {
        let key = renames[field].map { "\(field)\u{0}\($0)" } ?? field
        if let cached = lowerCache[key] { return cached }
        let lowered = values(field, renames: renames).map { $0.lowercased() }
        lowerCache[key] = lowered
        return lowered
    }

    /// Everything keyword selections search: the message and the original record, lower-cased.
    var lowerFullText: String {
        if let lowerText { return lowerText }
        let text = ((event.string(ECSField.message) ?? "") + "\n" + event.original).lowercased()
        lowerText = text
        return text
    }
}
