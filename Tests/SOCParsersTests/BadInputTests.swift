import Foundation
import SOCModel
import SOCParsers
import Testing

/// Bad input is reported precisely and never costs the valid records around it.
@Suite struct BadInputTests {
    let good =
        #"{"Event":{"System":{"EventID":4625,"Channel":"Security","Computer":"DC01"},"EventData":{"TargetUserName":"admin","IpAddress":"10.0.0.1"}}}"#

    @Test func malformedJSONLinesAreRejectedWithLineAndColumn() throws {
        let text = [good, #"{"Event":{"System":{"EventID":4625,}}"#, "not json at all", good, #"{"Event":{}}"#, good]
            .joined(separator: "\n")
        let (events, summary) = try Support.read(text: text + "\n")
        #expect(events.count == 3)
        #expect(summary.rejected == 3)
        #expect(summary.errors.map(\.line) == [2, 3, 5])
        #expect(summary.errors[0].column == 36)
        #expect(summary.errors[0].reason.contains("expected a quoted member name"))
        #expect(summary.errors[1].reason.contains("expected a JSON object"))
        #expect(summary.errors[2].reason.contains("Event.System"))
    }

    @Test func invalidUTF8IsRejectedPerLine() throws {
        var bytes = Array((good + "\n").utf8)
        bytes +=
            Array(#"{"Event":{"System":{"EventID":1,"Computer":""#.utf8) + [0xFF, 0xFE] + Array(#""}}}"#.utf8) + [0x0A]
        bytes +=
            Array("Feb  4 10:15:23 host sshd[1]: Failed password for ".utf8) + [0xC0, 0xAF]
            + Array(" from 1.2.3.4 port 22 ssh2\n".utf8)
        bytes += Array((good + "\n").utf8)
        let (events, summary) = try Support.read(bytes: bytes)
        #expect(events.count == 2)
        #expect(summary.rejected == 2)
        #expect(summary.errors.map(\.line) == [2, 3])
        #expect(summary.errors[0].reason == "invalid UTF-8 byte 0xFF")
        #expect(summary.errors[0].column == 45)
        #expect(summary.errors[1].reason.contains("expected a JSON object"))

        let syslog =
            Array("Feb  4 10:15:23 host sshd[1]: ok\n".utf8) + Array("Feb  4 10:15:24 host sshd[1]: bad ".utf8) + [
                0xFF, 0x0A,
            ]
        let (syslogEvents, syslogSummary) = try Support.read(bytes: syslog)
        #expect(syslogEvents.count == 1)
        #expect(syslogSummary.errors.first == ParseDiagnostic(line: 2, column: 35, reason: "invalid UTF-8 byte 0xFF"))
    }

    @Test func aTenMegabyteLineIsRejectedAndTheRestKept() throws {
        let huge = "{\"message\":\"" + String(repeating: "A", count: 10 << 20) + "\"}"
        let (events, summary) = try Support.read(text: [good, huge, good].joined(separator: "\n") + "\n")
        #expect(events.count == 2)
        #expect(summary.rejected == 1)
        #expect(summary.errors.first?.line == 2)
        #expect(summary.errors.first?.reason.contains("exceeds the 4194304-byte limit") == true)
    }

    @Test func emptyAndWhitespaceFilesGiveNothingAndNoError() throws {
        for text in ["", "\n\n  \n"] {
            let (events, summary) = try Support.read(text: text)
            #expect(events.isEmpty)
            #expect(summary.rejected == 0)
            #expect(summary.format == "empty")
        }
    }

    @Test func binaryFilesAreRejectedAsAWhole() throws {
        var bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00]
        bytes += (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (events, summary) = try Support.read(bytes: bytes, name: "program")
        #expect(events.isEmpty)
        #expect(summary.format == "binary")
        #expect(summary.rejected == 1)
        #expect(summary.errors.first?.reason.contains("binary content") == true)
    }

    @Test func aTruncatedPrettyPrintedDocumentKeepsItsCompleteRecords() throws {
        let text =
            "[\n  \(good),\n  \(good.replacingOccurrences(of: "admin", with: "root")),\n  {\"Event\": {\"System\": "
        let (events, summary) = try Support.read(text: text)
        #expect(events.count == 2)
        #expect(summary.rejected == 1)
        #expect(summary.errors.first?.line == 4)
        #expect(summary.errors.first?.reason.contains("unterminated JSON value") == true)
    }

    @Test func aWrongFormatGivesReasonsNotCrashes() throws {
        let (events, summary) = try Support.read(text: "hello\nworld\n", format: .evtxJSON)
        #expect(events.isEmpty)
        #expect(summary.rejected == 2)
        #expect(summary.errors.first?.column == 1)
        let (syslogEvents, syslogSummary) = try Support.read(text: good + "\n", format: .syslog)
        #expect(syslogEvents.isEmpty)
        #expect(syslogSummary.errors.first?.reason.contains("not a syslog line") == true)
    }

    @Test func hostileXMLIsRefusedWithoutExpansion() throws {
        let xml = """
            <Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4625</EventID></System>\
            <EventData><Data Name='x'>&xxe;</Data></EventData></Event>
            <!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Event><System><EventID>1</EventID></System></Event>
            """
        let (events, summary) = try Support.read(text: xml, format: .windowsXML)
        // The entity is refused; the DOCTYPE outside any <Event> is never read, so the second event parses plainly.
        #expect(events.map(\.code) == ["1"])
        #expect(summary.rejected == 1)
        #expect(summary.errors.first?.reason.contains("unknown entity &xxe;") == true)
        let inside = "<Event><!DOCTYPE x [<!ENTITY a 'b'>]><System><EventID>1</EventID></System></Event>"
        let (insideEvents, insideSummary) = try Support.read(text: inside, format: .windowsXML)
        #expect(insideEvents.isEmpty)
        #expect(insideSummary.errors.first?.reason.contains("declarations are not accepted") == true)
    }

    @Test func aMissingFileIsAnInputError() {
        #expect(throws: InputError.self) {
            _ = try EventFileReader(path: "/nonexistent/auth.log", options: Support.options)
        }
    }
}

@Suite struct FormatSnifferTests {
    @Test func sniffsEachFixture() throws {
        for (folder, input, format, _) in GoldenTests.cases {
            #expect(try Support.read(Support.fixture("\(folder)/\(input)")).summary.format == format)
        }
    }

    @Test func sniffsGzipCompressedInput() throws {
        let plain = try Data(contentsOf: URL(fileURLWithPath: Support.fixture("syslog/input.log")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "socagent-gz-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plainPath = directory.appendingPathComponent("auth.log").path
        try plain.write(to: URL(fileURLWithPath: plainPath))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", plainPath]
        try gzip.run()
        gzip.waitUntilExit()
        let (events, summary) = try Support.read(plainPath + ".gz")
        #expect(summary.compressed)
        #expect(summary.format == "syslog")
        #expect(events.map(\.original) == (try Support.read(plainPath)).events.map(\.original))
    }
}
