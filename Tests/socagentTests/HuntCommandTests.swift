import Foundation
import Testing

/// `socagent hunt` run as a user would: rules from files, events from log files or the store.
@Suite struct HuntCommandTests {
    let cli: IngestCommandTests

    init() throws { cli = try IngestCommandTests() }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = cli.path(name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func fixtures() throws -> (rules: String, events: String) {
        _ = try write(
            "rules/whoami.yml",
            """
            title: Whoami From Cmd
            id: 11111111-2222-3333-4444-555555555555
            status: test
            level: medium
            tags: [attack.discovery, attack.t1033]
            logsource: {category: process_creation, product: windows}
            detection:
                selection:
                    Image|endswith: '\\cmd.exe'
                    CommandLine|contains: 'whoami'
                condition: selection
            """
        )
        _ = try write(
            "rules/expand.yml",
            """
            title: Uses Expand
            id: 66666666-2222-3333-4444-555555555555
            level: high
            logsource: {category: process_creation, product: windows}
            detection:
                selection:
                    CommandLine|expand: '%placeholder%'
                condition: selection
            """
        )
        func event(_ id: Int, _ image: String, _ commandLine: String) -> String {
            let escaped = image.replacingOccurrences(of: "\\", with: "\\\\")
            return
                #"{"@timestamp":"2024-02-04T10:15:2\#(id)Z","host":{"name":"WS-7"},"event":{"code":"4688"},"winlog":{"channel":"Security","event_id":4688,"record_id":\#(id),"event_data":{"NewProcessName":"\#(escaped)","CommandLine":"\#(commandLine)"}}}"#
        }
        let events = try write(
            "events.jsonl",
            [
                event(1, "C:\\Windows\\System32\\cmd.exe", "cmd.exe /c WHOAMI /all"),
                event(2, "C:\\Windows\\System32\\cmd.exe", "cmd.exe /c dir"),
                event(3, "C:\\Windows\\System32\\notepad.exe", "notepad.exe whoami.txt"),
            ].joined(separator: "\n") + "\n"
        )
        return (cli.path("rules"), events)
    }

    @Test func huntsLogFilesAndExplainsSkippedRules() throws {
        let (rules, events) = try fixtures()
        let result = try cli.run(["hunt", "--rules", rules, events, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let detection = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(detection["rule_id"] as? String == "11111111-2222-3333-4444-555555555555")
        #expect(detection["level"] as? String == "medium")
        #expect(detection["techniques"] as? [String] == ["T1033"])
        #expect(detection["tactics"] as? [String] == ["discovery"])
        #expect(detection["host"] as? String == "WS-7")
        #expect(detection["timestamp"] as? String == "2024-02-04T10:15:21.000Z")
        #expect((detection["fields"] as? [String: String])?["CommandLine"] == "cmd.exe /c WHOAMI /all")
        #expect(result.stderr.contains("rules: 1 loaded, 1 skipped"))
        #expect(result.stderr.contains("the 'expand' modifier needs placeholder values"))
        #expect(result.stderr.contains("3 events, 1 detections (medium 1)"))
        #expect(result.stderr.contains("by ATT&CK tactic: discovery 1"))
        #expect(result.stderr.contains("top rules: Whoami From Cmd (medium) 1"))

        let byTags = try cli.run([
            "hunt", "--rules", rules, events, "--tags", "attack.t1059,attack.t1033", "--status", "stable", "test",
        ])
        #expect(byTags.status == 0)
        #expect(byTags.stdout.contains("Whoami From Cmd"))
        #expect(byTags.stderr.contains("rules: 1 loaded, 1 skipped"))

        let filtered = try cli.run(["hunt", "--rules", rules, events, "--level", "high", "--json"])
        #expect(filtered.status == 0)
        #expect(filtered.stdout.isEmpty)
        #expect(filtered.stderr.contains("rules: 0 loaded (of 1, by --level/--status/--tags)"))
    }

    @Test func aSecondHuntReadsTheCompiledRulesFromTheCache() throws {
        let (rules, events) = try fixtures()
        let first = try cli.run(["hunt", "--rules", rules, events, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("rules: 1 loaded, 1 skipped\n"))
        let cached = try cli.run(["hunt", "--rules", rules, events, "--json"])
        #expect(cached.stderr.contains("rules: 1 loaded, 1 skipped (compiled rules from the cache)\n"))
        #expect(cached.stderr.contains("the 'expand' modifier needs placeholder values"))
        #expect(cached.stdout == first.stdout)
        let cacheFiles = try FileManager.default.contentsOfDirectory(atPath: cli.path("cache/rules"))
        #expect(cacheFiles.count == 1 && cacheFiles[0].hasSuffix(".rules"))
        let uncached = try cli.run(["hunt", "--no-rule-cache", "--rules", rules, events, "--json"])
        #expect(uncached.stderr.contains("rules: 1 loaded, 1 skipped\n"))
        #expect(uncached.stdout == first.stdout)
    }

    @Test func keepsValidEventsAroundBadLinesAndMissingFiles() throws {
        let (rules, events) = try fixtures()
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
        let damaged = try write(
            "damaged.jsonl",
            [String(lines[0]), #"{"@timestamp": "2024-02-04T10:15:22Z", "host": "#, String(lines[1])].joined(
                separator: "\n"
            ) + "\n"
        )
        let result = try cli.run(["hunt", "--rules", rules, damaged, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1)  // the whoami event, before the bad line, still found
        #expect(
            result.stderr.contains("warning: \(damaged): 1 records could not be parsed (first: line 2, column"),
            "\(result.stderr)"
        )
        #expect(result.stderr.contains("2 events, 1 detections"))

        let missing = try cli.run(["hunt", "--rules", rules, cli.path("nowhere.jsonl")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nowhere.jsonl"))
    }

    @Test func huntsTheStoreAndRejectsBadUsage() throws {
        let (rules, events) = try fixtures()
        let store = cli.path("hunt.db")
        #expect(try cli.run(["ingest", "--store", store, events]).status == 0)
        let table = try cli.run(["hunt", "--rules", rules, "--store", store])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("Whoami From Cmd"))
        #expect(table.stdout.contains("T1033"))
        #expect(table.stderr.contains("3 events, 1 detections"))

        let both = try cli.run(["hunt", "--rules", rules, "--store", store, events])
        #expect(both.status == 64)
        #expect(both.stderr.contains("but not both"))
        let missing = try cli.run(["hunt", "--rules", cli.path("no-such-rules"), events])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no such file or directory"))
    }
}
