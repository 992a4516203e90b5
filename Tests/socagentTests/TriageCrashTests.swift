import Foundation
import SOCTestSupport
import Testing

/// `kill -9` at random moments of `socagent triage` loses no alert and duplicates no incident or report: after the
/// killed runs and one that completes, the incidents and report files equal those of a run never interrupted.
@Suite struct TriageCrashTests {
    /// What a finished triage left: each incident's id, alerts, severity and report revisions, and the report files.
    struct Outcome: Equatable, CustomStringConvertible {
        var incidents: [String]
        var files: [String]
        var description: String { "\(incidents.count) incidents, \(files.count) files" }
    }

    static func outcome(of folder: URL, store: String, cli: IngestCommandTests) throws -> Outcome {
        let listed = try cli.run(["incidents", "list", "--json", "--limit", "100000", "--store", store])
        let incidents = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        )
        let lines = incidents.map {
            "\($0["id"] ?? "") \($0["alerts"] ?? "") \($0["severity"] ?? "-") r\($0["report_revisions"] ?? "")"
        }.sorted()
        let reports = folder.appendingPathComponent("reports").path
        let files = (FileManager.default.enumerator(atPath: reports)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix(".json")
        }.sorted()
        return Outcome(incidents: lines, files: files)
    }

    @Test(.timeLimit(.minutes(20))) func killedRunsResumeToTheSameOutcome() async throws {
        let cli = try IngestCommandTests()
        try await Self.killAndCompare(cli: cli) { $0.appendingPathComponent("store.db").path }
    }

    /// The same with the events and triage's state in a cluster (its `socagent-triage-*` indices), where no
    /// transaction spans several documents.
    @Test(
        .enabled(if: TestCluster.url != nil, "needs SOCAGENT_ES_URL (osmem-server, started by .ci/run)"),
        .timeLimit(.minutes(30))
    )
    func killedRunsResumeToTheSameOutcomeOnACluster() async throws {
        let cli = try IngestCommandTests()
        let reference = try await TestCluster.fresh()
        let killed = try await TestCluster.fresh()
        defer {
            Task {
                await TestCluster.remove(reference.id)
                await TestCluster.remove(killed.id)
            }
        }
        try await Self.killAndCompare(cli: cli) { $0.lastPathComponent == "reference" ? reference.url : killed.url }
        #expect(!FileManager.default.fileExists(atPath: cli.path("socagent-triage.db")), "state kept in the cluster")
    }

    /// Triages the lateral-movement captures once uninterrupted and, in another store, with runs killed at seeded
    /// random moments and one left to finish: the two outcomes must be equal.
    static func killAndCompare(cli: IngestCommandTests, store: (URL) -> String) async throws {
        let data = try #require(SharedFiles.data)
        let logs = data + "/evtx-attack-samples/jsonl/Lateral Movement"
        let rules = data + "/sigma/rules/windows/process_creation"
        func arguments(_ folder: URL) -> [String] {
            [
                "triage", logs, "--rules", rules, "--offline", "--store", store(folder),
                "--report-dir", folder.appendingPathComponent("reports").path, "--intel-db",
                folder.appendingPathComponent("intel.db").path, "--json",
            ]
        }
        // The run never interrupted.
        let reference = cli.directory.appendingPathComponent("reference")
        try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
        let started = Date()
        let referenceArguments = arguments(reference)
        let clean = try await offThePool { try cli.run(referenceArguments) }
        #expect(clean.status == 0, "\(clean.stderr)")
        let duration = Date().timeIntervalSince(started)
        let expected = try Self.outcome(of: reference, store: store(reference), cli: cli)
        #expect(expected.incidents.count >= 3)
        // A run with nothing left to do still reads the logs and loads the rules: the least a resumed run takes, and
        // measured now rather than with the reference, so that a machine busier during the reference run does not
        // put the kill moments after the resumed runs end.
        let settledStart = Date()
        _ = try await offThePool { try cli.run(referenceArguments) }
        let settled = Date().timeIntervalSince(settledStart)
        var window = max(0.1, min(duration, settled) * 0.9)

        // Runs killed at seeded random moments, then one left to finish.
        let killed = cli.directory.appendingPathComponent("killed")
        try FileManager.default.createDirectory(at: killed, withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: 20_261_202)
        var kills = 0
        var attempts = 0
        // Eight runs, and more (up to 24) until four were killed: on a machine whose load swings while the suites run
        // beside this one, a run may end before its moment; the window then narrows for the next.
        while attempts < 8 || (kills < 4 && attempts < 24) {
            attempts += 1
            let process = Process()
            process.executableURL = IngestCommandTests.binary
            process.arguments = arguments(killed)
            process.currentDirectoryURL = cli.directory
            process.environment = cli.childEnvironment()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = Double.random(in: 0.05...window, using: &generator)
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            } else {
                window = max(0.1, window * 0.6)
            }
            process.waitUntilExit()
        }
        let killedArguments = arguments(killed)
        let last = try await offThePool { try cli.run(killedArguments) }
        #expect(last.status == 0, "\(last.stderr)")
        #expect(kills >= 4, "the runs were too quick to be killed: \(kills) kills in \(attempts) runs")
        let outcome = try Self.outcome(of: killed, store: store(killed), cli: cli)
        #expect(outcome == expected)
    }
}

/// A small deterministic generator (SplitMix64), so the kill moments are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
