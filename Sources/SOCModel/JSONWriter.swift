/// Writes JSON text into a byte buffer, escaping strings as RFC 8259 requires.
///
/// Used on the ingest hot path to render event documents, so it appends bytes instead of building values.
public struct JSONWriter: Sendable {
    /// The UTF-8 JSON text written so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    /// Empties the buffer, keeping its capacity.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// The written text as a string.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends raw JSON punctuation or an already-encoded value.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends one raw byte.
    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Appends an integer.
    public mutating func integer(_ value: Int64) { bytes.append(contentsOf: String(value).utf8) }

    /// Appends a quoted, escaped JSON string.
    public mutating func string(_ value: String) {
        if value.utf8.withContiguousStorageIfAvailable({ appendQuoted($0) }) == nil {
            var copy = value
            copy.withUTF8 { appendQuoted($0) }
        }
    }

    /// Appends `utf8` quoted, copying runs that need no escaping in one step; runs are found eight bytes at a time.
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        guard let base = utf8.baseAddress else {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        let rawBase = UnsafeRawPointer(base)
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            if index + 8 <= count {
                let word = UInt64(littleEndian: rawBase.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if !JSONWriter.needsEscape(word) {
                    index += 8
                    continue
                }
            }
            let byte = base[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            if index > runStart {
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
            }
            runStart = index + 1
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            default:
                raw("\\u00")
                bytes.append(JSONWriter.hexDigits[Int(byte >> 4)])
                bytes.append(JSONWriter.hexDigits[Int(byte & 0xF)])
            }
            index += 1
        }
        if count > runStart {
            bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether any of eight bytes is a control character, a quote or a backslash (SWAR: no loop over bytes).
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- 0x2020_2020_2020_2020) & ~word & highs
        let quote = word ^ 0x2222_2222_2222_2222
        let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        return (control | hasQuote | hasBackslash) != 0
    }

    /// Appends a field value: a string, a number or an array of strings.
    public mutating func value(_ value: FieldValue) {
        switch value {
        case .string(let text): string(text)
        case .integer(let number): integer(number)
        case .strings(let values):
            byte(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                string(element)
            }
            byte(UInt8(ascii: "]"))
        }
    }
}
