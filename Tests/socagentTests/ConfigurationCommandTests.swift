import Foundation
import SOCTestSupport
import Testing

/// One composition root: every command reads its settings the same way — a flag, then the process environment,
/// then `.env` in the working directory, then the default.
@Suite struct ConfigurationCommandTests {
    let cli: IngestCommandTests

    init() throws { cli = try IngestCommandTests() }

    var loghub: String? { SharedFiles.data.map { $0 + "/loghub/OpenSSH_2k_first500.log" } }

    /// `.env` names the store and the reports folder: ingest, analyze --offline and demo all use them.
    @Test func dotEnvSettingsReachIngestAnalyzeAndDemo() throws {
        let log = try #require(loghub, "needs ../shared/data")
        try "SOCAGENT_STORE=custom.db\nSOCAGENT_REPORT_DIR='out'\n# a comment\n".write(
            toFile: cli.path(".env"),
            atomically: true,
            encoding: .utf8
        )
        let environment = ["SOCAGENT_CACHE_DIR": cli.path("cache")]

        let ingest = try cli.run(["ingest", "--json", log], environment: environment)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.path("custom.db")))
        #expect(!FileManager.default.fileExists(atPath: cli.path("socagent.db")))

        let analyze = try cli.run(
            [
                "analyze", "--offline", "--json",
                "Failed password for invalid user admin from 103.99.0.122 at 2025-12-10 09:12:00",
            ],
            environment: environment
        )
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(analyze.stdout.contains("Password spraying from 103.99.0.122"))  // it read custom.db
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.path("out")).count == 1)
        #expect(!FileManager.default.fileExists(atPath: cli.path("reports")))

        let demo = try cli.run(["demo", "--json"], environment: environment)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stderr.contains("stored in custom.db"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.path("out")).count == 2)
        #expect(!FileManager.default.fileExists(atPath: cli.path("demo.db")))
    }

    /// The process environment wins over `.env`, and a flag over both.
    @Test func aFlagBeatsTheEnvironmentWhichBeatsDotEnv() throws {
        try "SOCAGENT_STORE=from-dotenv.db\n".write(toFile: cli.path(".env"), atomically: true, encoding: .utf8)
        let input = cli.path("one.log")
        try "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 22 ssh2\n".write(
            toFile: input,
            atomically: true,
            encoding: .utf8
        )
        #expect(try cli.run(["ingest", input]).status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.path("from-dotenv.db")))
        #expect(try cli.run(["ingest", input], environment: ["SOCAGENT_STORE": "from-env.db"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.path("from-env.db")))
        #expect(
            try cli.run(["ingest", "--store", "from-flag.db", input], environment: ["SOCAGENT_STORE": "from-env.db"])
                .status == 0
        )
        #expect(FileManager.default.fileExists(atPath: cli.path("from-flag.db")))
    }
}
