import Foundation
import SOCModel
import SOCParsers
import Testing

/// Every log under ../shared/data parses: counts are checked against the corpora's own manifests and against counts
/// taken from the raw files independently of our parsers.
@Suite(.enabled(if: Support.sharedData != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct RealDataTests {
    /// Rows of a corpus manifest: the file and its number of events.
    private func manifest(_ corpus: String, fileKey: String) throws -> [(path: String, events: Int)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Support.data("\(corpus)/manifest.json")))
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return rows.compactMap { row in
            guard let file = row[fileKey] as? String, let events = row["events"] as? Int else { return nil }
            return (Support.data("\(corpus)/\(file)"), events)
        }
    }

    @Test(
        "Each EVTX-JSON file yields exactly its manifest's event count",
        arguments: ["deepbluecli-evtx", "evtx-attack-samples", "evtx-to-mitre-attack"]
    )
    func evtxCorpora(_ corpus: String) throws {
        let rows = try manifest(corpus, fileKey: "jsonl")
        #expect(rows.count > 10)
        var total = 0
        for row in rows {
            let (events, summary) = try Support.read(row.path)
            #expect(summary.format == "evtx-json", "\(row.path)")
            #expect(summary.rejected == 0, "\(row.path): \(summary.errors)")
            #expect(events.count == row.events, "\(row.path)")
            #expect(events.allSatisfy { $0.code != nil && $0.timestamp != nil && $0.string(ECSField.hostName) != nil })
            total += events.count
        }
        #expect(total == rows.reduce(0) { $0 + $1.events })
    }

    @Test func otrfDatasetsParseCompressed() throws {
        let rows = try manifest("otrf-security-datasets", fileKey: "file")
        #expect(rows.count == 80)
        var formats: [String: Int] = [:]
        var total = 0
        for row in rows {
            var reader = try EventFileReader(path: row.path, options: Support.options)
            var count = 0
            var sample: SecurityEvent?
            while let batch = try reader.nextBatch() {
                count += batch.count
                if sample == nil { sample = batch.first }
            }
            #expect(reader.summary.compressed)
            #expect(reader.summary.rejected == 0, "\(row.path): \(reader.summary.errors)")
            #expect(count == row.events, "\(row.path)")
            #expect(sample?.code != nil && sample?.string(ECSField.hostName) != nil, "\(row.path)")
            formats[reader.summary.format, default: 0] += 1
            total += count
        }
        #expect(formats == ["nxlog": 78, "winlogbeat6": 2])
        #expect(total == 493_455)
    }

    @Test func openSSHAuthLogMatchesCountsTakenFromTheRawLines() throws {
        let path = Support.data("loghub/OpenSSH_2k_first500.log")
        let (events, summary) = try Support.read(path)
        #expect(summary.format == "syslog")
        #expect(summary.rejected == 0)
        #expect(events.count == 500)
        // Independent count: "Failed password … from IP port" lines, by address, with a plain regular expression.
        let raw = try String(contentsOfFile: path, encoding: .utf8)
        // (The user name may be empty: "Failed password for invalid user  from …".)
        let pattern = try NSRegularExpression(pattern: #"Failed password for (?:invalid user )?.*? from (\S+) port"#)
        var expected: [String: Int] = [:]
        for line in raw.split(whereSeparator: \.isNewline).map(String.init) {
            if let match = pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
                let range = Range(match.range(at: 1), in: line)
            {
                expected[String(line[range]), default: 0] += 1
            }
        }
        var actual: [String: Int] = [:]
        for event in events
        where event.action == "ssh_login" && event.outcome == "failure"
            && event.string("system.auth.ssh.method") == "password"
        {
            actual[event.string(ECSField.sourceIP) ?? "?", default: 0] += 1
        }
        #expect(actual == expected)
        #expect(expected.values.reduce(0, +) == 113)
        #expect(expected["103.99.0.122"] == 27)
        // Every line names LabSZ and has a timestamp; years are inferred, so no event is in the future.
        #expect(events.allSatisfy { $0.string(ECSField.hostName) == "LabSZ" })
        #expect(
            events.allSatisfy {
                ($0.timestamp?.components.month ?? 0) == 12 && ($0.timestamp?.components.year ?? 0) == 2024
            }
        )
    }

    @Test(
        "Other text logs parse line for line",
        arguments: [
            ("loghub/Linux_2k_first500.log", "syslog", 500),
            ("loghub/Thunderbird_2k.log", "text", 2000),
            ("loghub/Windows_2k.log", "text", 2000),
            ("elastic-beats-testdata/filebeat-system-auth/test.log", "syslog", 10),
            ("azure-sentinel-samples/msticpy-testdata/auditd_log.txt", "auditd", -1),
        ]
    )
    func textLogs(_ testCase: (String, String, Int)) throws {
        let path = Support.data(testCase.0)
        let (events, summary) = try Support.read(path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline).count
        #expect(summary.format == testCase.1)
        #expect(summary.rejected == 0, "\(summary.errors)")
        #expect(events.count == (testCase.2 < 0 ? lines : testCase.2))
        #expect(events.count == lines)
    }

    @Test func linuxPamFailuresCarryTheRemoteHost() throws {
        let (events, _) = try Support.read(Support.data("loghub/Linux_2k_first500.log"))
        let failures = events.filter { $0.action == "pam_auth_failure" }
        // 181 "authentication failure" lines in these 500 (SOURCE.md); each names rhost= as an address or a name.
        #expect(failures.count == 181)
        #expect(failures.allSatisfy { $0.string(ECSField.sourceIP) != nil || $0.string(ECSField.sourceDomain) != nil })
    }

    @Test func sentinelExportsParse() throws {
        let base = "azure-sentinel-samples/msticpy-testdata"
        for name in ["host_logons", "processes_on_host", "syslog_data", "sudo_events", "linux_events", "az_net_flows"] {
            let jsonl = try Support.read(Support.data("\(base)/jsonl/\(name).jsonl"))
            let csv = try Support.read(Support.data("\(base)/original_csv/\(name).csv"))
            let rows = try String(contentsOfFile: Support.data("\(base)/jsonl/\(name).jsonl"), encoding: .utf8).split(
                whereSeparator: \.isNewline
            ).count
            #expect(jsonl.summary.format == "sentinel")
            #expect(csv.summary.format == "sentinel-csv")
            #expect(
                jsonl.summary.rejected == 0 && csv.summary.rejected == 0,
                "\(name): \(jsonl.summary.errors) \(csv.summary.errors)"
            )
            #expect(jsonl.events.count == rows, "\(name)")
            #expect(csv.events.count == rows, "\(name)")
            for (fromJSON, fromCSV) in zip(jsonl.events, csv.events) {
                #expect(fromJSON.code == fromCSV.code && fromJSON.timestamp == fromCSV.timestamp)
                #expect(fromJSON.string(ECSField.userName) == fromCSV.string(ECSField.userName))
            }
        }
        let logons = try Support.read(Support.data("\(base)/jsonl/host_logons.jsonl")).events
        #expect(
            logons.allSatisfy { $0.code == "4624" && $0.outcome == "success" && $0.categories == ["authentication"] }
        )
        let processes = try Support.read(Support.data("\(base)/jsonl/processes_on_host.jsonl")).events
        #expect(processes.allSatisfy { $0.code == "4688" && $0.string(ECSField.processExecutable) != nil })
        let flows = try Support.read(Support.data("\(base)/jsonl/az_net_flows.jsonl")).events
        #expect(
            flows.filter {
                $0.string(ECSField.networkDirection) == "egress" && $0.string(ECSField.destinationIP) != nil
            }.count > 100
        )

        let scenario = try Support.read(Support.data("azure-sentinel-samples/SecurityEvent_RiskIQ_scenrio.json"))
        #expect(scenario.summary.rejected == 0)
        #expect(scenario.events.map(\.code) == ["4624", "4688", "4624", "4688"])
        #expect(scenario.events[0].string(ECSField.sourceIP) == "104.168.141.190")
        #expect(scenario.events[0].outcome == "success")
        #expect(scenario.events[1].string(ECSField.processName) == "mimikatz.exe")
        #expect(scenario.events[1].string(ECSField.processCommandLine)?.hasPrefix("sekurlsa::pth") == true)

        let alerts = try Support.read(Support.data("\(base)/az_mon_raw_query_SecurityAlert.json"))
        #expect(alerts.summary.rejected == 0)
        #expect(!alerts.events.isEmpty && alerts.events.allSatisfy { $0.string(ECSField.eventKind) == "alert" })
    }

    @Test func elasticBeatsGoldenDocumentsParse() throws {
        let ingest = try Support.read(
            Support.data(
                "elastic-beats-testdata/winlogbeat-security-ingest/security-windows2019_4688_Process_Created.golden.json"
            )
        ).events
        let collection = try Support.read(
            Support.data(
                "elastic-beats-testdata/winlogbeat-security-collection/security-windows2019_4688_Process_Created.evtx.golden.json"
            )
        ).events
        #expect(ingest.count == 1 && collection.count == 1)
        // The same 4688 before and after Elastic's pipeline normalizes to the same process fields.
        for field in [
            ECSField.processExecutable, ECSField.processCommandLine, ECSField.processParentName, ECSField.userName,
            ECSField.eventAction,
        ] {
            #expect(ingest[0].string(field) == collection[0].string(field), "\(field)")
            #expect(ingest[0].string(field) != nil, "\(field)")
        }
        #expect(ingest[0].string(ECSField.processName) == "wevtutil.exe")
        let created = try Support.read(
            Support.data(
                "elastic-beats-testdata/winlogbeat-security-ingest/security-windows2016_4720_Account_Created.golden.json"
            )
        ).events
        #expect(
            created.count == 2
                && created.allSatisfy { $0.action == "added-user-account" && $0.string(ECSField.userTargetName) != nil }
        )
        let sysmon = try Support.read(
            Support.data("elastic-beats-testdata/winlogbeat-sysmon-ingest/sysmon-12-processcreate.golden.json")
        ).events
        #expect(sysmon.first?.string(ECSField.processHashSHA1) == "b6d237154f2e528f0b503b58b025862d66b02b73")
        #expect(sysmon.first?.string(ECSField.processName) == "notepad.exe")
    }

    @Test func sigmaRegressionEventsParse() throws {
        let root = Support.data("sigma/regression_data")
        let files = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".json") }
        #expect(files.count == 202)
        var events = 0
        for file in files {
            let (parsed, summary) = try Support.read(root + "/" + file)
            #expect(summary.format == "evtx-json", "\(file)")
            #expect(summary.rejected == 0, "\(file): \(summary.errors)")
            #expect(!parsed.isEmpty, "\(file)")
            events += parsed.count
        }
        #expect(events >= 202)
    }
}
