/// A regular expression that runs in time linear in the input, for patterns that come from rules and queries nobody
/// vetted: a Thompson NFA simulated over Unicode scalars, so `(a+)+$` costs as much per character as `a+$`.
///
/// It reads the common syntax of ICU, PCRE and Swift's `Regex` without the features that need backtracking:
/// literals and escapes (`\t`, `\n`, `\x41`, `\x{263A}`, `\u263A`, `\Q…\E`), `.`, classes `[a-z_\d]` and `[^…]`,
/// `\d \w \s \D \W \S`, anchors `^ $ \A \z \Z`, word boundaries `\b \B`, groups `(…)`, `(?:…)`, `(?<name>…)`,
/// alternation `|`, the quantifiers `* + ? {m} {m,} {m,n}` (lazy and possessive forms match as greedy ones: only
/// whether a match exists is answered), and the flags `i`, `m` and `s` as options or inline (`(?i)`, `(?i:…)`).
/// Backreferences, lookaround, atomic groups, Unicode property classes and `(?x)` are refused with a
/// ``LinearRegexError`` rather than matched differently.
///
/// ```swift
/// let regex = try LinearRegex(#"-e(nc)? [A-Za-z0-9+/=]{8}"#)
/// regex.matches(in: "powershell -enc SQBFAFgA")  // true: somewhere in the text
/// regex.matchesWhole("-enc SQBFAFgA")             // true: the whole text
/// ```
public struct LinearRegex: Sendable {
    /// How the pattern is matched, as Sigma's `i`, `m` and `s` modifiers ask.
    public struct Options: OptionSet, Sendable, Hashable {
        /// The raw bits.
        public let rawValue: UInt8
        /// Creates options from raw bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Letters match their other case (simple Unicode case mapping).
        public static let caseInsensitive = Options(rawValue: 1)
        /// `^` and `$` match at the start and end of every line, not only of the text.
        public static let anchorsMatchLines = Options(rawValue: 2)
        /// `.` matches line terminators too.
        public static let dotMatchesLineSeparators = Options(rawValue: 4)
    }

    /// The most instructions a compiled pattern may have; matching costs at most this many steps per character.
    public static let maximumProgramSize = 10_000
    /// The largest count a `{m,n}` quantifier may give.
    public static let maximumRepetition = 1_000

    /// The pattern as written.
    public let pattern: String
    /// The options it was compiled with.
    public let options: Options
    private let program: [Instruction]

    /// Compiles `pattern`.
    /// - Parameters:
    ///   - pattern: The regular expression.
    ///   - options: Case, line and dot behaviour.
    /// - Throws: ``LinearRegexError`` when the pattern is malformed, uses a feature this engine does not run
    ///   (backreferences, lookaround), or compiles to more than ``maximumProgramSize`` instructions.
    public init(_ pattern: String, options: Options = []) throws(LinearRegexError) {
        self.pattern = pattern
        self.options = options
        var parser = Parser(Array(pattern.unicodeScalars), options: options)
        let node = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(node)
        compiler.program.append(.match)
        program = compiler.program
    }

    /// Whether the pattern matches somewhere in `text`.
    public func matches(in text: String) -> Bool { run(text, whole: false) }

    /// Whether the pattern matches all of `text` (as Lucene and Elasticsearch match a regular expression on a term).
    public func matchesWhole(_ text: String) -> Bool { run(text, whole: true) }

    // MARK: - Matching

    /// Simulates the NFA: the set of live instructions advances one scalar at a time, each instruction at most once
    /// per position, so the work is at most `program.count` steps per scalar.
    private func run(_ text: String, whole: Bool) -> Bool {
        let scalars = text.unicodeScalars
        var state = RunState(size: program.count)
        var current: [Int] = []
        var next: [Int] = []
        var index = scalars.startIndex
        var position = Position(previous: nil, scalars: scalars, index: index)
        if add(0, at: position, whole: whole, into: &current, state: &state) { return true }
        while index < scalars.endIndex {
            let scalar = scalars[index]
            index = scalars.index(after: index)
            position = Position(previous: scalar, scalars: scalars, index: index)
            state.generation += 1
            next.removeAll(keepingCapacity: true)
            for pc in current where consumes(program[pc], scalar) {
                if add(pc + 1, at: position, whole: whole, into: &next, state: &state) { return true }
            }
            if !whole, add(0, at: position, whole: whole, into: &next, state: &state) { return true }
            swap(&current, &next)
            if whole && current.isEmpty { return state.matchedAtEnd }
        }
        return state.matchedAtEnd
    }

    /// The text around a position, for anchors and word boundaries.
    private struct Position {
        let previous: Unicode.Scalar?
        let scalars: String.UnicodeScalarView
        let index: String.UnicodeScalarView.Index
        var next: Unicode.Scalar? { index < scalars.endIndex ? scalars[index] : nil }
        var atEnd: Bool { index == scalars.endIndex }
        /// Between the two scalars of a CR LF.
        var insideCRLF: Bool { previous == "\r" && next == "\n" }
        /// At the end, or before a final line terminator (`\n`, CR LF, …).
        var atEndOrFinalNewline: Bool {
            guard let next else { return true }
            guard ScalarSet.isLineTerminator(next), !insideCRLF else { return false }
            let after = scalars.index(after: index)
            if after == scalars.endIndex { return true }
            return next == "\r" && scalars[after] == "\n" && scalars.index(after: after) == scalars.endIndex
        }
    }

    private struct RunState {
        var marks: [Int]
        var generation = 1
        var stack: [Int] = []
        var matchedAtEnd = false
        init(size: Int) { marks = Array(repeating: 0, count: size) }
    }

    /// Adds `start` and every instruction reachable from it without consuming input to `list`; returns whether a
    /// search (not a whole match) has succeeded.
    private func add(
        _ start: Int,
        at position: Position,
        whole: Bool,
        into list: inout [Int],
        state: inout RunState
    )
        -> Bool
    {
        state.stack.append(start)
        while let pc = state.stack.popLast() {
            guard state.marks[pc] != state.generation else { continue }
            state.marks[pc] = state.generation
            switch program[pc] {
            case .jump(let target): state.stack.append(target)
            case .split(let first, let second):
                state.stack.append(second)
                state.stack.append(first)
            case .assert(let assertion):
                if holds(assertion, position) { state.stack.append(pc + 1) }
            case .match:
                if !whole {
                    state.stack.removeAll(keepingCapacity: true)
                    return true
                }
                if position.atEnd { state.matchedAtEnd = true }
            case .scalar, .set: list.append(pc)
            }
        }
        return false
    }

    private func consumes(_ instruction: Instruction, _ scalar: Unicode.Scalar) -> Bool {
        switch instruction {
        case .scalar(let variants):
            if variants.contains(scalar.value) { return true }
            return variants.count > 1 && scalar.value >= 0x80 && variants.contains(CaseFolding.lower(scalar).value)
        case .set(let set): return set.contains(scalar)
        default: return false
        }
    }

    private func holds(_ assertion: Assertion, _ position: Position) -> Bool {
        switch assertion {
        case .textStart: return position.previous == nil
        case .textEnd: return position.atEnd
        case .textEndOrFinalNewline: return position.atEndOrFinalNewline
        case .lineStart:
            // Not after a final line terminator, nor inside a CR LF (ICU and PCRE agree).
            guard let previous = position.previous else { return true }
            return ScalarSet.isLineTerminator(previous) && !position.atEnd && !position.insideCRLF
        case .lineEnd:
            guard let next = position.next else { return true }
            return ScalarSet.isLineTerminator(next) && !position.insideCRLF
        case .wordBoundary, .notWordBoundary:
            let before = position.previous.map(ScalarSet.isWord) ?? false
            let after = position.next.map(ScalarSet.isWord) ?? false
            return (before != after) == (assertion == .wordBoundary)
        }
    }
}

/// A pattern ``LinearRegex`` cannot compile: where, and why.
public struct LinearRegexError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem it is.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        /// The pattern is malformed (an unclosed group, a quantifier with nothing to repeat).
        public static let syntax = Kind(name: "syntax")
        /// The pattern uses a feature that needs backtracking (backreferences, lookaround) or that is not read.
        public static let unsupported = Kind(name: "unsupported")
        /// The pattern compiles to more than ``LinearRegex/maximumProgramSize`` instructions.
        public static let tooLarge = Kind(name: "too large")
        /// The kind's name.
        public var description: String { name }
    }
    /// What kind of problem it is.
    public var kind: Kind
    /// The 1-based offset, in Unicode scalars, of the problem in the pattern.
    public var column: Int
    /// What was wrong, for people (never the text being matched).
    public var message: String
    /// Creates an error.
    public init(_ kind: Kind, column: Int, message: String) {
        self.kind = kind
        self.column = column
        self.message = message
    }
    /// `column N: message`.
    public var description: String { "column \(column): \(message)" }
}

// MARK: - Program

private enum Assertion: Sendable, Equatable {
    case textStart, textEnd, textEndOrFinalNewline, lineStart, lineEnd, wordBoundary, notWordBoundary
}

private enum Instruction: Sendable {
    /// One scalar, given as every value that matches it (its case variants under `i`).
    case scalar([UInt32])
    case set(ScalarSet)
    case split(Int, Int)
    case jump(Int)
    case assert(Assertion)
    case match
}

/// A set of scalars: ranges and the `\d \w \s` classes, possibly negated, optionally case-insensitive.
private struct ScalarSet: Sendable {
    enum Shorthand: Sendable { case digit, word, space, notDigit, notWord, notSpace }
    var ranges: [ClosedRange<UInt32>] = []
    var shorthands: [Shorthand] = []
    var negated = false
    var caseInsensitive = false

    static func dot(matchesLineSeparators: Bool) -> ScalarSet {
        var set = ScalarSet(negated: true)
        if !matchesLineSeparators {
            set.ranges = [0x0A...0x0D, 0x85...0x85, 0x2028...0x2029]
        }
        return set
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        var hit = containsExactly(scalar)
        if !hit && caseInsensitive {
            let lower = CaseFolding.lower(scalar)
            let upper = CaseFolding.upper(scalar)
            hit = (lower != scalar && containsExactly(lower)) || (upper != scalar && containsExactly(upper))
        }
        return hit != negated
    }

    private func containsExactly(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        for range in ranges where range.contains(value) { return true }
        for shorthand in shorthands {
            switch shorthand {
            case .digit: if Self.isDigit(scalar) { return true }
            case .word: if Self.isWord(scalar) { return true }
            case .space: if Self.isSpace(scalar) { return true }
            case .notDigit: if !Self.isDigit(scalar) { return true }
            case .notWord: if !Self.isWord(scalar) { return true }
            case .notSpace: if !Self.isSpace(scalar) { return true }
            }
        }
        return false
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value >= 0x30 && scalar.value <= 0x39 }
        return scalar.properties.generalCategory == .decimalNumber
    }

    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 0x30 && value <= 0x39) || (value | 0x20 >= 0x61 && value | 0x20 <= 0x7A) || value == 0x5F
        }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .connectorPunctuation, .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return scalar.properties.isAlphabetic || value == 0x200C || value == 0x200D
        }
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return scalar.properties.isWhitespace
    }

    static func isLineTerminator(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (value >= 0x0A && value <= 0x0D) || value == 0x85 || value == 0x2028 || value == 0x2029
    }
}

/// Simple (one scalar to one scalar) case mappings.
private enum CaseFolding {
    static func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        if value < 0x80 {
            return value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value | 0x20)) : scalar
        }
        return single(scalar.properties.lowercaseMapping) ?? scalar
    }

    static func upper(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        if value < 0x80 {
            return value >= 0x61 && value <= 0x7A ? Unicode.Scalar(UInt8(value & ~0x20)) : scalar
        }
        return single(scalar.properties.uppercaseMapping) ?? scalar
    }

    /// Every scalar that matches `scalar` ignoring case.
    static func variants(_ scalar: Unicode.Scalar) -> [UInt32] {
        var values = [scalar.value]
        for other in [lower(scalar), upper(scalar), lower(upper(scalar))] where !values.contains(other.value) {
            values.append(other.value)
        }
        return values
    }

    private static func single(_ mapping: String) -> Unicode.Scalar? {
        let scalars = mapping.unicodeScalars
        guard let first = scalars.first, scalars.count == 1 else { return nil }
        return first
    }
}

// MARK: - Parsing

private indirect enum Node {
    case empty
    case scalar(Unicode.Scalar, caseInsensitive: Bool)
    case set(ScalarSet)
    case assertion(Assertion)
    case concatenation([Node])
    case alternation([Node])
    case repetition(Node, min: Int, max: Int?)
}

private struct Parser {
    let scalars: [Unicode.Scalar]
    var position = 0
    var options: LinearRegex.Options
    var depth = 0

    init(_ scalars: [Unicode.Scalar], options: LinearRegex.Options) {
        self.scalars = scalars
        self.options = options
    }

    var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    func error(_ kind: LinearRegexError.Kind, _ message: String, at offset: Int? = nil) -> LinearRegexError {
        LinearRegexError(kind, column: (offset ?? position) + 1, message: message)
    }

    mutating func parse() throws(LinearRegexError) -> Node {
        let node = try parseAlternation()
        if position < scalars.count { throw error(.syntax, "unbalanced ')'") }
        return node
    }

    mutating func parseAlternation() throws(LinearRegexError) -> Node {
        var branches = [try parseConcatenation()]
        while peek == "|" {
            position += 1
            branches.append(try parseConcatenation())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    mutating func parseConcatenation() throws(LinearRegexError) -> Node {
        var items: [Node] = []
        while let scalar = peek, scalar != "|", scalar != ")" {
            var atom = try parseAtom()
            while let quantifier = try parseQuantifier() {
                atom = .repetition(atom, min: quantifier.min, max: quantifier.max)
            }
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .concatenation(items)
    }

    /// `*`, `+`, `?` or a well-formed `{m}`, `{m,}`, `{m,n}`, with an optional lazy `?` or possessive `+` after it.
    mutating func parseQuantifier() throws(LinearRegexError) -> (min: Int, max: Int?)? {
        let start = position
        var result: (min: Int, max: Int?)
        switch peek {
        case "*": result = (0, nil)
        case "+": result = (1, nil)
        case "?": result = (0, 1)
        case "{":
            guard let counted = try parseCount() else { return nil }
            result = counted
        default: return nil
        }
        if position == start { position += 1 }
        if peek == "?" || peek == "+" { position += 1 }
        return result
    }

    /// A `{m}`, `{m,}` or `{m,n}` at the current position, or `nil` (and no input read) when the brace is literal.
    mutating func parseCount() throws(LinearRegexError) -> (min: Int, max: Int?)? {
        let start = position
        position += 1
        func readCount(_ parser: inout Parser) throws(LinearRegexError) -> Int? {
            var value: Int?
            while let scalar = parser.peek, scalar.value >= 0x30, scalar.value <= 0x39 {
                let digit = Int(scalar.value - 0x30)
                let current = value ?? 0
                guard current <= LinearRegex.maximumRepetition else {
                    throw parser.error(
                        .tooLarge,
                        "a repetition count above \(LinearRegex.maximumRepetition)",
                        at: start
                    )
                }
                value = current * 10 + digit
                parser.position += 1
            }
            return value
        }
        guard let low = try readCount(&self) else {
            position = start
            return nil
        }
        var high: Int? = low
        if peek == "," {
            position += 1
            high = try readCount(&self)
        }
        guard peek == "}" else {
            position = start
            return nil
        }
        position += 1
        for count in [low, high ?? 0] where count > LinearRegex.maximumRepetition {
            throw error(.tooLarge, "a repetition count above \(LinearRegex.maximumRepetition)", at: start)
        }
        if let high, high < low { throw error(.syntax, "a repetition {m,n} with n below m", at: start) }
        return (low, high)
    }

    mutating func parseAtom() throws(LinearRegexError) -> Node {
        let start = position
        guard let scalar = peek else { return .empty }
        position += 1
        switch scalar {
        case "(": return try parseGroup(start: start)
        case "[": return .set(try parseClass(start: start))
        case ".": return .set(.dot(matchesLineSeparators: options.contains(.dotMatchesLineSeparators)))
        case "^": return .assertion(options.contains(.anchorsMatchLines) ? .lineStart : .textStart)
        case "$": return .assertion(options.contains(.anchorsMatchLines) ? .lineEnd : .textEndOrFinalNewline)
        case "*", "+", "?": throw error(.syntax, "'\(scalar)' has nothing to repeat", at: start)
        case "{":
            if try parseCountAt(start) { throw error(.syntax, "a repetition has nothing to repeat", at: start) }
            return literal(scalar)
        case "\\": return try parseEscape(start: start)
        default: return literal(scalar)
        }
    }

    /// Whether a well-formed count starts at `start` (the `{` already read), leaving the position after the `{`.
    mutating func parseCountAt(_ start: Int) throws(LinearRegexError) -> Bool {
        position = start
        let isCount = try parseCount() != nil
        position = start + 1
        return isCount
    }

    func literal(_ scalar: Unicode.Scalar) -> Node {
        .scalar(scalar, caseInsensitive: options.contains(.caseInsensitive))
    }

    mutating func parseGroup(start: Int) throws(LinearRegexError) -> Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 200 else { throw error(.tooLarge, "groups nested more than 200 deep", at: start) }
        let saved = options
        var restoresOptions = true
        defer { if restoresOptions { options = saved } }
        if peek == "?" {
            position += 1
            switch peek {
            case ":": position += 1
            case "=", "!": throw error(.unsupported, "lookahead is not supported", at: start)
            case ">": throw error(.unsupported, "atomic groups are not supported", at: start)
            case "#":
                while let scalar = peek, scalar != ")" { position += 1 }
                guard peek == ")" else { throw error(.syntax, "unterminated comment", at: start) }
                position += 1
                return .empty
            case "<", "P", "'":
                if peek == "P" { position += 1 }
                if peek == "<", position + 1 < scalars.count, ["=", "!"].contains(scalars[position + 1]) {
                    throw error(.unsupported, "lookbehind is not supported", at: start)
                }
                if peek == "=" || peek == ">" {
                    throw error(.unsupported, "named backreferences and subroutines are not supported", at: start)
                }
                guard let open = peek, open == "<" || open == "'" else {
                    throw error(.syntax, "malformed group name", at: start)
                }
                let close: Unicode.Scalar = open == "<" ? ">" : "'"
                position += 1
                while let scalar = peek, scalar != close {
                    guard ScalarSet.isWord(scalar) else { throw error(.syntax, "malformed group name", at: start) }
                    position += 1
                }
                guard peek == close else { throw error(.syntax, "malformed group name", at: start) }
                position += 1
            default:
                // Inline flags: (?ims-ims) for the rest of the group, (?ims-ims:…) for a group.
                var enable = true
                var flags = options
                while let scalar = peek, scalar != ")", scalar != ":" {
                    let flag: LinearRegex.Options
                    switch scalar {
                    case "i": flag = .caseInsensitive
                    case "m": flag = .anchorsMatchLines
                    case "s": flag = .dotMatchesLineSeparators
                    case "-" where enable:
                        enable = false
                        position += 1
                        continue
                    default:
                        throw error(.unsupported, "the inline flag '\(scalar)' is not supported", at: position)
                    }
                    if enable { flags.insert(flag) } else { flags.remove(flag) }
                    position += 1
                }
                guard let end = peek else { throw error(.syntax, "unclosed group", at: start) }
                position += 1
                options = flags
                if end == ")" {
                    // `(?i)` applies to the rest of the enclosing group, which restores the options at its end.
                    restoresOptions = false
                    return .empty
                }
            }
        }
        let inner = try parseAlternation()
        guard peek == ")" else { throw error(.syntax, "unclosed group", at: start) }
        position += 1
        return inner
    }

    mutating func parseEscape(start: Int) throws(LinearRegexError) -> Node {
        guard let scalar = peek else { throw error(.syntax, "a trailing '\\'", at: start) }
        position += 1
        switch scalar {
        case "d": return .set(ScalarSet(shorthands: [.digit]))
        case "D": return .set(ScalarSet(shorthands: [.notDigit]))
        case "w": return .set(ScalarSet(shorthands: [.word]))
        case "W": return .set(ScalarSet(shorthands: [.notWord]))
        case "s": return .set(ScalarSet(shorthands: [.space]))
        case "S": return .set(ScalarSet(shorthands: [.notSpace]))
        case "b": return .assertion(.wordBoundary)
        case "B": return .assertion(.notWordBoundary)
        case "A": return .assertion(.textStart)
        case "z": return .assertion(.textEnd)
        case "Z": return .assertion(.textEndOrFinalNewline)
        case "Q":
            var items: [Node] = []
            while position < scalars.count {
                if scalars[position] == "\\", position + 1 < scalars.count, scalars[position + 1] == "E" {
                    position += 2
                    break
                }
                items.append(literal(scalars[position]))
                position += 1
            }
            return .concatenation(items)
        case "E": return .empty
        default:
            return literal(try escapedScalar(scalar, start: start))
        }
    }

    /// The scalar a `\`-escape other than a class or an assertion stands for (`scalar` is the one after the `\`).
    mutating func escapedScalar(_ scalar: Unicode.Scalar, start: Int) throws(LinearRegexError) -> Unicode.Scalar {
        switch scalar {
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "v": return "\u{0B}"
        case "a": return "\u{07}"
        case "e": return "\u{1B}"
        case "0": return try number(radix: 8, maxDigits: 3, braced: false, start: start, allowEmpty: true)
        case "x": return try number(radix: 16, maxDigits: 2, braced: true, start: start, allowEmpty: false)
        case "u": return try number(radix: 16, maxDigits: 4, braced: true, start: start, allowEmpty: false)
        case "U": return try number(radix: 16, maxDigits: 8, braced: false, start: start, allowEmpty: false)
        case "1"..."9", "k", "g":
            throw error(.unsupported, "backreferences are not supported", at: start)
        case "p", "P": throw error(.unsupported, "Unicode property classes are not supported", at: start)
        default:
            let value = scalar.value
            let alphanumeric = (value >= 0x30 && value <= 0x39) || (value | 0x20 >= 0x61 && value | 0x20 <= 0x7A)
            if alphanumeric { throw error(.unsupported, "the escape '\\\(scalar)' is not supported", at: start) }
            return scalar
        }
    }

    /// The digits after `\x`, `\u`, `\U` or `\0`, or in braces after `\x{`/`\u{`.
    mutating func number(
        radix: UInt32,
        maxDigits: Int,
        braced: Bool,
        start: Int,
        allowEmpty: Bool
    )
        throws(LinearRegexError) -> Unicode.Scalar
    {
        let isBraced = braced && peek == "{"
        if isBraced { position += 1 }
        var value: UInt32 = 0
        var digits = 0
        while let scalar = peek, isBraced || digits < maxDigits, let digit = Self.digit(scalar, radix: radix) {
            guard value <= 0x10_FFFF else { break }
            value = value * radix + digit
            digits += 1
            position += 1
        }
        if isBraced {
            guard peek == "}" else { throw error(.syntax, "an unterminated escape", at: start) }
            position += 1
        }
        guard digits > 0 || allowEmpty, let result = Unicode.Scalar(value) else {
            throw error(.syntax, "an invalid escape", at: start)
        }
        return result
    }

    static func digit(_ scalar: Unicode.Scalar, radix: UInt32) -> UInt32? {
        let value = scalar.value
        let digit: UInt32
        switch value {
        case 0x30...0x39: digit = value - 0x30
        case 0x41...0x46: digit = value - 0x41 + 10
        case 0x61...0x66: digit = value - 0x61 + 10
        default: return nil
        }
        return digit < radix ? digit : nil
    }

    /// A bracketed class; the `[` is already read.
    mutating func parseClass(start: Int) throws(LinearRegexError) -> ScalarSet {
        var set = ScalarSet(caseInsensitive: options.contains(.caseInsensitive))
        if peek == "^" {
            set.negated = true
            position += 1
        }
        var first = true
        while true {
            guard let scalar = peek else { throw error(.syntax, "unclosed character class", at: start) }
            if scalar == "]" && !first {
                position += 1
                return set
            }
            first = false
            guard let low = try parseClassItem(into: &set, start: start) else { continue }
            if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                let dash = position
                position += 1
                guard let high = try parseClassItem(into: &set, start: start) else {
                    throw error(.syntax, "a range with a class at its end", at: dash)
                }
                guard low.value <= high.value else { throw error(.syntax, "a range out of order", at: dash) }
                set.ranges.append(low.value...high.value)
            } else {
                set.ranges.append(low.value...low.value)
            }
        }
    }

    /// One class member: a scalar (returned, as it may start a range) or a shorthand class (added to `set`).
    mutating func parseClassItem(into set: inout ScalarSet, start: Int) throws(LinearRegexError) -> Unicode.Scalar? {
        guard let scalar = peek else { throw error(.syntax, "unclosed character class", at: start) }
        let itemStart = position
        position += 1
        switch scalar {
        case "[":
            throw error(
                .unsupported,
                "nested classes and POSIX classes ('[' in a class) are not supported; write '\\['",
                at: itemStart
            )
        case "\\":
            guard let escaped = peek else { throw error(.syntax, "unclosed character class", at: start) }
            position += 1
            switch escaped {
            case "d": set.shorthands.append(.digit)
            case "D": set.shorthands.append(.notDigit)
            case "w": set.shorthands.append(.word)
            case "W": set.shorthands.append(.notWord)
            case "s": set.shorthands.append(.space)
            case "S": set.shorthands.append(.notSpace)
            case "b": return "\u{08}"
            default: return try escapedScalar(escaped, start: itemStart)
            }
            return nil
        default: return scalar
        }
    }
}

// MARK: - Compiling

private struct Compiler {
    var program: [Instruction] = []

    mutating func append(_ instruction: Instruction) throws(LinearRegexError) {
        guard program.count < LinearRegex.maximumProgramSize else {
            throw LinearRegexError(
                .tooLarge,
                column: 1,
                message: "the pattern needs more than \(LinearRegex.maximumProgramSize) instructions"
            )
        }
        program.append(instruction)
    }

    mutating func emit(_ node: Node) throws(LinearRegexError) {
        switch node {
        case .empty: break
        case .scalar(let scalar, let caseInsensitive):
            try append(.scalar(caseInsensitive ? CaseFolding.variants(scalar) : [scalar.value]))
        case .set(let set): try append(.set(set))
        case .assertion(let assertion): try append(.assert(assertion))
        case .concatenation(let items):
            for item in items { try emit(item) }
        case .alternation(let branches):
            // split L1, next; L1: branch; jump end; next: split L2, … ; last branch
            var jumps: [Int] = []
            for (index, branch) in branches.enumerated() {
                if index < branches.count - 1 {
                    let split = program.count
                    try append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(program.count)
                    try append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                } else {
                    try emit(branch)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case .repetition(let inner, let min, let max):
            for _ in 0..<min { try emit(inner) }
            if let max {
                // (x(x(x)?)?)?: each optional copy skips to the end.
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(program.count)
                    try append(.split(program.count + 1, 0))
                    try emit(inner)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                // loop: split body, end; body; jump loop
                let loop = program.count
                try append(.split(loop + 1, 0))
                try emit(inner)
                try append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}
