import Foundation
import SOCModel
import SOCParsers
import SOCStore
import SOCStoreSQLite
import SOCTestSupport
import Testing

/// The investigation queries over real attack data in ../shared/data, checked against counts taken from the raw
/// files and against the in-memory reference store.
enum SharedData {
    /// `SOCAGENT_TEST_DATA`, or ../shared/data beside the package.
    static let path: String? = SharedFiles.data
}

@Suite(.enabled(if: SharedData.path != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct RealDataQueryTests {
    static var data: String? { SharedData.path }

    static let all = EventFilter(limit: 1000)

    /// Ingests inputs (files or folders) into a fresh SQLite store and an in-memory store.
    static func stores(_ relative: String...) async throws -> (SQLiteEventStore, InMemoryEventStore) {
        let sqlite = try SQLiteEventStore(path: ":memory:")
        let memory = InMemoryEventStore()
        let options = ParseContext.Options(year: 2025, referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)
        for path in relative.map({ (data ?? "") + "/" + $0 }) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let files =
                isDirectory.boolValue
                ? try FileManager.default.subpathsOfDirectory(atPath: path).filter {
                    $0.hasSuffix(".jsonl") || $0.hasSuffix(".gz")
                }.sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                var reader = try EventFileReader(path: file, options: options)
                while let batch = try reader.nextBatch() {
                    _ = try await sqlite.append(batch)
                    _ = await memory.append(batch)
                }
            }
        }
        return (sqlite, memory)
    }

    @Test func openSSHBruteForceMatchesCountsFromTheRawLines() async throws {
        let path = "loghub/OpenSSH_2k_first500.log"
        let (sqlite, memory) = try await Self.stores(path)
        // Independent count: every "Failed <method> for … from IP port" line, times its "message repeated N times".
        let raw = try String(contentsOfFile: (Self.data ?? "") + "/" + path, encoding: .utf8)
        let failed = try NSRegularExpression(pattern: #"Failed \S+ for (?:invalid user )?.*? from (\S+) port"#)
        let repeated = try NSRegularExpression(pattern: #"message repeated (\d+) times"#)
        var expected: [String: Int] = [:]
        for line in raw.split(whereSeparator: \.isNewline).map(String.init) {
            let range = NSRange(line.startIndex..., in: line)
            guard let match = failed.firstMatch(in: line, range: range), let ip = Range(match.range(at: 1), in: line)
            else { continue }
            let times =
                repeated.firstMatch(in: line, range: range).flatMap { Range($0.range(at: 1), in: line) }.flatMap {
                    Int(line[$0])
                } ?? 1
            expected[String(line[ip]), default: 0] += times
        }
        let ranking = expected.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let fromSQLite = try await sqlite.bruteForce(Self.all, minimumFailures: 1)
        #expect(fromSQLite.map(\.sourceIP) == ranking.map(\.key))
        #expect(fromSQLite.map(\.failures) == ranking.map(\.value))
        #expect(fromSQLite.first?.sourceIP == "103.99.0.122" && fromSQLite.first?.failures == 27)
        #expect(fromSQLite.allSatisfy { $0.successes == 0 })
        #expect(await memory.bruteForce(Self.all, minimumFailures: 1) == fromSQLite)
        // Failed logins: each attempt once (PAM's copy of an sshd attempt is not counted again).
        let failures = try await sqlite.failedLogins(Self.all)
        #expect(failures.reduce(0) { $0 + $1.count } == expected.values.reduce(0, +))
        #expect(await memory.failedLogins(Self.all) == failures)
        // The default threshold of 5 failures keeps the sources that really brute-forced.
        #expect(
            try await sqlite.bruteForce(Self.all, minimumFailures: 5).map(\.sourceIP)
                == ranking.filter { $0.value >= 5 }.map(\.key)
        )
    }

    @Test func aPasswordSprayBy4648IsFoundWithItsSourceAndUsers() async throws {
        let (sqlite, memory) = try await Self.stores("deepbluecli-evtx/jsonl/password-spray.jsonl")
        let sources = try await sqlite.bruteForce(Self.all, minimumFailures: 5)
        #expect(sources.count == 1)
        #expect(sources.first?.sourceIP == "172.16.144.128")
        #expect(sources.first?.failures == 294)
        #expect(sources.first?.users == 41)
        #expect(sources.first?.userNames.first == "smisenar")
        #expect(await memory.bruteForce(Self.all, minimumFailures: 5) == sources)
        let failed = try await sqlite.failedLogins(EventFilter(user: "smisenar", limit: 100))
        #expect(failed.count == 14 && failed.allSatisfy { $0.code == "4648" && $0.sourceIP == "172.16.144.128" })
    }

    @Test func kerberosAndWindowsBruteForceSamplesAreFound() async throws {
        let (sqlite, memory) = try await Self.stores(
            "evtx-to-mitre-attack/jsonl/TA0006-Credential Access/T1110.xxx-Brut force"
        )
        let failures = try await sqlite.failedLogins(Self.all)
        #expect(await memory.failedLogins(Self.all) == failures)
        let kerberos = failures.filter { $0.code == "4771" }
        #expect(kerberos.count == 24)
        #expect(kerberos.allSatisfy { $0.sourceIP == "10.23.123.11" && $0.user != nil })
        let local = failures.filter { $0.code == "4625" }
        #expect(local.count == 21)
        #expect(local.contains { $0.user == "Administrator" && $0.reason == "wrong password" })
        let sources = try await sqlite.bruteForce(Self.all, minimumFailures: 5)
        #expect(sources.first?.sourceIP == "10.23.123.11")
        #expect((sources.first?.failures ?? 0) >= 24)
        #expect(await memory.bruteForce(Self.all, minimumFailures: 5) == sources)

        let (spray, _) = try await Self.stores(
            "evtx-attack-samples/jsonl/Credential Access/kerberos_pwd_spray_4771.jsonl"
        )
        let spraySources = try await spray.bruteForce(Self.all, minimumFailures: 1)
        #expect(spraySources.map(\.sourceIP) == ["172.16.66.1"])
        #expect(spraySources.first?.users == 9)
        #expect(spraySources.first?.userNames.contains("Administrator") == true)
    }

    @Test func powerShellAndLOLBinSamplesAreFlaggedWithReasons() async throws {
        let (obfuscation, obfuscationMemory) = try await Self.stores(
            "deepbluecli-evtx/jsonl/Powershell-Invoke-Obfuscation-many.jsonl"
        )
        let scripts = try await obfuscation.suspiciousProcesses(Self.all)
        #expect(scripts.count > 20)
        #expect(scripts.contains { $0.reasons.contains { $0.hasPrefix("encoded PowerShell command") } })
        #expect(scripts.contains { $0.reasons.contains { $0.hasPrefix("Invoke-Expression") } })
        #expect(await obfuscationMemory.suspiciousProcesses(Self.all) == scripts)

        let (powersploit, _) = try await Self.stores("deepbluecli-evtx/jsonl/powersploit-security.jsonl")
        let launches = try await powersploit.suspiciousProcesses(Self.all)
        #expect(
            launches.contains {
                $0.event.code == "4688" && $0.reasons.contains { $0.hasPrefix("encoded PowerShell command") }
            }
        )

        let (execution, executionMemory) = try await Self.stores("evtx-attack-samples/jsonl/Execution")
        let lolbins = try await execution.suspiciousProcesses(Self.all)
        #expect(lolbins.contains { $0.reasons.contains { $0.hasPrefix("living-off-the-land binary") } })
        #expect(lolbins.allSatisfy { !$0.reasons.isEmpty })
        #expect(await executionMemory.suspiciousProcesses(Self.all) == lolbins)

        let (ntds, _) = try await Self.stores(
            "otrf-security-datasets/jsonl_gz/credential_access/cmd_dumping_ntds_dit_file_ntdsutil.jsonl.gz"
        )
        let dumping = try await ntds.suspiciousProcesses(Self.all)
        #expect(
            dumping.contains {
                $0.event.processName?.lowercased() == "ntdsutil.exe"
                    && $0.reasons.contains { $0.hasPrefix("credential dumping") }
            }
        )
    }

    @Test func outboundConnectionsLeavePrivateDestinationsOut() async throws {
        let (sqlite, memory) = try await Self.stores(
            "azure-sentinel-samples/msticpy-testdata/jsonl/az_net_flows.jsonl",
            "deepbluecli-evtx/jsonl/metasploit-sysmon.jsonl"
        )
        let outbound = try await sqlite.networkConnections(Self.all, includePrivate: false)
        #expect(outbound.count > 50)
        #expect(outbound.allSatisfy { !(IPAddress($0.destinationIP ?? "")?.isPrivate ?? true) })
        #expect(await memory.networkConnections(Self.all, includePrivate: false) == outbound)
        let everything = try await sqlite.networkConnections(EventFilter(limit: 5000), includePrivate: true)
        #expect(everything.count >= outbound.count)
    }
}
