/// A byte-level JSON parser that records the structure of a document on a flat tape, without building values.
///
/// Foundation's decoders are 25–40× too slow for the ingest path (DESIGN.md §3). `JSONScanner` validates the whole
/// document (grammar, UTF-8, nesting depth) in one pass and writes one ``JSONToken`` per value; strings and numbers
/// are decoded later, only when a parser asks for them through ``JSONNode``.
///
/// ```swift
/// var scanner = JSONScanner()
/// try bytes.withUnsafeBytes { buffer in
///     try scanner.withRoot(of: buffer) { root in
///         root["Event"]?["System"]?["EventID"]?.text  // "4625"
///     }
/// }
/// ```
/// A scanner is reused from record to record so its tape is allocated once.
public struct JSONScanner {
    /// The tape of the last scanned document.
    var tokens = TokenTape()
    /// The deepest nesting accepted; deeper documents are rejected rather than risking the stack or the time budget.
    public var maximumDepth = 256
    private var containerStack: [Int32] = []

    /// Creates a scanner.
    public init() {
        containerStack.reserveCapacity(32)
    }

    /// Scans `bytes` and calls `body` with the root value, keeping the tape alive for the duration of the call.
    ///
    /// Prefer this to ``scan(_:)`` when the scanner is a local variable: a node points into the scanner's tape
    /// without owning it.
    public mutating func withRoot<T>(of bytes: UnsafeRawBufferPointer, _ body: (JSONNode) throws -> T) throws -> T {
        let root = try scan(bytes)
        return try withExtendedLifetime(tokens) { try body(root) }
    }

    /// Scans one JSON value that fills `bytes` (surrounding whitespace allowed).
    ///
    /// The returned node points into this scanner's tape without owning it: keep the scanner alive (a stored
    /// property, or ``withRoot(of:_:)``) while the node is used, and do not scan again until it is no longer needed.
    ///
    /// - Parameter bytes: UTF-8 text. It must stay valid while the returned node is used.
    /// - Returns: The root value.
    /// - Throws: ``JSONSyntaxError`` with the byte offset of the first problem.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONNode {
        tokens.removeAll(keepingCapacity: true)
        containerStack.removeAll(keepingCapacity: true)
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            throw JSONSyntaxError(offset: 0, reason: "empty input, expected a JSON value")
        }
        let count = bytes.count
        var position = skipWhitespace(base, 0, count)
        position = try scanValue(base, position, count)
        position = skipWhitespace(base, position, count)
        if position < count {
            throw JSONSyntaxError(
                offset: position,
                reason: "unexpected \(describe(base[position])) after the JSON value"
            )
        }
        return JSONNode(bytes: bytes, tokens: tokens.pointer, index: 0)
    }

    @inline(__always)
    private func skipWhitespace(_ base: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> Int {
        var position = start
        while position < count {
            let byte = base[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { break }
            position += 1
        }
        return position
    }

    /// Scans values iteratively; containers are tracked on `containerStack` so hostile nesting cannot overflow.
    private mutating func scanValue(
        _ base: UnsafePointer<UInt8>,
        _ start: Int,
        _ count: Int
    ) throws(JSONSyntaxError)
        -> Int
    {
        var position = start
        // State after a value: are we inside an object (expecting , or }) or an array (expecting , or ])?
        while true {
            guard position < count else {
                throw JSONSyntaxError(offset: position, reason: "unexpected end of input, expected a value")
            }
            let byte = base[position]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard containerStack.count < maximumDepth else {
                    throw JSONSyntaxError(offset: position, reason: "nesting deeper than \(maximumDepth) levels")
                }
                let isObject = byte == UInt8(ascii: "{")
                containerStack.append(Int32(tokens.count))
                tokens.append(JSONToken(kind: isObject ? .object : .array, start: Int32(position), end: 0, next: 0))
                position = skipWhitespace(base, position + 1, count)
                guard position < count else {
                    throw JSONSyntaxError(
                        offset: position,
                        reason: "unexpected end of input inside \(isObject ? "an object" : "an array")"
                    )
                }
                if base[position] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    position = closeContainer(position)
                    break
                }
                if isObject {
                    position = try scanKey(base, position, count)
                }
                continue
            case UInt8(ascii: "\""):
                position = try scanString(base, position, count, kind: .string)
            case UInt8(ascii: "t"):
                position = try scanLiteral(base, position, count, "true", kind: .true)
            case UInt8(ascii: "f"):
                position = try scanLiteral(base, position, count, "false", kind: .false)
            case UInt8(ascii: "n"):
                position = try scanLiteral(base, position, count, "null", kind: .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                position = try scanNumber(base, position, count)
            default:
                throw JSONSyntaxError(offset: position, reason: "unexpected \(describe(byte)), expected a value")
            }
            // After a complete value: close containers or move to the next member.
            while let top = containerStack.last {
                position = skipWhitespace(base, position, count)
                guard position < count else {
                    throw JSONSyntaxError(
                        offset: position,
                        reason: "unexpected end of input, expected ',' or a closing bracket"
                    )
                }
                let isObject = tokens[Int(top)].kind == .object
                let byte = base[position]
                if byte == UInt8(ascii: ",") {
                    position = skipWhitespace(base, position + 1, count)
                    if isObject { position = try scanKey(base, position, count) }
                    break
                } else if byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    position = closeContainer(position)
                } else {
                    throw JSONSyntaxError(
                        offset: position,
                        reason: "unexpected \(describe(byte)), expected ',' or '\(isObject ? "}" : "]")'"
                    )
                }
            }
            if containerStack.isEmpty { return position }
        }
    }

    @inline(__always)
    private mutating func closeContainer(_ position: Int) -> Int {
        let index = Int(containerStack.removeLast())
        tokens[index].end = Int32(position + 1)
        tokens[index].next = Int32(tokens.count)
        return position + 1
    }

    /// Scans `"key"` and the `:` after it, leaving `position` at the value.
    private mutating func scanKey(
        _ base: UnsafePointer<UInt8>,
        _ start: Int,
        _ count: Int
    ) throws(JSONSyntaxError) -> Int {
        guard start < count, base[start] == UInt8(ascii: "\"") else {
            throw JSONSyntaxError(
                offset: start,
                reason: start < count
                    ? "unexpected \(describe(base[start])), expected a quoted member name"
                    : "unexpected end of input, expected a member name"
            )
        }
        var position = try scanString(base, start, count, kind: .key)
        position = skipWhitespace(base, position, count)
        guard position < count, base[position] == UInt8(ascii: ":") else {
            throw JSONSyntaxError(offset: position, reason: "expected ':' after a member name")
        }
        return skipWhitespace(base, position + 1, count)
    }

    private mutating func scanString(
        _ base: UnsafePointer<UInt8>,
        _ start: Int,
        _ count: Int,
        kind: JSONToken.Kind
    ) throws(JSONSyntaxError) -> Int {
        var position = start + 1
        var escaped = false
        while position < count {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                tokens.append(
                    JSONToken(
                        kind: kind,
                        start: Int32(start),
                        end: Int32(position + 1),
                        next: Int32(tokens.count + 1),
                        escaped: escaped
                    )
                )
                return position + 1
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                guard position + 1 < count else { break }
                switch base[position + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 2
                case UInt8(ascii: "u"):
                    guard position + 5 < count, (2...5).allSatisfy({ isHexDigit(base[position + $0]) }) else {
                        throw JSONSyntaxError(offset: position, reason: "invalid \\u escape, expected four hex digits")
                    }
                    position += 6
                default:
                    throw JSONSyntaxError(
                        offset: position,
                        reason: "invalid escape sequence \\\(Character(Unicode.Scalar(base[position + 1])))"
                    )
                }
            } else if byte < 0x20 {
                throw JSONSyntaxError(
                    offset: position,
                    reason: "unescaped control character 0x\(String(byte, radix: 16)) in a string"
                )
            } else if byte < 0x80 {
                position += 1
            } else {
                position = try validateUTF8Sequence(base, position, count)
            }
        }
        throw JSONSyntaxError(offset: start, reason: "unterminated string")
    }

    private func validateUTF8Sequence(
        _ base: UnsafePointer<UInt8>,
        _ start: Int,
        _ count: Int
    ) throws(JSONSyntaxError) -> Int {
        let lead = base[start]
        let length: Int
        var minimum: UInt32
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            minimum = 0x80
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            minimum = 0x800
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            minimum = 0x10000
            scalar = UInt32(lead & 0x07)
        default:
            throw JSONSyntaxError(
                offset: start,
                reason: "invalid UTF-8 byte 0x\(String(lead, radix: 16, uppercase: true))"
            )
        }
        guard start + length <= count else {
            throw JSONSyntaxError(offset: start, reason: "truncated UTF-8 sequence")
        }
        for index in 1..<length {
            let continuation = base[start + index]
            guard continuation & 0xC0 == 0x80 else {
                throw JSONSyntaxError(
                    offset: start + index,
                    reason: "invalid UTF-8 byte 0x\(String(continuation, radix: 16, uppercase: true))"
                )
            }
            scalar = scalar << 6 | UInt32(continuation & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 sequence")
        }
        return start + length
    }

    private mutating func scanLiteral(
        _ base: UnsafePointer<UInt8>,
        _ start: Int,
        _ count: Int,
        _ literal: StaticString,
        kind: JSONToken.Kind
    ) throws(JSONSyntaxError) -> Int {
        let length = literal.utf8CodeUnitCount
        guard start + length <= count, memcmpEqual(base + start, literal.utf8Start, length) else {
            throw JSONSyntaxError(offset: start, reason: "invalid literal, expected \(literal)")
        }
        tokens.append(
            JSONToken(kind: kind, start: Int32(start), end: Int32(start + length), next: Int32(tokens.count + 1))
        )
        return start + length
    }

    private mutating func scanNumber(
        _ base: UnsafePointer<UInt8>,
        _ start: Int,
        _ count: Int
    ) throws(JSONSyntaxError) -> Int {
        var position = start
        if base[position] == UInt8(ascii: "-") { position += 1 }
        guard position < count, isDigit(base[position]) else {
            throw JSONSyntaxError(offset: position, reason: "invalid number, expected a digit")
        }
        if base[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < count, isDigit(base[position]) { position += 1 }
        }
        var isInteger = true
        if position < count, base[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < count, isDigit(base[position]) else {
                throw JSONSyntaxError(offset: position, reason: "invalid number, expected a digit after '.'")
            }
            while position < count, isDigit(base[position]) { position += 1 }
        }
        if position < count, base[position] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < count, base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < count, isDigit(base[position]) else {
                throw JSONSyntaxError(offset: position, reason: "invalid number, expected an exponent")
            }
            while position < count, isDigit(base[position]) { position += 1 }
        }
        tokens.append(
            JSONToken(
                kind: isInteger ? .integer : .number,
                start: Int32(start),
                end: Int32(position),
                next: Int32(tokens.count + 1)
            )
        )
        return position
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }
}

@inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

@inline(__always) func isHexDigit(_ byte: UInt8) -> Bool {
    isDigit(byte) || (byte | 0x20) &- UInt8(ascii: "a") < 6
}

@inline(__always)
func memcmpEqual(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for index in 0..<count where lhs[index] != rhs[index] { return false }
    return true
}

/// The scanner's tape: a growable buffer of tokens with a stable address between scans, so nodes can point into
/// it without reference counting (the hot path reads millions of nodes).
final class TokenTape {
    private(set) var pointer: UnsafeMutablePointer<JSONToken>
    private var capacity = 1024
    private(set) var count = 0

    init() { pointer = .allocate(capacity: capacity) }

    deinit { pointer.deallocate() }

    func removeAll(keepingCapacity: Bool) { count = 0 }

    @inline(__always)
    func append(_ token: JSONToken) {
        if count == capacity {
            let larger = UnsafeMutablePointer<JSONToken>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: pointer, count: count)
            pointer.deallocate()
            pointer = larger
            capacity *= 2
        }
        (pointer + count).initialize(to: token)
        count += 1
    }

    @inline(__always)
    subscript(index: Int) -> JSONToken {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }
}

/// One value on a ``JSONScanner`` tape.
public struct JSONToken: Sendable {
    /// What kind of value the token is.
    public enum Kind: UInt8, Sendable {
        case object, array, string, key, integer, number, `true`, `false`, null
    }
    /// The value's kind.
    public var kind: Kind
    /// Whether a string contains escape sequences (and so needs decoding).
    public var escaped: Bool
    /// The byte offset where the value starts (the opening quote or bracket).
    public var start: Int32
    /// The byte offset just past the value.
    public var end: Int32
    /// The tape index just past this value and everything inside it.
    public var next: Int32

    init(kind: Kind, start: Int32, end: Int32, next: Int32, escaped: Bool = false) {
        self.kind = kind
        self.start = start
        self.end = end
        self.next = next
        self.escaped = escaped
    }
}

/// A JSON syntax error at a byte offset of the scanned input.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    /// The byte offset of the problem, from the start of the scanned input.
    public var offset: Int
    /// What was wrong, for people.
    public var reason: String
    /// Creates an error.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
    /// The reason.
    public var description: String { reason }
}
