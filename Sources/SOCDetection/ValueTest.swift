import Foundation
import SOCModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One value of a Sigma field condition with its modifiers applied: a set of string patterns (any may match), a
/// regular expression, a CIDR block or a number comparison.
struct ValueTest: Sendable {
    private enum Kind: Sendable {
        case patterns([Pattern])
        case regex(LinearRegex)
        case cidr(IPMatcher)
        case number(Comparison, Double)
        case null
    }
    private let kind: Kind
    /// Whether the test needs the value in its original case (regular expressions, base64, `cased`).
    let usesOriginalCase: Bool
    /// For the tests that match a value as a string (regular expressions, CIDR blocks, numbers), the value and
    /// modifiers they were made from, to archive them.
    private var origin: (value: String, modifiers: [String])?

    var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// The modifiers socagent implements; any other is a reason not to load the rule.
    static let supported: Set<String> = [
        "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "base64", "base64offset", "utf16le",
        "utf16be",
        "utf16", "wide", "windash", "cidr", "lt", "lte", "gt", "gte", "cased", "exists", "fieldref",
    ]

    static func make(_ value: String?, modifiers: [String]) throws -> ValueTest {
        for modifier in modifiers where !supported.contains(modifier) {
            throw SigmaCompileError("unsupported modifier '\(modifier)'")
        }
        guard let value else { return ValueTest(kind: .null, usesOriginalCase: false) }
        let cased = modifiers.contains("cased")
        if modifiers.contains("re") {
            // Rules are untrusted input: a linear-time engine, so no pattern can make a match backtrack for minutes.
            var options: LinearRegex.Options = []
            if modifiers.contains("i") { options.insert(.caseInsensitive) }
            if modifiers.contains("m") { options.insert(.anchorsMatchLines) }
            if modifiers.contains("s") { options.insert(.dotMatchesLineSeparators) }
            do {
                return ValueTest(
                    kind: .regex(try LinearRegex(value, options: options)),
                    usesOriginalCase: true,
                    origin: (value, modifiers)
                )
            } catch {
                let what = error.kind == .syntax ? "invalid" : "unsupported"
                throw SigmaCompileError("\(what) regular expression (\(error))")
            }
        }
        if modifiers.contains("cidr") {
            guard let matcher = IPMatcher(value) else { throw SigmaCompileError("invalid CIDR block '\(value)'") }
            return ValueTest(kind: .cidr(matcher), usesOriginalCase: false, origin: (value, modifiers))
        }
        for comparison in Comparison.allCases where modifiers.contains(comparison.rawValue) {
            guard let number = Double(value) else { throw SigmaCompileError("'\(comparison.rawValue)' needs a number") }
            return ValueTest(
                kind: .number(comparison, number),
                usesOriginalCase: false,
                origin: (value, modifiers)
            )
        }
        // String values: variants from windash and encodings, then the position modifiers.
        var variants = [value]
        if modifiers.contains("windash") {
            variants = variants.flatMap { text in
                ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"].map { dash in
                    text.replacingOccurrences(of: "-", with: dash)
                }
            }
            variants = Array(NSOrderedSet(array: variants)) as? [String] ?? variants
        }
        let encodings = ["utf16le", "utf16be", "utf16", "wide"].filter(modifiers.contains)
        let base64 = modifiers.contains("base64") || modifiers.contains("base64offset")
        if !encodings.isEmpty && !base64 {
            throw SigmaCompileError("'\(encodings[0])' without 'base64' is not supported")
        }
        var literal = false
        if base64 {
            literal = true  // an encoded value has no wildcards
            variants = variants.flatMap { text -> [String] in
                let bytes = Self.encode(Self.unescapeLiteral(text), encodings.first)
                return modifiers.contains("base64offset")
                    ? Self.base64Offsets(bytes) : [Data(bytes).base64EncodedString()]
            }
        }
        let position: Pattern.Position =
            modifiers.contains("contains")
            ? .contains : modifiers.contains("startswith") ? .prefix : modifiers.contains("endswith") ? .suffix : .whole
        let originalCase = cased || base64
        let patterns = variants.map { Pattern($0, position: position, literal: literal, lowercase: !originalCase) }
        return ValueTest(kind: .patterns(patterns), usesOriginalCase: originalCase)
    }

    /// Byte strings of which a matching value, lower-cased, must contain at least one, or `nil` when the test has
    /// none (CIDR blocks, numbers, null, empty patterns, case-sensitive non-ASCII text, regular expressions without a
    /// plain literal run). A case-sensitive ASCII literal (`cased`, base64) counts lower-cased: if it occurs in a
    /// value, its lower-case form occurs in the lower-cased value.
    var requiredLiterals: [[UInt8]]? {
        if case .regex(let regex) = kind { return Self.requiredLiteral(regex: regex.pattern).map { [$0] } }
        guard case .patterns(let patterns) = kind else { return nil }
        var literals: [[UInt8]] = []
        for pattern in patterns {
            guard let literal = pattern.requiredLiteral else { return nil }
            literals.append(literal)
        }
        return literals.isEmpty ? nil : literals
    }

    /// What the rule program needs of the test: its string patterns, or the test itself when it needs the value as
    /// a string (regular expressions, CIDR blocks, numbers), or that it is `null`.
    enum Form {
        case patterns([Pattern])
        case string
        case null
    }

    var form: Form {
        switch kind {
        case .patterns(let patterns): return .patterns(patterns)
        case .null: return .null
        case .regex, .cidr, .number: return .string
        }
    }

    /// Matches a value as a string (for the tests whose ``form`` is `.string`).
    func matches(string value: String) -> Bool {
        switch kind {
        case .patterns, .null: return false
        case .regex(let regex): return regex.matches(in: value)
        case .cidr(let matcher): return matcher.matches(value)
        case .number(let comparison, let bound): return Double(value).map { comparison.holds($0, bound) } ?? false
        }
    }

    /// The longest ASCII literal run, lower-cased, that every match of a regular expression contains, or `nil`.
    ///
    /// Conservative: only runs outside groups and character classes count, a character followed by `?`, `*` or
    /// `{` is dropped, and any top-level alternation, escape that is not plainly literal (`\x41`, `\Q`), or
    /// extended-syntax flag gives up. Matching is on the lower-cased value, so case flags do not matter.
    static func requiredLiteral(regex pattern: String) -> [UInt8]? {
        let bytes = Array(pattern.utf8)
        if pattern.contains("(?x") || pattern.contains("(?-") { return nil }
        var best: [UInt8] = []
        var run: [UInt8] = []
        func endRun() {
            if run.count > best.count { best = run }
            run = []
        }
        var index = 0
        var depth = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return nil }
                let next = bytes[index + 1]
                let isAlphanumeric = (next >= 0x30 && next <= 0x39) || (next | 0x20 >= 0x61 && next | 0x20 <= 0x7A)
                if !isAlphanumeric, next < 0x80 {
                    if depth == 0 { run.append(next) }
                } else if Array("dwsDWSbB".utf8).contains(next) {
                    if depth == 0 { endRun() }
                } else {
                    return nil
                }
                index += 2
                continue
            case UInt8(ascii: "|"):
                if depth == 0 { return nil }
            case UInt8(ascii: "("):
                if depth == 0 { endRun() }
                depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
            case UInt8(ascii: "["):
                if depth == 0 { endRun() }
                // Skip the class: a leading `]` or `^]` is literal, escapes are skipped whole.
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "^") { index += 1 }
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1 }
                while index < bytes.count, bytes[index] != UInt8(ascii: "]") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { return nil }
            case UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "{"):
                if depth == 0 {
                    if !run.isEmpty { run.removeLast() }
                    endRun()
                }
                if byte == UInt8(ascii: "{") {
                    while index < bytes.count, bytes[index] != UInt8(ascii: "}") { index += 1 }
                }
            case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "$"):
                if depth == 0 { endRun() }
            default:
                if depth == 0 {
                    if byte < 0x80 { run.append(byte | (byte >= 0x41 && byte <= 0x5A ? 0x20 : 0)) } else { endRun() }
                }
            }
            index += 1
        }
        guard depth == 0 else { return nil }
        endRun()
        return best.isEmpty ? nil : best
    }

    private static func encode(_ text: String, _ encoding: String?) -> [UInt8] {
        switch encoding {
        case "utf16le", "wide": return text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        case "utf16be": return text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        case "utf16": return [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        default: return Array(text.utf8)
        }
    }

    /// The three base64 renderings of `bytes` at each offset within a longer encoded string (pySigma's algorithm).
    private static func base64Offsets(_ bytes: [UInt8]) -> [String] {
        let starts = [0, 2, 3]
        let ends = [0, 3, 2]
        return (0..<3).map { shift in
            let encoded = Array(Data(Array(repeating: UInt8(ascii: " "), count: shift) + bytes).base64EncodedString())
            let end = ends[(bytes.count + shift) % 3]
            let upper = encoded.count - end
            guard starts[shift] < upper else { return "" }
            return String(encoded[starts[shift]..<upper])
        }.filter { !$0.isEmpty }
    }

    /// The value with Sigma's escapes removed (for encodings, where wildcards cannot apply).
    static func unescapeLiteral(_ text: String) -> String {
        var out = ""
        var escaped = false
        for character in text {
            if escaped {
                out.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { out.append("\\") }
        return out
    }
}

extension ValueTest {
    /// Writes a string test (see ``form``) for ``init(archive:)``: the value and modifiers it was made from.
    func archive(into writer: inout ArchiveWriter) {
        writer.write(origin?.value ?? "")
        writer.write(origin?.modifiers ?? [])
    }

    /// Makes again the string test ``archive(into:)`` wrote.
    init(archive reader: inout ArchiveReader) throws(ArchiveError) {
        let value = try reader.string()
        let modifiers = try reader.strings()
        do {
            self = try Self.make(value, modifiers: modifiers)
        } catch {
            throw ArchiveError("a test no longer compiles: \(error)")
        }
        guard origin != nil else { throw ArchiveError("an archived test is not a string test") }
    }
}

/// The number comparisons of `lt`, `lte`, `gt` and `gte`.
enum Comparison: String, CaseIterable, Sendable {
    case lt, lte, gt, gte
    func holds(_ value: Double, _ bound: Double) -> Bool {
        switch self {
        case .lt: value < bound
        case .lte: value <= bound
        case .gt: value > bound
        case .gte: value >= bound
        }
    }
}

/// A Sigma string value: literal text or a `*`/`?` wildcard pattern, at a position. It is kept as pieces over one
/// byte string, the form the rule program copies and matches without allocating.
struct Pattern: Sendable {
    enum Position: UInt8, Sendable { case whole, contains, prefix, suffix }
    /// A run of literal bytes, `*` or `?`.
    struct Piece: Sendable {
        enum Kind: UInt8, Sendable { case text, any, one }
        var kind: Kind
        /// For text, the range of its bytes (in the pattern's ``bytes``, or the program's arena once copied).
        var start: Int32
        var count: Int32
    }
    enum Token: Sendable, Equatable {
        case text(String)
        case any
        case one
    }
    /// `whole`, `contains`, `prefix` or `suffix` for a literal; a wildcard pattern is anchored by its pieces
    /// (`contains` became leading and trailing `*`), so its position is `whole`.
    let position: Position
    /// Whether the pattern has wildcards; a literal is one text piece.
    let isWildcard: Bool
    let pieces: [Piece]
    let bytes: [UInt8]
    /// Whether the pattern was lower-cased (it is matched against lower-cased values).
    private let lowercased: Bool

    init(_ value: String, position: Position, literal: Bool, lowercase: Bool) {
        self.lowercased = lowercase
        if literal {
            let bytes = Array((lowercase ? value.lowercased() : value).utf8)
            (self.position, isWildcard, self.bytes) = (position, false, bytes)
            pieces = [Piece(kind: .text, start: 0, count: Int32(bytes.count))]
            return
        }
        // Sigma escapes: `\*` and `\?` are literal wildcards, `\\` a backslash; any other `\` is literal.
        var tokens: [Token] = []
        var text = ""
        var characters = Array(value)
        if lowercase { characters = Array(value.lowercased()) }
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "\\", index + 1 < characters.count, ["*", "?", "\\"].contains(characters[index + 1]) {
                text.append(characters[index + 1])
                index += 2
                continue
            }
            if character == "*" || character == "?" {
                if !text.isEmpty { tokens.append(.text(text)) }
                text = ""
                tokens.append(character == "*" ? .any : .one)
            } else {
                text.append(character)
            }
            index += 1
        }
        if !text.isEmpty { tokens.append(.text(text)) }
        if tokens.allSatisfy({ if case .text = $0 { return true } else { return false } }) {
            let bytes = Array(tokens.map { if case .text(let t) = $0 { return t } else { return "" } }.joined().utf8)
            (self.position, isWildcard, self.bytes) = (position, false, bytes)
            pieces = [Piece(kind: .text, start: 0, count: Int32(bytes.count))]
            return
        }
        var wrapped = tokens
        if position == .contains || position == .suffix { wrapped.insert(.any, at: 0) }
        if position == .contains || position == .prefix { wrapped.append(.any) }
        var bytes: [UInt8] = []
        pieces = wrapped.map { token in
            switch token {
            case .text(let text):
                let start = Int32(bytes.count)
                bytes += Array(text.utf8)
                return Piece(kind: .text, start: start, count: Int32(bytes.count) - start)
            case .any: return Piece(kind: .any, start: 0, count: 0)
            case .one: return Piece(kind: .one, start: 0, count: 0)
            }
        }
        (self.position, isWildcard, self.bytes) = (.whole, true, bytes)
    }

    /// The longest literal run every matching value contains, if it is not empty.
    var requiredLiteral: [UInt8]? {
        let longest = pieces.filter { $0.kind == .text }.max { $0.count < $1.count }
        let literal = longest.map { Array(bytes[Int($0.start)..<Int($0.start + $0.count)]) } ?? []
        guard !literal.isEmpty, literal.allSatisfy({ $0 < 0x80 }) || lowercased else { return nil }
        return literal.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    /// Matches `value` (UTF-8, already lower-cased when the pattern is) against a pattern given as its parts:
    /// `pieces` whose text is in `bytes`.
    @inline(__always)
    static func matches(
        _ value: UnsafeBufferPointer<UInt8>,
        position: Position,
        isWildcard: Bool,
        pieces: UnsafeBufferPointer<Piece>,
        bytes: UnsafePointer<UInt8>
    ) -> Bool {
        if isWildcard { return match(pieces, bytes, value) }
        let text = UnsafeBufferPointer(start: bytes + Int(pieces[0].start), count: Int(pieces[0].count))
        switch position {
        case .whole: return value.count == text.count && equal(value, 0, text)
        case .contains: return contains(value, text)
        case .prefix: return value.count >= text.count && equal(value, 0, text)
        case .suffix: return value.count >= text.count && equal(value, value.count - text.count, text)
        }
    }

    @inline(__always)
    private static func equal(
        _ value: UnsafeBufferPointer<UInt8>,
        _ offset: Int,
        _ text: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard let textBase = text.baseAddress else { return true }
        guard let valueBase = value.baseAddress else { return false }
        return memcmp(valueBase + offset, textBase, text.count) == 0
    }

    /// Whether `needle` occurs in `haystack`: `memchr` for the first byte, `memcmp` for the rest.
    static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let nBase = needle.baseAddress, !needle.isEmpty else { return true }
        guard haystack.count >= needle.count, let hBase = haystack.baseAddress else { return false }
        let first = Int32(nBase[0])
        let last = haystack.count - needle.count
        var offset = 0
        while offset <= last {
            guard let found = memchr(hBase + offset, first, last - offset + 1) else { return false }
            let position = UnsafeRawPointer(hBase).distance(to: UnsafeRawPointer(found))
            if memcmp(hBase + position, nBase, needle.count) == 0 { return true }
            offset = position + 1
        }
        return false
    }

    /// Whether `needle` occurs in `haystack` (arrays; for callers off the hot path).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBufferPointer { h in needle.withUnsafeBufferPointer { n in contains(h, n) } }
    }

    /// Wildcard matching over UTF-8 bytes with backtracking on the last `*` (linear in practice).
    private static func match(
        _ pieces: UnsafeBufferPointer<Piece>,
        _ bytes: UnsafePointer<UInt8>,
        _ value: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        var p = 0
        var v = 0
        var starPiece = -1
        var starValue = 0
        while v <= value.count {
            if p < pieces.count {
                let piece = pieces[p]
                switch piece.kind {
                case .any:
                    starPiece = p
                    starValue = v
                    p += 1
                    continue
                case .one where v < value.count:
                    // One character: skip a whole UTF-8 sequence.
                    v += max(1, utf8Length(value[v]))
                    p += 1
                    continue
                case .text where v + Int(piece.count) <= value.count:
                    let text = UnsafeBufferPointer(start: bytes + Int(piece.start), count: Int(piece.count))
                    if equal(value, v, text) {
                        v += Int(piece.count)
                        p += 1
                        continue
                    }
                default: break
                }
            } else if v == value.count {
                return true
            }
            guard starPiece >= 0, starValue < value.count else { return false }
            starValue += 1
            v = starValue
            p = starPiece + 1
        }
        return false
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }
}
