/// A value inside a document scanned by ``JSONScanner``: a position on the tape plus the bytes it points into.
///
/// Nodes are cheap to copy and decode lazily. They are valid only while the scanned buffer is.
public struct JSONNode {
    let bytes: UnsafeRawBufferPointer
    let tokens: UnsafeMutablePointer<JSONToken>
    let index: Int

    init(bytes: UnsafeRawBufferPointer, tokens: UnsafeMutablePointer<JSONToken>, index: Int) {
        self.bytes = bytes
        self.tokens = tokens
        self.index = index
    }

    private var token: JSONToken { tokens[index] }

    /// The value's kind.
    public var kind: JSONToken.Kind { token.kind }

    /// Whether the value is an object.
    public var isObject: Bool { token.kind == .object }
    /// Whether the value is an array.
    public var isArray: Bool { token.kind == .array }
    /// Whether the value is `null`.
    public var isNull: Bool { token.kind == .null }

    /// The raw bytes of the value as they appear in the input.
    public var rawBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(token.start)..<Int(token.end)])
    }

    /// The byte offset of the value in the scanned input.
    public var offset: Int { Int(token.start) }

    /// The member named `key` of an object; `nil` for other kinds or a missing member.
    public subscript(key: StaticString) -> JSONNode? {
        guard token.kind == .object else { return nil }
        let keyStart = key.utf8Start
        let keyCount = key.utf8CodeUnitCount
        var child = index + 1
        let end = Int(token.next)
        while child < end {
            let keyToken = tokens[child]
            let valueIndex = child + 1
            if !keyToken.escaped, Int(keyToken.end - keyToken.start) - 2 == keyCount {
                if let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    memcmpEqual(start + Int(keyToken.start) + 1, keyStart, keyCount)
                {
                    return JSONNode(bytes: bytes, tokens: tokens, index: valueIndex)
                }
            } else if keyToken.escaped, decodeString(keyToken) == key.description {
                return JSONNode(bytes: bytes, tokens: tokens, index: valueIndex)
            }
            child = Int(tokens[valueIndex].next)
        }
        return nil
    }

    /// The member named `key` (a run-time string) of an object.
    public func member(_ key: String) -> JSONNode? {
        guard token.kind == .object else { return nil }
        var child = index + 1
        let end = Int(token.next)
        let keyBytes = Array(key.utf8)
        while child < end {
            let keyToken = tokens[child]
            let valueIndex = child + 1
            if keyToken.escaped ? decodeString(keyToken) == key : rawStringEquals(keyToken, keyBytes) {
                return JSONNode(bytes: bytes, tokens: tokens, index: valueIndex)
            }
            child = Int(tokens[valueIndex].next)
        }
        return nil
    }

    private func rawStringEquals(_ keyToken: JSONToken, _ key: [UInt8]) -> Bool {
        guard Int(keyToken.end - keyToken.start) - 2 == key.count else { return false }
        guard let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        return key.withUnsafeBufferPointer { keyBytes in
            guard let keyBase = keyBytes.baseAddress else { return true }  // an empty key equals an empty name
            return memcmpEqual(start + Int(keyToken.start) + 1, keyBase, key.count)
        }
    }

    /// The members of an object, in document order: `(name, value)`.
    public var members: [(key: String, value: JSONNode)] {
        guard token.kind == .object else { return [] }
        var result: [(String, JSONNode)] = []
        var child = index + 1
        let end = Int(token.next)
        while child < end {
            let valueIndex = child + 1
            result.append((decodeString(tokens[child]), JSONNode(bytes: bytes, tokens: tokens, index: valueIndex)))
            child = Int(tokens[valueIndex].next)
        }
        return result
    }

    /// Calls `body` with each member of an object, without collecting them.
    public func forEachMember(_ body: (String, JSONNode) throws -> Void) rethrows {
        guard token.kind == .object else { return }
        var child = index + 1
        let end = Int(token.next)
        while child < end {
            let valueIndex = child + 1
            try body(decodeString(tokens[child]), JSONNode(bytes: bytes, tokens: tokens, index: valueIndex))
            child = Int(tokens[valueIndex].next)
        }
    }

    /// Calls `body` with each member's raw (still escaped) name bytes and value, without decoding names.
    ///
    /// Names with escape sequences are decoded first, so `body` always sees the real name.
    func forEachMemberRaw(_ body: (UnsafeRawBufferPointer, JSONNode) -> Void) {
        guard token.kind == .object else { return }
        var child = index + 1
        let end = Int(token.next)
        while child < end {
            let keyToken = tokens[child]
            let valueIndex = child + 1
            let value = JSONNode(bytes: bytes, tokens: tokens, index: valueIndex)
            if keyToken.escaped {
                var decoded = Array(decodeString(keyToken).utf8)
                decoded.withUnsafeMutableBytes { body(UnsafeRawBufferPointer($0), value) }
            } else {
                body(UnsafeRawBufferPointer(rebasing: bytes[Int(keyToken.start) + 1..<Int(keyToken.end) - 1]), value)
            }
            child = Int(tokens[valueIndex].next)
        }
    }

    /// The elements of an array, in order.
    public var elements: [JSONNode] {
        guard token.kind == .array else { return [] }
        var result: [JSONNode] = []
        var child = index + 1
        let end = Int(token.next)
        while child < end {
            result.append(JSONNode(bytes: bytes, tokens: tokens, index: child))
            child = Int(tokens[child].next)
        }
        return result
    }

    /// The value as text: a decoded string, a number as written, `true`/`false`; `nil` for null and containers.
    public var text: String? {
        let token = self.token
        switch token.kind {
        case .string, .key: return decodeString(token)
        case .integer, .number, .true, .false:
            return String(decoding: rawBytes, as: UTF8.self)
        case .null, .object, .array: return nil
        }
    }

    /// The value as an integer: a JSON integer or a string of digits (decimal or `0x` hexadecimal).
    public var integer: Int64? {
        switch token.kind {
        case .integer: return Int64(String(decoding: rawBytes, as: UTF8.self))
        case .string: return text.flatMap(parseInteger)
        case .number:
            return Double(String(decoding: rawBytes, as: UTF8.self)).flatMap {
                $0 == $0.rounded() ? Int64(exactly: $0) : nil
            }
        default: return nil
        }
    }

    private func decodeString(_ token: JSONToken) -> String {
        let content = UnsafeRawBufferPointer(rebasing: bytes[Int(token.start) + 1..<Int(token.end) - 1])
        guard token.escaped else { return String(decoding: content, as: UTF8.self) }
        return JSONNode.unescape(content)
    }

    /// Decodes the escapes of a string body the scanner has already validated.
    static func unescape(_ content: UnsafeRawBufferPointer) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(content.count)
        var position = 0
        let count = content.count
        func hex4(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = content[at + offset]
                let digit: UInt8 = isDigit(byte) ? byte - UInt8(ascii: "0") : (byte | 0x20) - UInt8(ascii: "a") + 10
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while position < count {
            let byte = content[position]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                position += 1
                continue
            }
            let escape = content[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = hex4(position)
                position += 4
                if (0xD800...0xDBFF).contains(scalar), position + 5 < count, content[position] == UInt8(ascii: "\\"),
                    content[position + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(position + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        position += 6
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                output.append(contentsOf: String(character).utf8)
            default: output.append(escape)  // \" \\ \/
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Parses a decimal or `0x` hexadecimal integer, as Windows event data writes process ids.
func parseInteger(_ text: String) -> Int64? {
    if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int64(text.dropFirst(2), radix: 16) }
    return Int64(text)
}
