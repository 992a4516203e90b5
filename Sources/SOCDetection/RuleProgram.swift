/// The compiled rules' conditions, selections, field conditions and patterns as flat tables of plain values (no
/// references), with every pattern's bytes in one arena: evaluating an event walks indices and compares bytes, and
/// neither allocates nor touches a reference count. Tests that need a value as a string (regular expressions, CIDR
/// blocks, numbers) keep their ``ValueTest``.
final class RuleProgram: @unchecked Sendable {
    // Immutable after init; freed in deinit.
    private let nodes: UnsafeMutableBufferPointer<Node>
    private let operands: UnsafeMutableBufferPointer<Int32>
    private let selections: UnsafeMutableBufferPointer<Selection>
    private let maps: UnsafeMutableBufferPointer<Span>
    private let conditions: UnsafeMutableBufferPointer<Condition>
    private let tests: UnsafeMutableBufferPointer<Test>
    private let patterns: UnsafeMutableBufferPointer<PatternCode>
    private let pieces: UnsafeMutableBufferPointer<Pattern.Piece>
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let stringTests: [ValueTest]

    /// A range of one of the tables.
    struct Span {
        var first: Int32
        var count: Int32
        var range: Range<Int> { Int(first)..<Int(first + count) }
    }

    /// A node of a condition tree.
    struct Node {
        enum Operation: UInt8 {
            /// `operands.first` is a selection.
            case selection
            /// The operands are nodes.
            case and, or
            /// `operands.first` is the negated node.
            case not
            /// The operands are selections (`1 of`, `all of`).
            case anyOf, allOf
            /// A selection name the rule does not define: never true.
            case never
        }
        var operation: Operation
        var operands: Span
    }

    /// A selection: maps (any may match; each a span of ``conditions`` that must all hold) or keyword tests over the
    /// full text.
    struct Selection {
        var isKeywords: Bool
        var span: Span
    }

    /// A field condition: `Field|modifiers: values`.
    struct Condition {
        var slot: Int32
        /// -1 without `exists`; else whether the field must exist.
        var exists: Int8
        var requireAll: Bool
        var cased: Bool
        var tests: Span
        /// `fieldref`: the referenced slots, in ``operands``; `nil` without.
        var references: Span?
    }

    /// One value of a field condition.
    struct Test {
        enum Kind: UInt8 { case patterns, string, null }
        var kind: Kind
        var usesOriginalCase: Bool
        /// Patterns: a span of ``patterns``; string: the index in ``stringTests``.
        var span: Span
    }

    struct PatternCode {
        var position: Pattern.Position
        var isWildcard: Bool
        /// A span of ``pieces``.
        var pieces: Span
    }

    /// Lays out the scopes' conditions; each scope's condition is evaluated by its root node (``roots``).
    init(_ scopes: [CompiledScope]) {
        var builder = Builder()
        roots = scopes.map { builder.add($0) }
        nodes = .copying(builder.nodes)
        operands = .copying(builder.operands)
        selections = .copying(builder.selections)
        maps = .copying(builder.maps)
        conditions = .copying(builder.conditions)
        tests = .copying(builder.tests)
        patterns = .copying(builder.patterns)
        pieces = .copying(builder.pieces)
        bytes = .copying(builder.bytes)
        stringTests = builder.stringTests
    }

    /// Writes the tables for ``init(archive:)``.
    func archive(into writer: inout ArchiveWriter) {
        writer.write(table: roots)
        writer.write(records: nodes)
        writer.write(table: UnsafeBufferPointer(operands))
        writer.write(records: selections)
        writer.write(table: UnsafeBufferPointer(maps))
        writer.write(records: conditions)
        writer.write(records: tests)
        writer.write(records: patterns)
        writer.write(records: pieces)
        writer.write(table: UnsafeBufferPointer(bytes))
        writer.write(stringTests.count)
        for test in stringTests { test.archive(into: &writer) }
    }

    /// Reads a program ``archive(into:)`` wrote. The tables' indices are not checked: the caller trusts the archive
    /// (its digest, its private folder).
    init(archive reader: inout ArchiveReader) throws(ArchiveError) {
        // Everything is read before anything is allocated, so a short archive leaks nothing.
        let roots: [Int32] = try reader.table()
        let nodes: [Node] = try reader.records()
        let operands: [Int32] = try reader.table()
        let selections: [Selection] = try reader.records()
        let maps: [Span] = try reader.table()
        let conditions: [Condition] = try reader.records()
        let tests: [Test] = try reader.records()
        let patterns: [PatternCode] = try reader.records()
        let pieces: [Pattern.Piece] = try reader.records()
        let bytes: [UInt8] = try reader.table()
        var stringTests: [ValueTest] = []
        for _ in 0..<(try reader.count()) { stringTests.append(try ValueTest(archive: &reader)) }
        guard !bytes.isEmpty else { throw ArchiveError("the program's pattern bytes are missing") }
        self.roots = roots
        self.nodes = .copying(nodes)
        self.operands = .copying(operands)
        self.selections = .copying(selections)
        self.maps = .copying(maps)
        self.conditions = .copying(conditions)
        self.tests = .copying(tests)
        self.patterns = .copying(patterns)
        self.pieces = .copying(pieces)
        self.bytes = .copying(bytes)
        self.stringTests = stringTests
    }

    /// Per scope given to `init`, the node its condition starts at.
    let roots: [Int32]

    deinit {
        for buffer in [
            UnsafeMutableRawBufferPointer(nodes), .init(operands), .init(selections), .init(maps), .init(conditions),
            .init(tests), .init(patterns), .init(pieces), .init(bytes),
        ] {
            buffer.deallocate()
        }
    }

    // MARK: - Evaluation

    /// Whether the condition at `node` holds for the event in `view`.
    func evaluate(_ node: Int32, _ view: EventView) -> Bool {
        let node = nodes[Int(node)]
        switch node.operation {
        case .selection: return matches(selection: operands[Int(node.operands.first)], view)
        case .and:
            for index in node.operands.range where !evaluate(operands[index], view) { return false }
            return true
        case .or:
            for index in node.operands.range where evaluate(operands[index], view) { return true }
            return false
        case .not: return !evaluate(operands[Int(node.operands.first)], view)
        case .anyOf:
            for index in node.operands.range where matches(selection: operands[index], view) { return true }
            return false
        case .allOf:
            for index in node.operands.range where !matches(selection: operands[index], view) { return false }
            return true
        case .never: return false
        }
    }

    private func matches(selection index: Int32, _ view: EventView) -> Bool {
        let selection = selections[Int(index)]
        if selection.isKeywords {
            let text = view.lowerFullText
            for test in selection.span.range where matches(test: tests[test], values: text, view: view, slot: -1) {
                return true
            }
            return false
        }
        for map in selection.span.range {
            var all = true
            for condition in maps[map].range where !matches(condition: conditions[condition], view) {
                all = false
                break
            }
            if all { return true }
        }
        return false
    }

    private func matches(condition: Condition, _ view: EventView) -> Bool {
        let slot = Int(condition.slot)
        if condition.exists >= 0 { return view.values(slot: slot, lowered: false).isEmpty != (condition.exists == 1) }
        if let references = condition.references {
            let mine = view.values(slot: slot, lowered: true)
            for index in references.range {
                let theirs = view.values(slot: Int(operands[index]), lowered: true)
                if view.cache.sharesValue(mine, theirs) { return true }
            }
            return false
        }
        for index in condition.tests.range {
            let test = tests[index]
            let values = view.values(slot: slot, lowered: !(condition.cased || test.usesOriginalCase))
            let matched = matches(test: test, values: values, view: view, slot: slot)
            if matched != condition.requireAll { return matched }
        }
        return condition.requireAll
    }

    /// Whether a test holds for a slot's values (`slot` -1: the full text, which only has pattern tests).
    @inline(__always)
    private func matches(test: Test, values: SlotCache.Values, view: EventView, slot: Int) -> Bool {
        switch test.kind {
        case .null: return view.cache.allEmpty(values)
        case .string:
            let valueTest = stringTests[Int(test.span.first)]
            return slot >= 0 && view.strings(slot: slot).contains { valueTest.matches(string: $0) }
        case .patterns:
            let pieces = UnsafeBufferPointer(self.pieces)
            let bytes = UnsafePointer(self.bytes.baseAddress!)
            return view.cache.contains(values) { value in
                for index in test.span.range {
                    let pattern = patterns[index]
                    let own = UnsafeBufferPointer(rebasing: pieces[pattern.pieces.range])
                    if Pattern.matches(
                        value,
                        position: pattern.position,
                        isWildcard: pattern.isWildcard,
                        pieces: own,
                        bytes: bytes
                    ) {
                        return true
                    }
                }
                return false
            }
        }
    }

    // MARK: - Layout

    private struct Builder {
        var nodes: [Node] = []
        var operands: [Int32] = []
        var selections: [Selection] = []
        var maps: [Span] = []
        var conditions: [Condition] = []
        var tests: [Test] = []
        var patterns: [PatternCode] = []
        var pieces: [Pattern.Piece] = []
        var bytes: [UInt8] = [0]  // never empty, so the arena always has an address
        var stringTests: [ValueTest] = []

        mutating func add(_ scope: CompiledScope) -> Int32 {
            let first = Int32(selections.count)
            // Selections are laid out first, in order, so the condition's selection indices become first + index.
            var laidOut: [Selection] = []
            for selection in scope.selections { laidOut.append(add(selection)) }
            selections += laidOut
            return add(scope.condition, selectionBase: first)
        }

        private mutating func add(_ selection: CompiledSelection) -> Selection {
            switch selection {
            case .keywords(let keywordTests):
                let span = Span(first: Int32(tests.count), count: Int32(keywordTests.count))
                var laidOut: [Test] = []
                for test in keywordTests { laidOut.append(add(test)) }
                tests += laidOut
                return Selection(isKeywords: true, span: span)
            case .maps(let alternatives):
                var laidOut: [Span] = []
                for fieldConditions in alternatives {
                    var map: [Condition] = []
                    for condition in fieldConditions { map.append(add(condition)) }
                    laidOut.append(Span(first: Int32(conditions.count), count: Int32(map.count)))
                    conditions += map
                }
                let span = Span(first: Int32(maps.count), count: Int32(laidOut.count))
                maps += laidOut
                return Selection(isKeywords: false, span: span)
            }
        }

        private mutating func add(_ condition: CompiledFieldCondition) -> Condition {
            var references: Span?
            if let slots = condition.references {
                references = Span(first: Int32(operands.count), count: Int32(slots.count))
                operands += slots.map(Int32.init)
            }
            var laidOut: [Test] = []
            for test in condition.tests { laidOut.append(add(test)) }
            let span = Span(first: Int32(tests.count), count: Int32(laidOut.count))
            tests += laidOut
            return Condition(
                slot: Int32(condition.slot),
                exists: condition.exists.map { $0 ? 1 : 0 } ?? -1,
                requireAll: condition.requireAll,
                cased: condition.cased,
                tests: span,
                references: references
            )
        }

        /// Lays out a test's patterns (not the test itself: callers place tests contiguously).
        private mutating func add(_ test: ValueTest) -> Test {
            switch test.form {
            case .null:
                return Test(kind: .null, usesOriginalCase: test.usesOriginalCase, span: Span(first: 0, count: 0))
            case .string:
                stringTests.append(test)
                return Test(
                    kind: .string,
                    usesOriginalCase: test.usesOriginalCase,
                    span: Span(first: Int32(stringTests.count - 1), count: 1)
                )
            case .patterns(let list):
                let span = Span(first: Int32(patterns.count), count: Int32(list.count))
                for pattern in list {
                    let base = Int32(bytes.count)
                    bytes += pattern.bytes
                    let first = Int32(pieces.count)
                    pieces += pattern.pieces.map {
                        Pattern.Piece(kind: $0.kind, start: $0.start + base, count: $0.count)
                    }
                    patterns.append(
                        PatternCode(
                            position: pattern.position,
                            isWildcard: pattern.isWildcard,
                            pieces: Span(first: first, count: Int32(pattern.pieces.count))
                        )
                    )
                }
                return Test(kind: .patterns, usesOriginalCase: test.usesOriginalCase, span: span)
            }
        }

        private mutating func add(_ condition: CompiledCondition, selectionBase: Int32) -> Int32 {
            func node(_ operation: Node.Operation, _ list: [Int32]) -> Int32 {
                let span = Span(first: Int32(operands.count), count: Int32(list.count))
                operands += list
                nodes.append(Node(operation: operation, operands: span))
                return Int32(nodes.count - 1)
            }
            switch condition {
            case .selection(let index):
                return index >= 0 ? node(.selection, [selectionBase + Int32(index)]) : node(.never, [])
            case .and(let parts): return node(.and, parts.map { add($0, selectionBase: selectionBase) })
            case .or(let parts): return node(.or, parts.map { add($0, selectionBase: selectionBase) })
            case .not(let inner): return node(.not, [add(inner, selectionBase: selectionBase)])
            case .anyOf(let indices): return node(.anyOf, indices.map { selectionBase + Int32($0) })
            case .allOf(let indices): return node(.allOf, indices.map { selectionBase + Int32($0) })
            }
        }
    }
}

extension UnsafeMutableBufferPointer {
    /// A new buffer holding `values` (at least one element of room, so it always has an address); the caller
    /// deallocates it.
    static func copying(_ values: [Element]) -> UnsafeMutableBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: Swift.max(1, values.count))
        _ = buffer.initialize(from: values)
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<values.count])
    }
}

// MARK: - Archiving the tables' records, field by field

extension RuleProgram.Span: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(first)
        writer.write(count)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(first: try reader.int32(), count: try reader.int32())
    }
}

extension RuleProgram.Node: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(operation.rawValue)
        operands.write(to: &writer)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(operation: try reader.enumeration(), operands: try RuleProgram.Span(from: &reader))
    }
}

extension RuleProgram.Selection: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(isKeywords)
        span.write(to: &writer)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(isKeywords: try reader.bool(), span: try RuleProgram.Span(from: &reader))
    }
}

extension RuleProgram.Condition: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(slot)
        writer.write(UInt8(bitPattern: exists))
        writer.write(requireAll)
        writer.write(cased)
        tests.write(to: &writer)
        writer.write(references != nil)
        references?.write(to: &writer)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        let slot = try reader.int32()
        let exists = Int8(bitPattern: try reader.uint8())
        let requireAll = try reader.bool()
        let cased = try reader.bool()
        let tests = try RuleProgram.Span(from: &reader)
        let references = try reader.bool() ? try RuleProgram.Span(from: &reader) : nil
        self.init(
            slot: slot,
            exists: exists,
            requireAll: requireAll,
            cased: cased,
            tests: tests,
            references: references
        )
    }
}

extension RuleProgram.Test: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(kind.rawValue)
        writer.write(usesOriginalCase)
        span.write(to: &writer)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(
            kind: try reader.enumeration(),
            usesOriginalCase: try reader.bool(),
            span: try RuleProgram.Span(from: &reader)
        )
    }
}

extension RuleProgram.PatternCode: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(position.rawValue)
        writer.write(isWildcard)
        pieces.write(to: &writer)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(
            position: try reader.enumeration(),
            isWildcard: try reader.bool(),
            pieces: try RuleProgram.Span(from: &reader)
        )
    }
}

extension Pattern.Piece: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(kind.rawValue)
        writer.write(start)
        writer.write(count)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(kind: try reader.enumeration(), start: try reader.int32(), count: try reader.int32())
    }
}
