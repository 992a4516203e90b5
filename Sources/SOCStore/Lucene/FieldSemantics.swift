import SOCModel

/// How a field is matched, following the ECS mapping Elasticsearch applies to Beats indices.
public enum FieldSemantics: Sendable {
    /// `keyword`: exact, case-sensitive values (most ECS fields).
    case keyword
    /// `text`: analysed into lower-case words (`message`).
    case text
    /// `ip`: addresses, matched by address or CIDR block, ordered numerically.
    case ip
    /// `date`: instants, with date math in ranges.
    case date

    /// The semantics of an ECS field.
    public static func of(_ field: String) -> FieldSemantics {
        switch field {
        case ECSField.message, "error.message", "event.original": return .text
        case ECSField.timestamp, "event.created", "event.ingested", "event.start", "event.end": return .date
        default:
            if field.hasSuffix(".ip") || field == ECSField.relatedIP { return .ip }
            return .keyword
        }
    }

    /// The field a query name refers to: Elasticsearch's `name.keyword` multi-field is the field itself here
    /// (every field but `message` is already a keyword).
    public static func resolve(_ field: String) -> String {
        field.hasSuffix(".keyword") && field.count > 8 ? String(field.dropLast(8)) : field
    }

    /// The words of a text value as the full-text index splits them: runs of letters and digits, lower-cased.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber {
                current.append(contentsOf: character.lowercased())
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
