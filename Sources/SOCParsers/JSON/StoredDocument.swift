public import SOCModel

/// Reads a stored event document back into an event: the flat dotted-key documents socagent writes (SQLite's
/// `event_docs`, Elasticsearch `_source` from `socagent ingest`) and nested ECS documents written by Beats alike.
///
/// Strings, numbers and arrays of strings become ``FieldValue``s; nested objects become dotted keys; `@timestamp` is
/// returned rather than stored as a field.
public enum StoredDocument {
    /// Adds the fields of the JSON object `document` to `event`; returns the text of the document's `@timestamp`, if
    /// it has one (left to callers that need it to parse). A document that is not a JSON object adds nothing.
    @discardableResult
    public static func read(_ document: String, into event: inout SecurityEvent) -> String? {
        read(utf8: Array(document.utf8), into: &event)
    }

    /// ``read(_:into:)`` for the document's UTF-8 bytes.
    @discardableResult
    public static func read(utf8 document: [UInt8], into event: inout SecurityEvent) -> String? {
        var timestamp: String?
        var scanner = JSONScanner()
        _ = try? document.withUnsafeBytes { bytes in
            try scanner.withRoot(of: bytes) { root in
                guard root.isObject else { return }
                add(root, prefix: "", to: &event, timestamp: &timestamp)
            }
        }
        return timestamp
    }

    private static func add(_ object: JSONNode, prefix: String, to event: inout SecurityEvent, timestamp: inout String?)
    {
        object.forEachMember { key, value in
            let name = prefix.isEmpty ? key : prefix + "." + key
            if name == ECSField.timestamp {
                timestamp = value.text
                return
            }
            switch value.kind {
            case .string, .key: if let text = value.text { event[name] = .string(text) }
            case .integer, .number:
                event[name] = value.integer.map(FieldValue.integer) ?? value.text.map(FieldValue.string)
            case .true: event[name] = .integer(1)
            case .false: event[name] = .integer(0)
            case .array: event[name] = .strings(value.elements.compactMap(\.text))
            case .object: add(value, prefix: name, to: &event, timestamp: &timestamp)
            case .null: break
            }
        }
    }
}
