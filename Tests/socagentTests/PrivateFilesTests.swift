import Foundation
import Testing

/// Issue 18 item 15: socagent's databases are private to their owner, and another application's SQLite file is
/// never written to.
@Suite struct PrivateFilesTests {
    @Test func storesAndTheIntelCacheAreCreatedPrivate() throws {
        let cli = try IngestCommandTests()
        let log = cli.path("one.log")
        try "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 22 ssh2\n".write(
            toFile: log,
            atomically: true,
            encoding: .utf8
        )
        #expect(try cli.run(["ingest", "--store", "private.db", log]).status == 0)
        #expect(
            try cli.run(
                ["intel", "ip", "203.0.113.9", "--offline"],
                environment: ["SOCAGENT_CACHE_DIR": cli.path("cache")]
            ).status == 0
        )
        func mode(_ name: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: cli.path(name))[.posixPermissions] as? Int
        }
        #expect(try mode("private.db") == 0o600)
        #expect(try mode("cache/intel.db") == 0o600)
        #expect(try mode("cache") == 0o700)
    }

    @Test func anotherApplicationsDatabaseIsRefusedUntouched() throws {
        let cli = try IngestCommandTests()
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table customers(id, name)'); c.commit()",
            cli.path("crm.db"),
        ]
        try python.run()
        python.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.path("crm.db")))
        let log = cli.path("one.log")
        try "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.9 port 22 ssh2\n".write(
            toFile: log,
            atomically: true,
            encoding: .utf8
        )
        let run = try cli.run(["ingest", "--store", "crm.db", log])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains("is not a socagent event store (it holds other tables: customers)"),
            "\(run.stderr)"
        )
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.path("crm.db"))) == before)
    }
}
