/// One normalized security event: Elastic Common Schema fields plus the original record.
///
/// Every parser produces `SecurityEvent`s, so later stages (stores, queries, hunting, the analyst) never need to
/// know which log format an event came from. Fields are keyed by their dotted ECS name (``ECSField``).
///
/// ```swift
/// var event = SecurityEvent(id: EventIdentifier(record: line), original: line)
/// event[ECSField.eventCode] = .string("4625")
/// event[ECSField.sourceIP] = .string("45.142.212.61")
/// event.document()  // {"event":{"code":"4625"},"source":{"ip":"45.142.212.61"}}
/// ```
public struct SecurityEvent: Hashable, Sendable {
    /// The stable identity, a hash of the original record.
    public var id: EventIdentifier
    /// When the event happened (`@timestamp`), if the record says.
    public var timestamp: Timestamp?
    /// ECS fields by dotted name, excluding `@timestamp` and `event.original`.
    public var fields: ECSFields
    /// The record exactly as it was read (`event.original`).
    public var original: String

    /// Creates an event.
    public init(
        id: EventIdentifier,
        timestamp: Timestamp? = nil,
        fields: ECSFields = ECSFields(),
        original: String
    ) {
        self.id = id
        self.timestamp = timestamp
        self.fields = fields
        self.original = original
    }

    /// The value of a field by dotted ECS name.
    public subscript(field: String) -> FieldValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    /// The value of a field as one string (see ``FieldValue/stringValue``).
    public func string(_ field: String) -> String? { fields[field]?.stringValue }

    /// Sets a string field unless `value` is empty or a placeholder such as `-`.
    public mutating func set(_ field: String, _ value: String?) {
        guard let value, !SecurityEvent.isPlaceholder(value) else { return }
        fields[field] = .string(value)
    }

    /// Sets a string field only when it has no value yet.
    public mutating func setIfMissing(_ field: String, _ value: String?) {
        guard let value, !SecurityEvent.isPlaceholder(value) else { return }
        fields.setIfAbsent(field, .string(value))
    }

    /// Adds values to a multi-valued field (such as `related.ip`), keeping each value once.
    public mutating func append(_ field: String, _ value: String?) {
        guard let value, !SecurityEvent.isPlaceholder(value) else { return }
        var values = fields[field]?.stringValues ?? []
        guard !values.contains(value) else { return }
        values.append(value)
        fields[field] = .strings(values)
    }

    /// Makes sure `event.kind`, `event.action` and `event.outcome` are set, so queries never depend on the format:
    /// `event.outcome` becomes `unknown` (an ECS value) when the record does not say, and `event.action` falls back
    /// to `fallbackAction`. `event.category` is left to the parsers, which set it whenever the event belongs to an
    /// ECS category; an unclassified event has none rather than a wrong one.
    public mutating func completeClassification(fallbackAction: String) {
        fields.setIfAbsent(ECSField.eventKind, .string("event"))
        fields.setIfAbsent(ECSField.eventAction, .string(fallbackAction))
        fields.setIfAbsent(ECSField.eventOutcome, .string("unknown"))
    }

    /// `event.category`.
    public var categories: [String] { fields[ECSField.eventCategory]?.stringValues ?? [] }
    /// `event.outcome`.
    public var outcome: String? { string(ECSField.eventOutcome) }
    /// `event.action`.
    public var action: String? { string(ECSField.eventAction) }
    /// `event.code`.
    public var code: String? { string(ECSField.eventCode) }

    /// Whether a value carries no information: empty, `-`, or Windows' `%%` null forms.
    public static func isPlaceholder(_ value: String) -> Bool {
        value.isEmpty || value == "-" || value == "NULL" || value == "null"
    }

    /// The event as a nested ECS JSON document, keys in a stable order.
    ///
    /// - Parameter includeOriginal: Adds `event.original` with the record as read.
    /// - Returns: UTF-8 JSON text with one object.
    public func document(includeOriginal: Bool = false) -> String {
        var writer = JSONWriter(capacity: 256 + original.utf8.count)
        writeDocument(to: &writer, includeOriginal: includeOriginal)
        return writer.text
    }

    /// The event as one flat JSON object with dotted ECS keys (`{"event.code":"4625","source.ip":…}`).
    ///
    /// Elasticsearch and SQLite's JSON functions read dotted keys as object paths, so this is the same document as
    /// ``document(includeOriginal:)``; it is written without sorting or nesting, which makes it the form stored on
    /// the ingest hot path.
    /// - Parameter excluded: A field left out, for stores that keep it in a column of its own (the message).
    public func writeFlatDocument(to writer: inout JSONWriter, excluding excluded: FieldKey? = nil) {
        writer.byte(UInt8(ascii: "{"))
        var first = true
        if let timestamp {
            writer.raw("\"@timestamp\":")
            writer.string(timestamp.iso8601)
            first = false
        }
        // ECSFields.forEach walks the table in place (it is not a Sequence).
        // swift-format-ignore: ReplaceForEachWithForLoop
        fields.forEach { key, value in
            if let excluded, key == excluded.name { return }
            if !first { writer.byte(UInt8(ascii: ",")) }
            first = false
            writer.string(key)
            writer.byte(UInt8(ascii: ":"))
            writer.value(value)
        }
        writer.byte(UInt8(ascii: "}"))
    }

    /// Writes ``document(includeOriginal:)`` into `writer`.
    public func writeDocument(to writer: inout JSONWriter, includeOriginal: Bool) {
        var entries: [(key: String, value: FieldValue)] = fields.map { (key: $0.key, value: $0.value) }
        if let timestamp { entries.append((ECSField.timestamp, .string(timestamp.iso8601))) }
        if includeOriginal { entries.append((ECSField.eventOriginal, .string(original))) }
        entries.sort { $0.key < $1.key }
        writer.byte(UInt8(ascii: "{"))
        var open: [Substring] = []  // the object path currently open
        var needsComma = false
        for entry in entries {
            let parts = entry.key.split(separator: ".", omittingEmptySubsequences: false)
            let parents = parts.dropLast()
            var shared = 0
            while shared < open.count, shared < parents.count, open[shared] == parents[parents.startIndex + shared] {
                shared += 1
            }
            while open.count > shared {
                writer.byte(UInt8(ascii: "}"))
                open.removeLast()
                needsComma = true
            }
            for part in parents.dropFirst(shared) {
                if needsComma { writer.byte(UInt8(ascii: ",")) }
                writer.string(String(part))
                writer.raw(":{")
                open.append(part)
                needsComma = false
            }
            if needsComma { writer.byte(UInt8(ascii: ",")) }
            writer.string(String(parts[parts.count - 1]))
            writer.byte(UInt8(ascii: ":"))
            writer.value(entry.value)
            needsComma = true
        }
        for _ in open { writer.byte(UInt8(ascii: "}")) }
        writer.byte(UInt8(ascii: "}"))
    }
}
