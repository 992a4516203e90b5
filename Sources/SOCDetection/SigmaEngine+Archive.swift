import SOCModel

extension SigmaEngine {
    /// The layout ``archive()`` writes. Archives are for the build that wrote them (a cache keys them by the
    /// executable too); this number changes whenever the layout does, for builds that report the same version.
    public static let archiveFormat = 1

    private static let magic = Array("socagent compiled Sigma rules\n".utf8)

    /// The compiled engine as bytes, for ``init(archive:)`` to read back without parsing or compiling any rule: the
    /// rule-set cache keeps these.
    public func archive() -> [UInt8] {
        var writer = ArchiveWriter()
        writer.write(table: Self.magic)
        writer.write(Self.archiveFormat)
        writer.write(registry.candidates.count)
        for candidates in registry.candidates { writer.write(candidates.map(\.name)) }
        writer.write(rules.count)
        for rule in rules {
            writer.write(rule.id)
            writer.write(rule.title)
            writer.write(rule.level.rawValue)
            writer.write(rule.techniques)
            writer.write(rule.tactics)
            writer.write(rule.tags)
        }
        writer.write(scopes.count)
        for scope in scopes {
            let alternative = scope.alternative
            writer.write(alternative.windowsLog)
            writer.write(alternative.channel)
            writer.write(alternative.eventIDs.sorted())
            writer.write(alternative.format)
            writer.write(alternative.programs.sorted())
            writer.write(alternative.recordTypes.sorted())
            let renames = alternative.fields.sorted { $0.key < $1.key }
            writer.write(renames.map(\.key))
            writer.write(renames.map(\.value))
            writer.write(scope.reported.map(\.name))
            writer.write(table: scope.reported.map { Int32($0.slot) })
        }
        writer.write(table: entries)
        writer.write(table: entryBucket)
        writer.write(table: entryMask)
        writer.write(table: postingStart)
        writer.write(records: postings)
        let buckets = bucketNumbers.sorted { $0.value < $1.value }
        writer.write(buckets.map(\.key))
        writer.write(table: buckets.map(\.value))
        writer.write(alwaysEvaluated.count)
        for list in alwaysEvaluated { writer.write(table: list) }
        let fields = automata.sorted { $0.key.name < $1.key.name }
        writer.write(fields.map(\.key.name))
        writer.write(table: fields.map(\.value))
        writer.write(literalCount)
        // The automata as their literals (see `LiteralAutomaton.archiveLiterals`).
        writer.write(automatonList.count)
        for automaton in automatonList { automaton.archiveLiterals(into: &writer) }
        writer.write(fullTextAutomaton != nil)
        fullTextAutomaton?.archiveLiterals(into: &writer)
        program.archive(into: &writer)
        return writer.bytes
    }

    /// Reads an engine ``archive()`` wrote, in this build.
    /// - Throws: ``SigmaArchiveError`` when the bytes are not such an archive, or are damaged where a check can tell
    ///   (the caller is expected to have checked a digest of them).
    public convenience init(archive bytes: [UInt8]) throws(SigmaArchiveError) {
        var reader = ArchiveReader(bytes)
        do throws(ArchiveError) {
            guard try reader.table(of: UInt8.self) == Self.magic, try reader.int() == Self.archiveFormat else {
                throw ArchiveError("not a compiled rule set of this format")
            }
            let registry = FieldRegistry()
            for _ in 0..<(try reader.count()) { _ = registry.slot(try reader.strings()) }
            var rules: [RuleSummary] = []
            for _ in 0..<(try reader.count()) {
                let id = try reader.string()
                let title = try reader.string()
                guard let level = SigmaLevel(rawValue: try reader.string()) else {
                    throw ArchiveError("a rule's level is unknown")
                }
                rules.append(
                    RuleSummary(
                        id: id,
                        title: title,
                        level: level,
                        techniques: try reader.strings(),
                        tactics: try reader.strings(),
                        tags: try reader.strings()
                    )
                )
            }
            let slots = registry.candidates.count
            var scopes: [ScopeSummary] = []
            for _ in 0..<(try reader.count()) {
                let windowsLog = try reader.bool()
                let channel = try reader.optionalString()
                let eventIDs = Set(try reader.strings())
                let format = try reader.optionalString()
                let programs = Set(try reader.strings())
                let recordTypes = Set(try reader.strings())
                let renamed = try reader.strings()
                let names = try reader.strings()
                let reportedNames = try reader.strings()
                let reportedSlots: [Int32] = try reader.table()
                guard renamed.count == names.count, Set(renamed).count == renamed.count,
                    reportedNames.count == reportedSlots.count,
                    reportedSlots.allSatisfy({ $0 >= 0 && Int($0) < slots })
                else { throw ArchiveError("a scope's fields do not fit together") }
                let alternative = LogSourceMap.Alternative(
                    windowsLog: windowsLog,
                    channel: channel,
                    eventIDs: eventIDs,
                    format: format,
                    programs: programs,
                    recordTypes: recordTypes,
                    fields: Dictionary(uniqueKeysWithValues: zip(renamed, names))
                )
                let reported = zip(reportedNames, reportedSlots).map { (name: $0, slot: Int($1)) }
                scopes.append(ScopeSummary(alternative: alternative, reported: reported))
            }
            let entries: [Entry] = try reader.table()
            let entryBucket: [Int32] = try reader.table()
            let entryMask: [UInt8] = try reader.table()
            let postingStart: [Int32] = try reader.table()
            let postings: [Posting] = try reader.records()
            let bucketKeys = try reader.strings()
            let bucketValues: [Int32] = try reader.table()
            var alwaysEvaluated: [[Int32]] = []
            for _ in 0..<(try reader.count()) { alwaysEvaluated.append(try reader.table()) }
            let fieldNames = try reader.strings()
            let fieldAutomata: [Int32] = try reader.table()
            let literalCount = try reader.count()
            var literalSets: [[(id: Int32, bytes: [UInt8])]] = []
            for _ in 0..<(try reader.count()) {
                literalSets.append(try LiteralAutomaton.literals(from: &reader, literalCount: literalCount))
            }
            let hasFullText = try reader.bool()
            if hasFullText {
                literalSets.append(try LiteralAutomaton.literals(from: &reader, literalCount: literalCount))
            }
            let program = try RuleProgram(archive: &reader)
            var automatonList = LiteralAutomaton.build(literalSets)
            let fullTextAutomaton = hasFullText ? automatonList.removeLast() : nil
            let buckets = alwaysEvaluated.count
            guard reader.isAtEnd,
                entries.allSatisfy({
                    $0.ruleNumber >= 0 && Int($0.ruleNumber) < rules.count && $0.scope >= 0
                        && Int($0.scope) < scopes.count && Int($0.scope) < program.roots.count
                        && $0.root == program.roots[Int($0.scope)]
                }),
                entryBucket.count == entries.count, entryBucket.allSatisfy({ $0 >= 0 && Int($0) < buckets }),
                entryMask.count == entries.count,
                postingStart.count == literalCount + 1, postingStart.first == 0,
                postingStart.last.map(Int.init) == postings.count,
                zip(postingStart, postingStart.dropFirst()).allSatisfy({ $0 <= $1 }),
                postings.allSatisfy({ $0.entry >= 0 && Int($0.entry) < entries.count }),
                bucketKeys.count == bucketValues.count, Set(bucketKeys).count == bucketKeys.count,
                bucketValues.allSatisfy({ $0 >= 0 && Int($0) < buckets }),
                alwaysEvaluated.allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < entries.count } }),
                fieldNames.count == fieldAutomata.count, Set(fieldNames).count == fieldNames.count,
                fieldAutomata.allSatisfy({ $0 >= 0 && Int($0) < automatonList.count })
            else { throw ArchiveError("the engine's tables do not fit together") }
            self.init(
                registry: registry,
                rules: rules,
                scopes: scopes,
                entries: entries,
                entryBucket: entryBucket,
                entryMask: entryMask,
                postingStart: postingStart,
                postings: postings,
                bucketNumbers: Dictionary(uniqueKeysWithValues: zip(bucketKeys, bucketValues)),
                alwaysEvaluated: alwaysEvaluated,
                automata: Dictionary(uniqueKeysWithValues: zip(fieldNames.map(FieldKey.init), fieldAutomata)),
                automatonList: automatonList,
                fullTextAutomaton: fullTextAutomaton,
                literalCount: literalCount,
                program: program
            )
        } catch {
            throw SigmaArchiveError(reason: error.description)
        }
    }
}

/// Bytes that are not a compiled rule set this build can read.
public struct SigmaArchiveError: Error, CustomStringConvertible {
    /// What was wrong.
    public let reason: String
    public var description: String { "unreadable compiled rule set: \(reason)" }
}

extension SigmaEngine.Posting: ArchiveRecord {
    func write(to writer: inout ArchiveWriter) {
        writer.write(entry)
        writer.write(bit)
    }

    init(from reader: inout ArchiveReader) throws(ArchiveError) {
        self.init(entry: try reader.int32(), bit: try reader.uint8())
    }
}
