import Foundation
import Testing

/// Runs the built `socagent` binary as a user would and checks its output and exit codes.
@Suite struct IngestCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]? {
            try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        }

        /// The keys of the printed top-level JSON object, in the order printed.
        var topLevelKeys: [String] {
            let scalars = Array(stdout.unicodeScalars)
            var keys: [String] = []
            var depth = 0
            var index = 0
            while index < scalars.count {
                switch scalars[index] {
                case "\"":
                    var text = ""
                    var end = index + 1
                    while end < scalars.count && scalars[end] != "\"" {
                        if scalars[end] == "\\" { end += 1 }
                        if end < scalars.count { text.unicodeScalars.append(scalars[end]) }
                        end += 1
                    }
                    var next = end + 1
                    while next < scalars.count && scalars[next] == " " { next += 1 }
                    if depth == 1 && next < scalars.count && scalars[next] == ":" { keys.append(text) }
                    index = end
                case "{", "[": depth += 1
                case "}", "]": depth -= 1
                default: break
                }
                index += 1
            }
            return keys
        }
    }

    static let binary: URL = {
        var directory = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { directory.deleteLastPathComponent() }
        let candidates =
            [Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL]
            .map { $0.appendingPathComponent("socagent") }
            + [directory.appendingPathComponent(".build/debug/socagent")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SOCParsersTests/Fixtures")

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The environment for a socagent the test starts: this process's, without a default store, with caches
    /// (intelligence, compiled rules) in the test's folder, and `overrides` over it.
    func childEnvironment(_ overrides: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOCAGENT_STORE")
        environment["SOCAGENT_CACHE_DIR"] = path("cache")
        for (key, value) in overrides { environment[key] = value }
        return environment
    }

    /// Runs a shell command line (quotes, continuation already joined) in the test's folder.
    func shell(_ line: String, environment: [String: String] = [:]) throws -> Run {
        try run([], environment: environment, executable: URL(fileURLWithPath: "/bin/sh"), prefix: ["-c", line])
    }

    func run(
        _ arguments: [String],
        stdin: Data? = nil,
        environment: [String: String] = [:],
        executable: URL? = nil,
        prefix: [String] = []
    ) throws -> Run {
        let process = Process()
        process.executableURL = executable ?? Self.binary
        process.arguments = prefix + arguments
        process.currentDirectoryURL = directory
        process.environment = childEnvironment(environment)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
    }

    @Test func ingestsAFileAndPrintsExactlyOneJSONObject() throws {
        let store = path("events.db")
        let result = try run([
            "ingest", "--json", "--store", store, Self.fixtures.appendingPathComponent("syslog/input.log").path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1)
        let json = try #require(result.json)
        #expect(json["events"] as? Int == 12)
        #expect(json["rejected"] as? Int == 0)
        let files = try #require(json["files"] as? [[String: Any]])
        #expect(files.count == 1)
        #expect(files[0]["format"] as? String == "syslog")
        #expect(files[0]["events"] as? Int == 12)
        #expect(files[0]["errors"] as? [Any] != nil)

        let again = try run([
            "ingest", "--json", "--store", store, Self.fixtures.appendingPathComponent("syslog/input.log").path,
        ])
        #expect(again.json?["inserted"] as? Int == 0)
        #expect(again.json?["duplicates"] as? Int == 12)
        // Printed JSON keeps one key order, so runs can be compared byte for byte.
        #expect(again.topLevelKeys.count > 5 && again.topLevelKeys == again.topLevelKeys.sorted())

        let stats = try run(["stats", "--json", "--store", store])
        #expect(stats.status == 0)
        let statistics = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(statistics["events"] as? Int == 12)
        #expect(stats.topLevelKeys.count == 9 && stats.topLevelKeys == stats.topLevelKeys.sorted())
    }

    @Test func readsADirectoryOfMixedFormatsAndReportsEveryBadLine() throws {
        let logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(
            at: logs.appendingPathComponent("nested"),
            withIntermediateDirectories: true
        )
        let good =
            #"{"Event":{"System":{"EventID":4625,"Channel":"Security","Computer":"DC01"},"EventData":{"TargetUserName":"admin","IpAddress":"45.142.212.61"}}}"#
        try (good + "\n{broken\n" + good.replacingOccurrences(of: "admin", with: "root") + "\n").write(
            to: logs.appendingPathComponent("security.jsonl"),
            atomically: true,
            encoding: .utf8
        )
        try "Feb  4 10:15:23 web01 sshd[1]: Failed password for root from 45.142.212.61 port 22 ssh2\n".write(
            to: logs.appendingPathComponent("nested/auth.log"),
            atomically: true,
            encoding: .utf8
        )
        _ = FileManager.default.createFile(atPath: logs.appendingPathComponent("empty.log").path, contents: Data())
        _ = FileManager.default.createFile(
            atPath: logs.appendingPathComponent("blob.bin").path,
            contents: Data([0x00, 0x01, 0x02, 0xFF])
        )
        _ = FileManager.default.createFile(
            atPath: logs.appendingPathComponent(".hidden").path,
            contents: Data("ignored\n".utf8)
        )

        let result = try run(["ingest", "--json", "--store", path("mixed.db"), logs.path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json)
        #expect(json["events"] as? Int == 3)
        #expect(json["rejected"] as? Int == 2)
        let files = try #require(json["files"] as? [[String: Any]])
        let byName = Dictionary(
            uniqueKeysWithValues: files.map { (($0["path"] as? String ?? "") as NSString).lastPathComponent }
                .enumerated().map { ($1, files[$0]) }
        )
        #expect(Set(byName.keys) == ["blob.bin", "empty.log", "auth.log", "security.jsonl"])
        #expect(byName["security.jsonl"]?["format"] as? String == "evtx-json")
        #expect(byName["security.jsonl"]?["rejected"] as? Int == 1)
        let errors = try #require(byName["security.jsonl"]?["errors"] as? [[String: Any]])
        #expect(errors.first?["line"] as? Int == 2)
        #expect(errors.first?["column"] as? Int == 2)
        #expect(byName["blob.bin"]?["format"] as? String == "binary")
        #expect(byName["empty.log"]?["format"] as? String == "empty")
        #expect(byName["auth.log"]?["format"] as? String == "syslog")

        let human = try run(["ingest", "--store", path("mixed-human.db"), logs.path])
        #expect(human.status == 0)
        #expect(human.stdout.contains("Ingested 3 events from 4 inputs"))
        #expect(human.stderr.contains("security.jsonl: line 2, column 2:"))
    }

    @Test func readsStandardInputAndGzip() throws {
        let log = try Data(contentsOf: Self.fixtures.appendingPathComponent("auditd/input.log"))
        let fromStdin = try run(["ingest", "--json", "--store", path("stdin.db"), "-"], stdin: log)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(fromStdin.json?["events"] as? Int == 3)
        #expect((fromStdin.json?["files"] as? [[String: Any]])?.first?["format"] as? String == "auditd")

        let plain = path("audit.log")
        try log.write(to: URL(fileURLWithPath: plain))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = try run(["ingest", "--json", "--store", path("gz.db"), plain + ".gz"])
        #expect(compressed.json?["events"] as? Int == 3)
        #expect((compressed.json?["files"] as? [[String: Any]])?.first?["compressed"] as? Bool == true)
    }

    @Test func honoursSOCAGENT_STOREAndTheDefaultLocation() throws {
        let input = Self.fixtures.appendingPathComponent("text/input.log").path
        let viaEnvironment = try run(["ingest", "--json", input], environment: ["SOCAGENT_STORE": path("from-env.db")])
        #expect(viaEnvironment.status == 0)
        #expect(FileManager.default.fileExists(atPath: path("from-env.db")))
        let byDefault = try run(["ingest", "--json", input])
        #expect(byDefault.status == 0)
        #expect(FileManager.default.fileExists(atPath: path("socagent.db")))
    }

    @Test func aMissingPathFailsBeforeWritingAnything() throws {
        let store = path("never.db")
        let result = try run([
            "ingest", "--store", store, Self.fixtures.appendingPathComponent("text/input.log").path,
            path("missing.log"),
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no such file or directory: \(path("missing.log"))"))
        #expect(!FileManager.default.fileExists(atPath: store))
        #expect(result.stdout.isEmpty)
    }

    @Test func anUnwritableStoreFailsWithAClearMessage() throws {
        let result = try run([
            "ingest", "--store", "/nonexistent-directory/events.db",
            Self.fixtures.appendingPathComponent("text/input.log").path,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot open store"))
        #expect(result.stderr.contains("/nonexistent-directory/events.db"))
    }

    @Test func usageMistakesExitWith64() throws {
        let result = try run(["ingest", "--format", "nonsense", "x.log"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown format 'nonsense'"))
        let formats = try run(["formats"])
        #expect(formats.status == 0)
        #expect(formats.stdout.contains("evtx-json") && formats.stdout.contains("sentinel-csv"))
    }

    @Test func anExplicitFormatOverridesSniffing() throws {
        let input = Self.fixtures.appendingPathComponent("syslog/input.log").path
        let result = try run(["ingest", "--json", "--format", "text", "--store", path("forced.db"), input])
        #expect((result.json?["files"] as? [[String: Any]])?.first?["format"] as? String == "text")
        #expect(result.json?["events"] as? Int == 12)
    }
}
