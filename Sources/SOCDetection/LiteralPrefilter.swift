import Foundation

/// A literal that must occur (lower-cased) in a field for a rule to be able to match: the prefilter's unit.
struct RequiredLiteral: Hashable {
    /// The field slot whose lower-cased values must contain ``bytes``, or ``fullText``.
    let slot: Int
    let bytes: [UInt8]

    /// The pseudo-slot of keyword selections: the event's message and original record.
    static let fullText = -1
}

/// What a compiled rule needs before it is worth evaluating, as clauses that must all hold, each satisfied by any
/// one of its literals; `nil` when no necessary literal could be derived (the rule is then always evaluated).
///
/// Derivation is conservative: a requirement is only ever a *necessary* condition of the rule's condition, so the
/// prefilter can skip rules but never changes what matches. `and` (and `|all`) gathers the clauses of its parts,
/// `or` keeps one clause uniting each part's most selective clause (and gives up if a part has none), `not` gives
/// up. At most ``LiteralRequirement/maximumClauses`` clauses are kept, the most selective ones.
struct LiteralRequirement: Equatable {
    static let maximumClauses = 8
    private(set) var clauses: [Set<RequiredLiteral>]

    /// All of `parts` hold: their clauses together.
    static func all(_ parts: [LiteralRequirement?]) -> LiteralRequirement? {
        var clauses: [Set<RequiredLiteral>] = []
        for clause in parts.compactMap({ $0 }).flatMap(\.clauses) where !clauses.contains(clause) {
            clauses.append(clause)
        }
        guard !clauses.isEmpty else { return nil }
        return LiteralRequirement(
            clauses: Array(clauses.sorted { selectivity($0) > selectivity($1) }.prefix(maximumClauses))
        )
    }

    /// Any of `parts` holds: a single part as it is, else one clause, the union of each part's most selective
    /// clause.
    static func any(_ parts: [LiteralRequirement?]) -> LiteralRequirement? {
        guard parts.count > 1 else { return parts.first ?? nil }
        var clause = Set<RequiredLiteral>()
        for part in parts {
            guard let best = part?.clauses.first else { return nil }
            clause.formUnion(best)
        }
        return LiteralRequirement(clauses: [clause])
    }

    /// A clause's shortest literal: longer literals occur less often by chance.
    private static func selectivity(_ clause: Set<RequiredLiteral>) -> Int {
        clause.lazy.map(\.bytes.count).min() ?? 0
    }
}

extension CompiledCondition {
    func requirement(_ selections: [CompiledSelection]) -> LiteralRequirement? {
        switch self {
        case .selection(let index): return index >= 0 ? selections[index].requirement : nil
        case .and(let parts): return .all(parts.map { $0.requirement(selections) })
        case .or(let parts): return .any(parts.map { $0.requirement(selections) })
        case .not: return nil
        case .anyOf(let indices): return .any(indices.map { selections[$0].requirement })
        case .allOf(let indices): return .all(indices.map { selections[$0].requirement })
        }
    }
}

extension CompiledSelection {
    var requirement: LiteralRequirement? {
        switch self {
        case .maps(let maps): return .any(maps.map { conditions in .all(conditions.map(\.requirement)) })
        case .keywords(let tests):
            // Message and original are scanned separately, so a literal spanning the line break between them is
            // not a necessary condition; neither is one that is not ASCII (see `LiteralAutomaton.scan`).
            var clause = Set<RequiredLiteral>()
            for test in tests {
                guard let literals = test.requiredLiterals, !literals.contains(where: { $0.contains(0x0A) }) else {
                    return nil
                }
                clause.formUnion(literals.map { RequiredLiteral(slot: RequiredLiteral.fullText, bytes: $0) })
            }
            return clause.isEmpty ? nil : LiteralRequirement(clauses: [clause])
        }
    }
}

extension CompiledFieldCondition {
    var requirement: LiteralRequirement? {
        guard exists == nil, references == nil else { return nil }
        let perTest = tests.map { test in
            test.requiredLiterals.map {
                LiteralRequirement(clauses: [Set($0.map { RequiredLiteral(slot: slot, bytes: $0) })])
            }
        }
        return requireAll ? .all(perTest) : .any(perTest)
    }
}

/// Aho–Corasick over bytes: finds, in one pass over a value, which of many (lower-case) literals it contains. Bytes
/// that occur in no literal share one input class, which keeps the transition table small; upper-case ASCII letters
/// share their lower-case letter's class, so ASCII values need no lower-casing. The tables are flat buffers read
/// through pointers: the scan is the prefilter's inner loop.
final class LiteralAutomaton: @unchecked Sendable {
    // Immutable after init; freed in deinit (``transitions`` came from malloc).
    private let classOf: UnsafeMutableBufferPointer<Int32>
    private let classCount: Int
    private let transitions: UnsafeMutableBufferPointer<Int32>
    /// Per state, where its outputs start in ``outputIDs`` (one more entry than states).
    private let outputStart: UnsafeMutableBufferPointer<Int32>
    private let outputIDs: UnsafeMutableBufferPointer<Int32>
    /// The literals it finds: an archive keeps these, not the tables built from them.
    let literals: [(id: Int32, bytes: [UInt8])]

    /// Builds the automaton for `literals` (non-empty byte strings), each reported by its `id`.
    init(_ literals: [(id: Int32, bytes: [UInt8])]) {
        self.literals = literals
        var classOf = [Int32](repeating: 0, count: 256)
        var classCount = 1
        for (_, bytes) in literals {
            for byte in bytes where classOf[Int(byte)] == 0 {
                classOf[Int(byte)] = Int32(classCount)
                classCount += 1
            }
        }
        for upper in UInt8(ascii: "A")...UInt8(ascii: "Z") { classOf[Int(upper)] = classOf[Int(upper | 0x20)] }
        // The trie has at most one state per literal byte, plus the root, and 0 means "no transition yet" (the root
        // is never a child). Each state's row is zeroed when the state is made, so every page of the table is
        // written before it is read: a page first read maps the kernel's zero page, and the write after it copies
        // the page and flushes the other cores' TLBs, which was two thirds of building the automata. The rows past
        // the last state are never touched and cost no memory. Built through pointers and on both cores
        // (``build(_:)``).
        let maximumStates = 1 + literals.reduce(0) { $0 + $1.bytes.count }
        let table = malloc(maximumStates * classCount * MemoryLayout<Int32>.stride)!.assumingMemoryBound(to: Int32.self)
        table.initialize(repeating: 0, count: classCount)
        var outputs: [[Int32]] = [[]]
        outputs.reserveCapacity(maximumStates)
        for (id, bytes) in literals {
            var state = 0
            for byte in bytes {
                let index = state &* classCount &+ Int(classOf[Int(byte)])
                if table[index] == 0 {
                    table[index] = Int32(outputs.count)
                    (table + outputs.count &* classCount).initialize(repeating: 0, count: classCount)
                    outputs.append([])
                }
                state = Int(table[index])
            }
            outputs[state].append(id)
        }
        let stateCount = outputs.count
        // Breadth first: failure links, then the missing transitions filled from them (a complete automaton).
        var failure = [Int](repeating: 0, count: stateCount)
        var queue: [Int] = []
        queue.reserveCapacity(stateCount)
        for symbol in 0..<classCount where table[symbol] != 0 { queue.append(Int(table[symbol])) }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            let fallbackState = failure[state]
            if !outputs[fallbackState].isEmpty { outputs[state] += outputs[fallbackState] }
            let row = table + state &* classCount
            let fallbackRow = table + fallbackState &* classCount
            for symbol in 0..<classCount {
                let child = row[symbol]
                if child == 0 {
                    row[symbol] = fallbackRow[symbol]
                } else {
                    failure[Int(child)] = Int(fallbackRow[symbol])
                    queue.append(Int(child))
                }
            }
        }
        var starts: [Int32] = [0]
        starts.reserveCapacity(stateCount + 1)
        for output in outputs { starts.append(starts[starts.count - 1] + Int32(output.count)) }
        self.classOf = .copying(classOf)
        self.classCount = classCount
        // Kept where it was built: the rows past the last state were never touched, so they cost no memory.
        self.transitions = UnsafeMutableBufferPointer(start: table, count: stateCount * classCount)
        self.outputStart = .copying(starts)
        self.outputIDs = .copying(outputs.flatMap { $0 })
    }

    /// Writes the literals, for ``literals(from:literalCount:)``: an archive keeps them rather than the tables, which
    /// are built again (on both cores) when it is read. With their tables, an archive of the 2,627 SigmaHQ rules took
    /// 93 MB instead of 7.
    func archiveLiterals(into writer: inout ArchiveWriter) {
        writer.write(table: literals.map(\.id))
        writer.write(table: literals.map { Int32($0.bytes.count) })
        writer.write(table: literals.flatMap(\.bytes))
    }

    /// Reads the literals ``archiveLiterals(into:)`` wrote, checking that their ids are below `literalCount`.
    static func literals(
        from reader: inout ArchiveReader,
        literalCount: Int
    ) throws(ArchiveError)
        -> [(id: Int32, bytes: [UInt8])]
    {
        let ids: [Int32] = try reader.table()
        let lengths: [Int32] = try reader.table()
        let bytes: [UInt8] = try reader.table()
        guard ids.count == lengths.count, ids.allSatisfy({ $0 >= 0 && Int($0) < literalCount }),
            lengths.allSatisfy({ $0 > 0 }), lengths.reduce(0, { $0 + Int($1) }) == bytes.count
        else { throw ArchiveError("an automaton's literals do not fit together") }
        var start = 0
        return zip(ids, lengths).map { id, length in
            defer { start += Int(length) }
            return (id, Array(bytes[start..<(start + Int(length))]))
        }
    }

    /// The automata of several literal sets, built concurrently, in the order of `sets`.
    static func build(_ sets: [[(id: Int32, bytes: [UInt8])]]) -> [LiteralAutomaton] {
        // Largest first, so the longest build starts at once.
        let order = sets.indices.sorted { sets[$0].count > sets[$1].count }
        return concurrentMap(sets.count, order: order) { LiteralAutomaton(sets[$0]) }
    }

    deinit {
        classOf.deallocate()
        free(transitions.baseAddress)  // from malloc
        outputStart.deallocate()
        outputIDs.deallocate()
    }

    /// Appends the ids of the literals that occur in `text` lower-cased (an id may repeat). ASCII text is scanned as
    /// it is; other text is lower-cased first (Unicode lower-casing can turn a non-ASCII character into ASCII).
    func scan(_ text: String, into hits: inout [Int32]) {
        var text = text
        let ascii = text.withUTF8 { scan($0, into: &hits, requireASCII: true) }
        if !ascii {
            var lowered = text.lowercased()
            lowered.withUTF8 { _ = scan($0, into: &hits, requireASCII: false) }
        }
    }

    /// Scans `bytes`; returns false, having reported nothing, on the first non-ASCII byte when `requireASCII`.
    private func scan(_ bytes: UnsafeBufferPointer<UInt8>, into hits: inout [Int32], requireASCII: Bool) -> Bool {
        var state = 0
        let start = hits.count
        for byte in bytes {
            if requireASCII, byte >= 0x80 {
                hits.removeSubrange(start...)
                return false
            }
            state = Int(transitions[state &* classCount &+ Int(classOf[Int(byte)])])
            let first = Int(outputStart[state])
            let end = Int(outputStart[state &+ 1])
            if first < end { for index in first..<end { hits.append(outputIDs[index]) } }
        }
        return true
    }
}
