/// The value of one ECS field: a string, an integer or a list of strings.
public enum FieldValue: Hashable, Sendable {
    /// A keyword or text value.
    case string(String)
    /// A whole number, such as a port or a process id.
    case integer(Int64)
    /// A multi-valued keyword, such as `event.category`.
    case strings([String])

    /// The value as one string: the first element of a list, an integer in decimal.
    public var stringValue: String? {
        switch self {
        case .string(let value): return value
        case .integer(let value): return String(value)
        case .strings(let values): return values.first
        }
    }

    /// Every string the value holds (one for scalars).
    public var stringValues: [String] {
        switch self {
        case .string(let value): return [value]
        case .integer(let value): return [String(value)]
        case .strings(let values): return values
        }
    }

    /// Calls `body` with every string the value holds, without building an array (``stringValues`` does).
    public func forEachString(_ body: (String) throws -> Void) rethrows {
        switch self {
        case .string(let value): try body(value)
        case .integer(let value): try body(String(value))
        case .strings(let values): for value in values { try body(value) }
        }
    }

    /// The value as an integer, when it is one or is a string of decimal digits.
    public var integerValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .string(let value): return Int64(value)
        case .strings(let values): return values.first.flatMap { Int64($0) }
        }
    }
}
