#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a byte stream is cut into records before parsing.
public struct RecordFraming: Hashable, Sendable, CustomStringConvertible {
    let kind: Kind
    enum Kind: Hashable, Sendable { case lines, jsonValues, csvRows, xmlEvents }

    /// One record per line (NDJSON, syslog, text). `\r\n` endings are accepted.
    public static let lines = RecordFraming(kind: .lines)
    /// Top-level JSON values, which may span lines; the elements of a top-level array are records of their own.
    public static let jsonValues = RecordFraming(kind: .jsonValues)
    /// CSV rows; a quoted field may contain line breaks.
    public static let csvRows = RecordFraming(kind: .csvRows)
    /// `<Event>…</Event>` elements of Windows event XML, with or without an `<Events>` root.
    public static let xmlEvents = RecordFraming(kind: .xmlEvents)

    /// A short name for messages.
    public var description: String {
        switch kind {
        case .lines: "lines"
        case .jsonValues: "JSON values"
        case .csvRows: "CSV rows"
        case .xmlEvents: "XML events"
        }
    }
}

/// What a framer found in the buffered bytes.
enum FrameResult {
    /// A record of `length` bytes starts at the scan start; `consumed` bytes (with separators) can be dropped.
    case record(length: Int, consumed: Int, newlines: Int)
    /// `consumed` bytes hold no record (whitespace, separators, an XML root element).
    case skip(consumed: Int, newlines: Int)
    /// The record continues past the buffered bytes.
    case needMore
    /// The input cannot be framed past this point.
    case invalid(reason: String)
}

/// Finds record boundaries for one ``RecordFraming``. Framers keep state between calls only for one record.
struct Framer {
    let framing: RecordFraming
    private var resume = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var newlines = 0
    private var topLevelArrayOpen = false
    private var expectingSeparator = false

    init(_ framing: RecordFraming) { self.framing = framing }

    /// Scans `bytes`, which start where the previous result left off.
    mutating func next(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> FrameResult {
        switch framing.kind {
        case .lines: return nextLine(bytes, atEnd: atEnd)
        case .jsonValues: return nextJSONValue(bytes, atEnd: atEnd)
        case .csvRows: return nextCSVRow(bytes, atEnd: atEnd)
        case .xmlEvents: return nextXMLEvent(bytes, atEnd: atEnd)
        }
    }

    private mutating func finish(_ result: FrameResult) -> FrameResult {
        resume = 0
        depth = 0
        inString = false
        escaped = false
        newlines = 0
        return result
    }

    private mutating func nextLine(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> FrameResult {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return atEnd ? .skip(consumed: 0, newlines: 0) : .needMore
        }
        let searchStart = resume
        if let found = memchr(base + searchStart, 0x0A, bytes.count - searchStart) {
            let newline = base.distance(to: UnsafeRawPointer(found))
            var length = newline
            if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
            return finish(.record(length: length, consumed: newline + 1, newlines: 1))
        }
        if atEnd {
            var length = bytes.count
            if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
            return finish(.record(length: length, consumed: bytes.count, newlines: 0))
        }
        resume = bytes.count
        return .needMore
    }

    private mutating func nextCSVRow(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> FrameResult {
        var position = resume
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                inString.toggle()
            } else if byte == 0x0A {
                if !inString {
                    var length = position
                    if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
                    let lines = newlines + 1
                    return finish(.record(length: length, consumed: position + 1, newlines: lines))
                }
                newlines += 1
            }
            position += 1
        }
        if atEnd {
            if inString { return finish(.invalid(reason: "unterminated quoted CSV field")) }
            var length = bytes.count
            if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
            return finish(.record(length: length, consumed: bytes.count, newlines: newlines))
        }
        resume = position
        return .needMore
    }

    private mutating func nextJSONValue(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> FrameResult {
        var position = resume
        let count = bytes.count
        if depth == 0 && !inString {
            // Between records: skip whitespace and the separators of a top-level array.
            var skipped = 0
            var lines = 0
            while skipped < count {
                let byte = bytes[skipped]
                if byte == 0x0A {
                    lines += 1
                } else if byte == 0x20 || byte == 0x09 || byte == 0x0D {
                } else if byte == UInt8(ascii: "[") && !topLevelArrayOpen && !expectingSeparator {
                    topLevelArrayOpen = true
                } else if byte == UInt8(ascii: ",") && topLevelArrayOpen && expectingSeparator {
                    expectingSeparator = false
                } else if byte == UInt8(ascii: "]") && topLevelArrayOpen {
                    topLevelArrayOpen = false
                    expectingSeparator = false
                } else if byte == 0xEF && skipped + 2 < count && bytes[skipped + 1] == 0xBB
                    && bytes[skipped + 2] == 0xBF
                {
                    skipped += 2  // a byte order mark
                } else {
                    break
                }
                skipped += 1
            }
            if skipped > 0 { return .skip(consumed: skipped, newlines: lines) }
            guard count > 0 else { return atEnd ? .skip(consumed: 0, newlines: 0) : .needMore }
            let first = bytes[0]
            if expectingSeparator && topLevelArrayOpen {
                return finish(.invalid(reason: "expected ',' or ']' between array elements"))
            }
            guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
                return finish(.invalid(reason: "expected a JSON object or array"))
            }
            position = 0
        }
        while position < count {
            let byte = bytes[position]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                } else if byte == 0x0A {
                    newlines += 1
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        if topLevelArrayOpen { expectingSeparator = true }
                        let lines = newlines
                        return finish(.record(length: position + 1, consumed: position + 1, newlines: lines))
                    }
                case 0x0A: newlines += 1
                default: break
                }
            }
            position += 1
        }
        if atEnd { return finish(.invalid(reason: "unterminated JSON value (the input ends inside it)")) }
        resume = position
        return .needMore
    }

    private mutating func nextXMLEvent(_ bytes: UnsafeRawBufferPointer, atEnd: Bool) -> FrameResult {
        let count = bytes.count
        if depth == 0 {
            // Find the next `<Event` start tag; everything before it (prolog, `<Events>`, whitespace) is skipped.
            guard
                let start = find(
                    bytes,
                    "<Event",
                    from: 0,
                    where: { next in next == 0x20 || next == 0x3E || next == 0x0A || next == 0x0D || next == 0x09 }
                )
            else {
                let keep = min(count, 7)  // a tag may straddle the buffer end
                if atEnd { return .skip(consumed: count, newlines: countNewlines(bytes, 0, count)) }
                return count > keep
                    ? .skip(consumed: count - keep, newlines: countNewlines(bytes, 0, count - keep)) : .needMore
            }
            if start > 0 { return .skip(consumed: start, newlines: countNewlines(bytes, 0, start)) }
            depth = 1
            resume = 1
        }
        if let close = find(bytes, "</Event>", from: resume, where: nil) {
            let end = close + 8
            return finish(.record(length: end, consumed: end, newlines: countNewlines(bytes, 0, end)))
        }
        if atEnd { return finish(.invalid(reason: "unterminated <Event> element")) }
        resume = max(1, count - 8)
        return .needMore
    }

    private func find(
        _ bytes: UnsafeRawBufferPointer,
        _ needle: StaticString,
        from start: Int,
        where accept: ((UInt8) -> Bool)?
    ) -> Int? {
        let length = needle.utf8CodeUnitCount
        let first = needle.utf8Start[0]
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var position = start
        while position + length <= bytes.count {
            if bytes[position] == first,
                memcmpEqual(base + position, needle.utf8Start, length)
            {
                guard let accept else { return position }
                if position + length < bytes.count {
                    if accept(bytes[position + length]) { return position }
                } else {
                    return nil  // cannot tell yet what follows
                }
            }
            position += 1
        }
        return nil
    }

    private func countNewlines(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int {
        var lines = 0
        for index in start..<end where bytes[index] == 0x0A { lines += 1 }
        return lines
    }
}
