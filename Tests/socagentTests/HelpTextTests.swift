import Foundation
import Testing

/// Every help text renders, and says what the command does.
@Suite struct HelpTextTests {
    static let commands = [
        "", "demo", "analyze", "ingest", "query", "search", "hunt", "intel", "intel ip", "intel hash", "intel domain",
        "intel cve", "intel import", "intel extract", "report", "report list", "report show", "stats", "formats",
        "bench",
        "bench ingest", "bench query", "bench analyze", "bench hunt", "bench generate",
    ]

    @Test func everyHelpTextRendersAndAgreesWithBehaviour() throws {
        let cli = try IngestCommandTests()
        var texts: [String: String] = [:]
        for command in Self.commands {
            let run = try cli.run(command.split(separator: " ").map(String.init) + ["--help"])
            #expect(run.status == 0, "\(command): \(run.stderr)")
            #expect(run.stdout.contains("USAGE: socagent"), "\(command)")
            #expect(!run.stdout.contains("default 24"), "\(command): the window option's help claims a default")
            // Help wraps at 80 columns: compare words, not lines.
            texts[command] = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        // analyze names both model configurations.
        for variable in ["ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"] {
            #expect(texts["analyze"]?.contains(variable) == true, "\(variable)")
        }
        // hunt says the store is hunted whole by default and lists no store default it does not use.
        #expect(texts["hunt"]?.contains("all of them unless") == true)
        #expect(texts["hunt"]?.contains("$SOCAGENT_STORE") == false)
        #expect(texts["query"]?.contains("last 24 hours") == true)
        #expect(texts["search"]?.contains("last 24 hours") == true)
        // Each lookup shows an example of its own kind.
        #expect(texts["intel hash"]?.contains("44d88612fea8a8f36de82e1278abb02f") == true)
        #expect(texts["intel cve"]?.contains("CVE-2021-44228") == true)
        #expect(texts["intel domain"]?.contains("evil[.]example[.]com") == true)
        for command in ["intel hash", "intel domain", "intel cve"] {
            #expect(texts[command]?.contains("[.]61") == false, "\(command) shows an IP as its example")
        }
        let version = try cli.run(["--version"])
        #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3)
    }
}
