import Foundation
import Testing

/// Arguments with numbers no window or count can hold are usage errors (exit 64), never a crash.
@Suite struct HostileArgumentTests {
    let cli: IngestCommandTests

    init() throws { cli = try IngestCommandTests() }

    private func store() throws -> String {
        let store = cli.path("h.db")
        let result = try cli.run([
            "ingest", "--json", "--year", "2024", "--store", store,
            IngestCommandTests.fixtures.appendingPathComponent("syslog/input.log").path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        return store
    }

    @Test func impossibleWindowsAndCountsAreUsageErrors() throws {
        let store = try store()
        for arguments in [
            ["query", "failed-logins", "--hours", "99999999999"],
            ["query", "failed-logins", "--hours", "inf"],
            ["query", "failed-logins", "--hours", "nan"],
            ["query", "failed-logins", "--since", "99999999999999999"],
            ["query", "failed-logins", "--since", "now-99999999999999999999999d"],
            ["query", "brute-force", "--since", "2024-02-05", "--until", "2024-02-04"],
            ["search", "@timestamp:[now-99999999999999d TO now]"],
            ["search", "root~99999999999999999999"],
        ] {
            let result = try cli.run(arguments + ["--store", store])
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"), "\(arguments)")
        }
        for arguments in [
            ["bench", "generate", "--events=-5", cli.path("g.jsonl")],
            ["bench", "generate", "--events=0", cli.path("g.jsonl")],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("--events must be from 1"), "\(result.stderr)")
        }
    }

    @Test func aValidWindowStillWorks() throws {
        let store = try store()
        let result = try cli.run([
            "query", "failed-logins", "--since", "2024-02-04T10:20:00Z", "--until", "2024-02-04T10:23:00Z", "--store",
            store,
        ])
        #expect(result.status == 0, "\(result.stderr)")
    }
}
