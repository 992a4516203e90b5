import SOCDetection
import SOCModel
import SOCTestSupport
import Testing

/// Each notable-event rule on a named real capture (evtx-attack-samples, evtx-to-mitre-attack), and the family quiet
/// on benign data.
@Suite(.enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct NotableEventRuleTests {
    static let mitre = "evtx-to-mitre-attack/jsonl/"
    static let samples = "evtx-attack-samples/jsonl/"

    /// A rule and the capture it must fire on.
    struct Case: Sendable, CustomTestStringConvertible {
        let rule: BehaviourRule
        let capture: String
        var testDescription: String { rule.id }
    }

    static let cases: [Case] = [
        Case(
            rule: .accountProtectionWeakened,
            capture: mitre
                + "TA0003-Persistence/T1098.xxx-Account manipulation/ID4738-Account with password not required.jsonl"
        ),
        Case(
            rule: .delegationGranted,
            capture: mitre
                + "TA0003-Persistence/T1098.xxx-Account manipulation/"
                + "ID4742,5136-Enable Trust this computer for delegation (to any service, Kerberos only).jsonl"
        ),
        Case(
            rule: .spnSetByUser,
            capture: mitre
                + "TA0003-Persistence/T1098.xxx-Account manipulation/ID4742,5136-SPN set on computer account.jsonl"
        ),
        Case(
            rule: .sensitiveDirectoryObjectChanged,
            capture: mitre
                + "TA0003-Persistence/T1546-Event Triggered Execution/"
                + "ID5136-AdminSDholder backdoor obfuscation (via localizationDisplayId).jsonl"
        ),
        Case(
            rule: .adminLikeRename,
            capture: mitre
                + "TA0003-Persistence/T1098.xxx-Account manipulation/ID4781-4738-User renamed to admin or likely.jsonl"
        ),
        Case(
            rule: .guestEnabled,
            capture: mitre + "TA0003-Persistence/T1136-Create account/ID4722-Guest account activated.jsonl"
        ),
        Case(
            rule: .computerAccountByUser,
            capture: mitre
                + "TA0003-Persistence/T1136-Create account/ID4741-Computer account created with privileges.jsonl"
        ),
        Case(
            rule: .selfAddedToGroup,
            capture: mitre
                + "TA0003-Persistence/T1098.xxx-Account manipulation/ID4728-Member adding to a group by the same account.jsonl"
        ),
        Case(
            rule: .sqlPrivilegeChange,
            capture: mitre
                + "TA0003-Persistence/T1136-Create account/ID33205-SQL Server Disabled SA user activated.jsonl"
        ),
        Case(
            rule: .sqlAuditChanged,
            capture: mitre
                + "TA0005-Defense Evasion/T1562.002-Disable Windows Event Logging/"
                + "ID33205-SQL Server Database audit specification deleted.jsonl"
        ),
        Case(
            rule: .sqlSingleUserMode,
            capture: mitre
                + "TA0003-Persistence/T1505.001-SQL Stored Procedures/ID11715-SQL Server started in single mode for psw recovery.jsonl"
        ),
        Case(
            rule: .sqlLoginFailures,
            capture: mitre
                + "TA0006-Credential Access/T1110.xxx-Brut force/ID33205-SQL Server failed login with SA wrong password.jsonl"
        ),
        Case(
            rule: .bootDebugOrTestSigning,
            capture: samples + "Defense Evasion/DE_KernelDebug_and_TestSigning_ON_Security_4826.jsonl"
        ),
        Case(
            rule: .auditPolicyRemoved,
            capture: mitre
                + "TA0005-Defense Evasion/T1562.002-Disable Windows Event Logging/ID4719-Audit policy deactivation.jsonl"
        ),
        Case(
            rule: .specialGroupsChanged,
            capture: mitre
                + "TA0005-Defense Evasion/T1562.002-Disable Windows Event Logging/ID4908-Special group table changed.jsonl"
        ),
        Case(
            rule: .timeChanged,
            capture: mitre + "TA0005-Defense Evasion/T1070.006-Timestomp/ID4616-system time changed.jsonl"
        ),
        Case(
            rule: .defencesWeakenedInRegistry,
            capture: samples + "Defense Evasion/de_powershell_execpolicy_changed_sysmon_13.jsonl"
        ),
        Case(
            rule: .shareConfigurationChanged,
            capture: samples + "Lateral Movement/LM_NewShare_Added_Sysmon_12_13.jsonl"
        ),
        Case(rule: .uacBypassRegistry, capture: samples + "Privilege Escalation/UACME_61_Changepk.jsonl"),
        Case(
            rule: .executionHijackRegistry,
            capture: samples + "Privilege Escalation/PrivEsc_CVE-2020-1313_Sysmon_13_UScheduler_Cmdline.jsonl"
        ),
        Case(
            rule: .certificateServicesSettingsChanged,
            capture: mitre
                + "TA0005-Defense Evasion/T1222.001-File and Directory Permissions Modification/ID5124-OCSP security settings changed.jsonl"
        ),
        Case(
            rule: .credentialManagerBackup,
            capture: mitre
                + "TA0005-Defense Evasion/T1555.004-Windows Credential Manager/"
                + "ID 5376, 5379, 5382, 5381, 5382 credential manager and vault.jsonl"
        ),
        Case(
            rule: .lsassSilentExitMonitor,
            capture: samples + "Credential Access/LsassSilentProcessExit_process_exit_monitor_3001_lsass.jsonl"
        ),
        Case(
            rule: .sshLoginFailures,
            capture: mitre
                + "TA0006-Credential Access/T1110.xxx-Brut force/ID4-OpenSSH brutforce with valid users.jsonl"
        ),
        Case(
            rule: .rdpConnectionBurst,
            capture: mitre + "TA0007-Discovery/T1046-Network Service Scanning/ID131-RDP brutforce (no user info).jsonl"
        ),
        Case(
            rule: .localLogonFailures,
            capture: mitre
                + "TA0006-Credential Access/T1110.xxx-Brut force/ID 4776,4625-AccountRestore local bruteforce.jsonl"
        ),
        Case(
            rule: .sensitivePrivilegeEnabled,
            capture: samples + "Privilege Escalation/win10_4703_SeDebugPrivilege_enabled.jsonl"
        ),
        Case(
            rule: .systemAccessGranted,
            capture: mitre
                + "TA0004-Privilege Escalation/T1134-Access Token Manipulation/ID4717-4718-System security granded to account.jsonl"
        ),
        Case(rule: .remoteServicePipe, capture: samples + "Lateral Movement/LM_Remote_Service01_5145_svcctl.jsonl"),
        Case(
            rule: .adminShareAccess,
            capture: mitre
                + "TA0008-Lateral Movement/T1021.002-SMB Windows Admin Shares/ID5140-ADMIN$ share connection with Golden ticket.jsonl"
        ),
        Case(
            rule: .rdpLogonFanOut,
            capture: mitre
                + "TA0001-Initial access/T1078-Valid accounts/ID1149-RDP success logins to multiple hosts.jsonl"
        ),
        Case(
            rule: .winRMSession,
            capture: samples + "Lateral Movement/RemotePowerShell_MS_Windows-Remote_Management_EventID_169.jsonl"
        ),
        Case(
            rule: .dcomRemoteLaunch,
            capture: samples + "Lateral Movement/LM_dcom_shwnd_shbrwnd_mmc20_failed_traces_system_10016.jsonl"
        ),
        Case(rule: .rdpLibraryLoaded, capture: samples + "Lateral Movement/sharprdp_sysmon_7_mstscax.dll.jsonl"),
        Case(
            rule: .anonymousNetworkLogon,
            capture: mitre
                + "TA0007-Discovery/T1046-Network Service Scanning/ID4624-Anonymous login with domain specified (DonPapi).jsonl"
        ),
        Case(rule: .serviceHostSpawnedShell, capture: samples + "Execution/revshell_cmd_svchost_sysmon_1.jsonl"),
        Case(
            rule: .documentOrBrowserSpawnedShell,
            capture: samples + "Execution/exec_driveby_cve-2018-15982_sysmon_1_10.jsonl"
        ),
        Case(
            rule: .bitsRemoteDownload,
            capture: samples + "Execution/windows_bits_4_59_60_lolbas desktopimgdownldr.jsonl"
        ),
        Case(
            rule: .serviceStartTimeout,
            capture: mitre
                + "TA0002-Execution/T1569.002-Service execution/ID7009-Service deployment time out (meterpreter).jsonl"
        ),
        Case(
            rule: .remoteThreadInjection,
            capture: samples + "Defense Evasion/meterpreter_migrate_to_explorer_sysmon_8.jsonl"
        ),
        Case(
            rule: .processTamperingAccess,
            capture: samples + "AutomatedTestingTools/Malware/rundll32_hollowing_wermgr_masquerading.jsonl"
        ),
        Case(
            rule: .proxyChanged,
            capture: mitre + "TA0011-Command and Control/T1090-Proxy/ID5600-proxy configuration changed.jsonl"
        ),
        Case(
            rule: .bitLockerEncryptionStarted,
            capture: mitre
                + "TA0040-Impact/T1486-Data Encrypted for Impact/ID 768,775,793,796,817,840-BitLocker encryption activated.jsonl"
        ),
        Case(
            rule: .winsockCatalogChanged,
            capture: samples + "Persistence/Persistence_Winsock_Catalog Change EventId_1.jsonl"
        ),
        Case(
            rule: .localGroupEnumeration,
            capture: samples + "Discovery/discovery_local_user_or_group_windows_security_4799_4798.jsonl"
        ),
        Case(
            rule: .offensivePowerShell,
            capture: mitre
                + "TA0007-Discovery/T1482-Domain Trust Discovery/ID800,4103,4104-Active Directory Forest PowerShell class.jsonl"
        ),
        Case(
            rule: .firewallOpened,
            capture: mitre
                + "TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID2004-Any any firewall rule created.jsonl"
        ),
    ]

    @Test(arguments: cases) func firesOnItsCapture(_ example: Case) throws {
        let hits = try BehaviourData.hits(example.capture, rule: example.rule)
        let hit = try #require(hits.first, "\(example.rule.id) on \(example.capture)")
        #expect(hit.count >= 1)
        #expect(!hit.evidence.isEmpty)
        #expect(hit.rule.severity >= .medium)
    }

    @Test func everyNotableRuleHasACaptureOrIsNamedHere() {
        let tested = Set(Self.cases.map(\.rule.id))
        // Rules with no capture in the data sets that shows them (the renamed regsvr32 capture's Sysmon predates
        // OriginalFileName; the RDP-shadow and Event Log captures lack the value and the stop).
        let untested: Set<String> = [
            BehaviourRule.sqlCommandShell.id, BehaviourRule.eventLogServiceStopped.id,
            BehaviourRule.rdpShadowEnabled.id, BehaviourRule.renamedSystemBinary.id,
        ]
        for rule in BehaviourRule.notable {
            #expect(tested.contains(rule.id) || untested.contains(rule.id), "\(rule.id)")
        }
        #expect(Set(BehaviourRule.all.map(\.id)).count == BehaviourRule.all.count)
        for rule in BehaviourRule.notable { #expect(rule.id.hasPrefix("behaviour."), "\(rule.id)") }
    }

    @Test func remoteThreadInjectionIgnoresSystemPrograms() throws {
        // Meterpreter migrating from a binary on a VirtualBox share into Explorer.
        let hits = try BehaviourData.hits(
            "evtx-attack-samples/jsonl/Defense Evasion/meterpreter_migrate_to_explorer_sysmon_8.jsonl",
            rule: .remoteThreadInjection
        )
        let hit = try #require(hits.first)
        #expect(hit.evidence.contains { $0.contains("vboxsrv") })
        #expect(hit.rule.severity == .high)
    }

    @Test func burstsNeedEnoughEvents() throws {
        // One failed local logon is not a burst (the 16 of AccountRestore are, in firesOnItsCapture).
        let few = try BehaviourData.hits(
            Self.samples + "Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.jsonl",
            rule: .localLogonFailures
        )
        #expect(few.isEmpty)
    }

    @Test func notableRulesAreQuietOnBenignData() throws {
        var total = 0
        for file in try BehaviourData.benignFiles() {
            guard let hits = try? BehaviourData.hits([file]) else { continue }
            for hit in hits where BehaviourRule.notable.contains(hit.rule) {
                total += 1
                print("benign-notable: \(file): \(hit.rule.id) \(hit.rule.severity) \(hit.evidence.first ?? "")")
            }
        }
        print("benign-notable: \(total) hits")
        #expect(total <= 10)
    }
}
