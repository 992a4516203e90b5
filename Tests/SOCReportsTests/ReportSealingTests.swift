import Foundation
import SOCModel
import SOCReports
import Testing

/// Reports sealed at rest (AES-256-GCM envelope): a round trip, a wrong key, a flipped byte, a plaintext report beside
/// sealed ones, and a missing or unusable key — each a clear error, never garbage.
@Suite struct ReportSealingTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "socagent-sealed-\(UUID().uuidString)/reports"
    ).path
    static let key = String(repeating: "0123456789abcdef", count: 4)
    static let otherKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()

    var sealed: ReportStore { ReportStore(directory: directory, sealing: .from(keyText: Self.key, source: "test")) }

    @Test func aSealedReportReadsBackAndHidesItsText() throws {
        let report = ReportStoreTests.sample()
        let (written, path) = try sealed.write(report)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.starts(with: Array("SOCR".utf8) + [1, 1]))
        #expect(bytes.range(of: Data("45.142.212.61".utf8)) == nil, "the report's text is readable on disk")
        #expect(try sealed.read(id: written.incidentID) == written)
        // Revisions are sealed too.
        var revised = report
        revised.incidentID = "INC-20240204-102000-ABCDEF"
        try sealed.writeRevision(revised, revision: 1)
        #expect(try sealed.revisions(id: revised.incidentID) == [revised])
        #expect(try sealed.list().count == 2)
    }

    @Test func aWrongKeyAFlippedByteAndNoKeyAreClearErrors() throws {
        let (written, path) = try sealed.write(ReportStoreTests.sample())
        let wrong = ReportStore(directory: directory, sealing: .from(keyText: Self.otherKey, source: "test"))
        #expect(throws: ReportStore.Failure.self) { try wrong.read(id: written.incidentID) }
        do {
            _ = try wrong.read(id: written.incidentID)
        } catch {
            #expect("\(error)".contains("cannot decrypt"))
        }
        let plain = ReportStore(directory: directory)
        do {
            _ = try plain.read(id: written.incidentID)
            Issue.record("a sealed report was read without a key")
        } catch {
            #expect("\(error)".contains("is encrypted; set SOCAGENT_REPORT_KEY"))
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for position in [7, bytes.count / 2, bytes.count - 1] {
            var tampered = bytes
            tampered[position] ^= 0x01
            try tampered.write(to: URL(fileURLWithPath: path))
            #expect(throws: ReportStore.Failure.self) { try sealed.read(id: written.incidentID) }
        }
        // A changed version byte is refused before any decryption.
        bytes[4] = 9
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try sealed.read(id: written.incidentID)
        } catch {
            #expect("\(error)".contains("unknown version"))
        }
    }

    @Test func plainReportsBesideSealedOnesAreRead() throws {
        let (plainReport, _) = try ReportStore(directory: directory).write(ReportStoreTests.sample())
        let (sealedReport, _) = try sealed.write(ReportStoreTests.sample(createdAt: "2024-02-05T10:20:00Z"))
        #expect(try sealed.read(id: plainReport.incidentID) == plainReport)
        #expect(try sealed.read(id: sealedReport.incidentID) == sealedReport)
        #expect(try sealed.list().map(\.incidentID) == [sealedReport.incidentID, plainReport.incidentID])
    }

    @Test func anUnusableKeyRefusesToWrite() throws {
        let bad = ReportStore(directory: directory, sealing: .from(keyText: "too short", source: "SOCAGENT_REPORT_KEY"))
        do {
            _ = try bad.write(ReportStoreTests.sample())
            Issue.record("a report was written with an unusable key")
        } catch {
            #expect("\(error)".contains("SOCAGENT_REPORT_KEY is not a 256-bit key"))
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/INC-20240204-102000.json"))
        let missing = ReportSealing.resolve(keyFile: directory + "/no-such-key", environment: [:])
        guard case .invalid(let reason) = missing else {
            Issue.record("a missing key file was accepted")
            return
        }
        #expect(reason.contains("cannot read the report key file"))
    }
}
