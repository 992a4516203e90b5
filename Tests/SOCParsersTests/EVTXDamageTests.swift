import Foundation
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

/// Damaged `.evtx` files: each problem is reported with its chunk, record and reason, and every readable record is
/// still read.
@Suite(.serialized, .enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct EVTXDamageTests {
    /// A Security log of 295 records (294 of them 4648) in three chunks.
    static let sample = "password-spray.evtx"
    static let records = 295

    static func sampleBytes() throws -> [UInt8] {
        let folder = try EVTXSamples.extract("deepbluecli-evtx")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + sample)))
    }

    /// Reads bytes as an `.evtx` file through the ingest path.
    static func read(_ bytes: [UInt8]) throws -> (events: [SecurityEvent], summary: EventFileReader.Summary) {
        try Support.read(bytes: bytes, name: "damaged.evtx")
    }

    static let chunk0 = EVTXFile.headerSize
    static let chunk1 = EVTXFile.headerSize + EVTXFile.chunkSize

    @Test func readsTheIntactSample() throws {
        let (events, summary) = try Self.read(try Self.sampleBytes())
        #expect(summary.format == "evtx")
        #expect(events.count == Self.records)
        #expect(summary.rejected == 0 && summary.warnings.isEmpty)
        #expect(events.filter { $0.string(ECSField.eventCode) == "4648" }.count == 294)
    }

    @Test func aBadChunkChecksumIsReportedAndItsRecordsKept() throws {
        var bytes = try Self.sampleBytes()
        bytes[Self.chunk1 + 52] ^= 0xFF  // the record data checksum
        bytes[Self.chunk1 + 124] ^= 0xFF  // the header checksum
        let (events, summary) = try Self.read(bytes)
        #expect(events.count == Self.records)
        #expect(summary.warnings.contains { $0.contains("chunk 1") && $0.contains("header checksum mismatch") })
        #expect(summary.warnings.contains { $0.contains("chunk 1") && $0.contains("record data checksum mismatch") })
    }

    @Test func aTruncatedFileKeepsTheRecordsBeforeTheCut() throws {
        let bytes = try Self.sampleBytes()
        let (whole, _) = try Self.read(bytes)
        let (events, summary) = try Self.read(Array(bytes[..<(Self.chunk1 + 20_000)]))
        #expect(events.count > 0 && events.count < whole.count)
        #expect(events.map(\.id) == whole.prefix(events.count).map(\.id))
        #expect(summary.warnings.contains { $0.contains("chunk 1") && $0.contains("truncated") })
    }

    @Test func anOutOfDateHeaderIsReportedAndEveryChunkRead() throws {
        var bytes = try Self.sampleBytes()
        bytes[42] = 1  // one chunk, not three
        bytes[43] = 0
        bytes[120] |= 1  // dirty
        let (events, summary) = try Self.read(bytes)
        #expect(events.count == Self.records)
        #expect(summary.warnings.contains { $0.contains("file header") && $0.contains("out of date") })
        #expect(summary.warnings.contains { $0.contains("file header checksum mismatch") })
    }

    @Test func aRecordCutShortIsSkippedAndTheNextOnesRead() throws {
        var bytes = try Self.sampleBytes()
        let second = try #require(Self.recordOffsets(bytes, chunk: 0).dropFirst().first)
        bytes[second + 4] = 0xFF  // its size no longer matches the copy at its end
        bytes[second + 5] = 0x7F
        let (events, summary) = try Self.read(bytes)
        #expect(events.count == Self.records - 1)
        #expect(summary.warnings.contains { $0.contains("chunk 0") && $0.contains("no valid record") })
    }

    @Test func anUnknownTokenRejectsItsRecordWithChunkRecordAndReason() throws {
        var bytes = try Self.sampleBytes()
        let offsets = Self.recordOffsets(bytes, chunk: 0)
        let third = offsets[2]
        var recordID = 0
        for index in (0..<8).reversed() { recordID = recordID << 8 | Int(bytes[third + 8 + index]) }
        bytes[third + 24] = 0x1F  // not a BinXML token
        let (events, summary) = try Self.read(bytes)
        #expect(events.count == Self.records - 1)
        #expect(summary.rejected == 1)
        let reason = try #require(summary.errors.first?.reason)
        #expect(
            reason.contains("chunk 0") && reason.contains("record \(recordID)")
                && reason.contains("unknown BinXML token 0x1f")
        )
    }

    @Test func recordsInSlackSpaceAreRecoveredWhenAsked() throws {
        var bytes = try Self.sampleBytes()
        // Move chunk 0's free space offset back before its last record: that record is now in slack space.
        let last = try #require(Self.recordOffsets(bytes, chunk: 0).last)
        let local = UInt32(last - Self.chunk0)
        for index in 0..<4 { bytes[Self.chunk0 + 48 + index] = UInt8(truncatingIfNeeded: local >> (8 * UInt32(index))) }
        let (plain, _) = try Self.read(bytes)
        #expect(plain.count == Self.records - 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slack-\(UUID().uuidString).evtx").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = try EventFileReader(path: path, options: Support.options)
        reader.recoversEVTXSlack = true
        var events: [SecurityEvent] = []
        while let batch = try reader.nextBatch() { events += batch }
        // The sample's own slack space holds older records too; the one moved there is among the recovered.
        let recovered = events.filter { $0[ECSField.tags]?.stringValues.contains(EVTXEvents.slackTag) == true }
        #expect(events.count == plain.count + recovered.count)
        let (intact, _) = try Self.read(try Self.sampleBytes())
        let moved = Set(intact.map(\.id)).subtracting(plain.map(\.id))
        #expect(moved.count == 1)
        #expect(moved.isSubset(of: recovered.map(\.id)))
        #expect(reader.summary.warnings.contains("\(recovered.count) records recovered from slack space"))
    }

    @Test func notAnEVTXFileWithTheFormatForcedIsRejected() throws {
        let (events, summary) = try Support.read(text: "not an event log\n", format: .evtx, name: "x.evtx")
        #expect(events.isEmpty)
        #expect(summary.rejected == 1)
    }

    /// The offsets of the records in a chunk (before its free space offset), in order.
    static func recordOffsets(_ bytes: [UInt8], chunk: Int) -> [Int] {
        var offsets: [Int] = []
        let start = EVTXFile.headerSize + chunk * EVTXFile.chunkSize
        let freeSpace = Int(bytes[start + 48]) | Int(bytes[start + 49]) << 8
        var offset = start + 512
        while offset + 8 <= min(bytes.count, start + freeSpace), bytes[offset] == 0x2A, bytes[offset + 1] == 0x2A {
            offsets.append(offset)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
            offset += size
        }
        return offsets
    }
}
