import Foundation
import SOCModel
import SOCParsers
import Testing

/// Each fixture folder holds `input.*` and `expected.jsonl`: the ECS documents the input must produce, one per line.
/// Re-record with `SOC_RECORD_GOLDENS=1 swift test --filter GoldenTests` and review the diff.
@Suite struct GoldenTests {
    static let cases: [(folder: String, input: String, format: String, events: Int)] = [
        ("ecs", "input.ndjson", "ecs", 3),
        ("winlogbeat-raw", "input.ndjson", "ecs", 2),
        ("winlogbeat6", "input.ndjson", "winlogbeat6", 1),
        ("evtx-json", "input.jsonl", "evtx-json", 5),
        ("nxlog", "input.ndjson", "nxlog", 2),
        ("windows-xml", "input.xml", "windows-xml", 2),
        ("sentinel-rows", "input.json", "sentinel", 4),
        ("sentinel-tables", "input.json", "sentinel", 2),
        ("sentinel-incidents", "input.json", "sentinel", 1),
        ("sentinel-csv", "input.csv", "sentinel-csv", 2),
        ("syslog", "input.log", "syslog", 12),
        ("auditd", "input.log", "auditd", 3),
        ("text", "input.log", "text", 3),
    ]

    @Test("Each format's fixture is sniffed and parses to its golden ECS documents", arguments: cases)
    func matchesGolden(_ testCase: (folder: String, input: String, format: String, events: Int)) throws {
        let (events, summary) = try Support.read(Support.fixture("\(testCase.folder)/\(testCase.input)"))
        #expect(summary.format == testCase.format)
        #expect(summary.rejected == 0, "\(summary.errors)")
        #expect(events.count == testCase.events)
        let actual = events.map(Support.portableDocument).joined(separator: "\n") + "\n"
        let goldenPath = Support.fixture("\(testCase.folder)/expected.jsonl")
        if ProcessInfo.processInfo.environment["SOC_RECORD_GOLDENS"] == "1" {
            try actual.write(toFile: goldenPath, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: goldenPath, encoding: .utf8)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, (want, got)) in zip(expectedLines, actualLines).enumerated() where want != got {
            Issue.record("\(testCase.folder) event \(index + 1) differs:\n  expected: \(want)\n  actual:   \(got)")
        }
        #expect(expectedLines.count == actualLines.count)
    }

    @Test("Every parser sets event.kind, event.action and event.outcome on every event")
    func everyEventIsClassified() throws {
        for testCase in Self.cases {
            for event in try Support.read(Support.fixture("\(testCase.folder)/\(testCase.input)")).events {
                #expect(
                    event.action != nil && event.outcome != nil && event.string(ECSField.eventKind) != nil,
                    "\(testCase.folder): \(event.original)"
                )
                #expect(["success", "failure", "unknown"].contains(event.outcome ?? ""))
            }
        }
    }

    @Test("Every event has a stable id, and reading the same input twice gives the same ids")
    func identifiersAreStable() throws {
        for testCase in Self.cases {
            let path = Support.fixture("\(testCase.folder)/\(testCase.input)")
            let first = try Support.read(path).events.map(\.id)
            let second = try Support.read(path).events.map(\.id)
            #expect(first == second)
            #expect(Set(first).count == first.count, "ids must differ between records of \(testCase.folder)")
        }
    }
}
