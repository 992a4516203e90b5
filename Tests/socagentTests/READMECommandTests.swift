import Foundation
import SOCTestSupport
import Testing

/// Every `socagent` command in the README runs, in order, on what the quick start leaves behind, exits 0 and answers
/// (prints something, and not an empty result).
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct READMECommandTests {
    /// The README's shell commands that call socagent, in order, continuation lines joined; blocks preceded by a
    /// `<!-- not run by the README test … -->` comment are left out.
    static func commands(in readme: String) -> [String] {
        var commands: [String] = []
        var inBlock = false
        var skipBlock = false
        var previous = ""
        var pending = ""
        for line in readme.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if !inBlock {
                    inBlock = line == "```bash"
                    skipBlock = previous.hasPrefix("<!-- not run by the README test")
                } else {
                    inBlock = false
                }
                previous = line
                continue
            }
            previous = line.isEmpty ? previous : line
            guard inBlock, !skipBlock else { continue }
            let text = pending + line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("\\") {
                pending = String(text.dropLast()) + " "
                continue
            }
            pending = ""
            for prefix in ["socagent ", "swift run -c release socagent "] where text.hasPrefix(prefix) {
                commands.append(String(text.dropFirst(prefix.count)))
            }
        }
        return commands
    }

    @Test func everyREADMECommandAnswers() throws {
        let cli = try IngestCommandTests()
        let data = try #require(SharedFiles.data)
        let readme = try String(
            contentsOf: LibraryExampleTests.repository.appendingPathComponent("README.md"),
            encoding: .utf8
        )
        let commands = Self.commands(in: readme)
        #expect(commands.count >= 25, "\(commands)")
        #expect(commands.first == "demo")
        for command in commands {
            var line = command.replacingOccurrences(of: "../shared/data", with: data)
            if line.hasPrefix("report show ") {
                let newest =
                    try FileManager.default.contentsOfDirectory(atPath: cli.path("reports")).sorted().last ?? ""
                line = line.replacingOccurrences(
                    of: #"INC-[0-9]{8}-[0-9]{6}"#,
                    with: String(newest.dropLast(5)),
                    options: .regularExpression
                )
            }
            let run = try cli.shell(
                "'\(IngestCommandTests.binary.path)' \(line)",
                environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")]
            )
            #expect(run.status == 0, "socagent \(command)\n\(run.stderr)")
            #expect(!run.stdout.isEmpty, "socagent \(command) printed nothing")
            #expect(!run.stdout.hasPrefix("0 events match"), "socagent \(command) found nothing")
            #expect(!run.stderr.contains("note: nothing in the window"), "socagent \(command): \(run.stderr)")
        }
    }
}
