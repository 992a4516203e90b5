import Foundation
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

@testable import SOCDetection

/// An engine read from its archive is the engine that wrote it: same detections, in the same order, and the same
/// archive when written again. Damaged archives are refused, never read.
struct SigmaArchiveTests {
    /// On SigmaHQ's rules, its regression events and the EVTX attack samples.
    @Test(.enabled(if: SigmaData.path != nil, "needs ../shared/data/sigma"))
    func anArchivedEngineDetectsWhatTheCompiledOneDoes() throws {
        let rules = try #require(SigmaData.ruleSet).rules
        let events = try SigmaData.realEvents()
        let compiled = SigmaEngine(rules: rules)
        let archive = compiled.archive()
        let read = try SigmaEngine(archive: archive)
        #expect(read.ruleCount == rules.count)
        let expected = compiled.detect(events)
        #expect(read.detect(events) == expected)
        #expect(read.archive() == archive)
        print("sigma archive: \(rules.count) rules in \(archive.count) bytes, \(expected.count) detections kept")
        #expect(expected.count >= 1_000)
    }

    /// Records with padding are written field by field: the padding's bytes (whatever memory held) never reach a file.
    @Test func recordsAreWrittenWithoutTheirPadding() throws {
        let node = RuleProgram.Node(operation: .or, operands: RuleProgram.Span(first: 7, count: 2))
        let posting = SigmaEngine.Posting(entry: 3, bit: 4)
        #expect(MemoryLayout<RuleProgram.Node>.stride > 9 && MemoryLayout<SigmaEngine.Posting>.stride > 5)
        var writer = ArchiveWriter()
        writer.write(records: [node])
        writer.write(records: [posting])
        let count: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0]
        let operation = RuleProgram.Node.Operation.or.rawValue
        #expect(writer.bytes == count + [operation, 7, 0, 0, 0, 2, 0, 0, 0] + count + [3, 0, 0, 0, 4])
        var reader = ArchiveReader(writer.bytes)
        let nodes: [RuleProgram.Node] = try reader.records()
        let postings: [SigmaEngine.Posting] = try reader.records()
        #expect(nodes.count == 1 && nodes[0].operation == .or && nodes[0].operands.range == 7..<9)
        #expect(postings.count == 1 && postings[0].entry == 3 && postings[0].bit == 4 && reader.isAtEnd)
        // An operation byte that names no operation is refused.
        var unknown = writer.bytes
        unknown[8] = 0xEE
        var damaged = ArchiveReader(unknown)
        #expect(throws: ArchiveError.self) { let _: [RuleProgram.Node] = try damaged.records() }
    }

    @Test func damagedArchivesAreRefused() throws {
        let rule = try SigmaRule.load(
            yaml: """
                title: t
                id: 00000000-0000-0000-0000-000000000002
                logsource: {category: process_creation, product: windows}
                detection:
                    selection:
                        CommandLine|contains: ['whoami', 'net user']
                        CommandLine|re: 'net1? user'
                        SourceIp|cidr: '10.0.0.0/8'
                    condition: selection
                """,
            path: "t.yml",
            logSources: .bundled
        ).get()
        let archive = SigmaEngine(rules: [rule]).archive()
        #expect(try SigmaEngine(archive: archive).ruleCount == 1)
        // Cut anywhere: refused with a reason, no crash.
        for length in stride(from: 0, to: archive.count, by: max(1, archive.count / 400)) {
            #expect(throws: SigmaArchiveError.self) { try SigmaEngine(archive: Array(archive.prefix(length))) }
        }
        #expect(throws: SigmaArchiveError.self) { try SigmaEngine(archive: archive + [0]) }
        var otherFormat = archive
        otherFormat[0] ^= 0xFF
        #expect(throws: SigmaArchiveError.self) { try SigmaEngine(archive: otherFormat) }
        #expect(throws: SigmaArchiveError.self) { try SigmaEngine(archive: Array(repeating: 0xFF, count: 4_096)) }
    }
}
