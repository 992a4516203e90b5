public import SOCModel

/// What kind of attacker behaviour a ``BehaviourRule`` recognises.
public enum BehaviourCategory: String, Sendable, Codable, CaseIterable {
    case lateralMovement = "lateral_movement"
    case ransomware
    case exfiltration
    case persistence
    case defenceEvasion = "defence_evasion"
    case credentialAccess = "credential_access"
    case discovery
    case execution
    case privilegeEscalation = "privilege_escalation"
    case commandAndControl = "command_and_control"
    case collection
    case impact
}

/// A behavioural detection rule: what it means, as a typed value a reviewer can read.
///
/// The rule only names and rates the behaviour; ``BehaviourEngine`` holds the logic that recognises it, keyed by
/// ``id``. Events are judged by their typed fields (event code, logon type, images, command lines, registry paths,
/// byte counts), never by the wording of a message.
///
/// Severities follow DESIGN.md: CRITICAL for an active breach, exfiltration or ransomware; HIGH for confirmed
/// malicious activity and lateral movement; MEDIUM for what is suspicious and needs investigation.
public struct BehaviourRule: Sendable, Hashable, Codable {
    /// A stable identifier, `behaviour.<category>.<name>` (`behaviour.lateral-movement.remote-service-install`).
    public let id: String
    /// What it means, for people.
    public let title: String
    /// The kind of behaviour.
    public let category: BehaviourCategory
    /// How bad one hit of this rule is on its own.
    public let severity: Severity
    /// MITRE ATT&CK technique ids (`T1021.002`).
    public let techniques: [String]
    /// The MITRE ATT&CK tactic, as ATT&CK's short name (`lateral-movement`).
    public let tactic: String

    init(
        id: String,
        title: String,
        category: BehaviourCategory,
        severity: Severity,
        techniques: [String],
        tactic: String
    ) {
        self.id = id
        self.title = title
        self.category = category
        self.severity = severity
        self.techniques = techniques
        self.tactic = tactic
    }

    /// Every rule, in the order hits are reported: the behaviour rules, then the notable-event rules (``notable``).
    public static let all: [BehaviourRule] = behaviours + notable

    /// The behaviour rules: sequences, windows and the classic attack patterns.
    public static let behaviours: [BehaviourRule] = [
        logonFanOut, remoteServiceInstall, psexec, wmiRemoteExecution, winRMExecution,
        shadowCopyDeletion, bootConfigurationTampering, massFileEncryption,
        largeOutboundTransfer, archiveThenUpload,
        newService, serviceRunningShell, scheduledTask, registryAutostart, privilegedGroupMember, newAccount,
        auditLogCleared,
        lsassAccess, dcSync, kerberoasting,
    ]

    /// The rule with this identifier.
    public static func rule(id: String) -> BehaviourRule? { all.first { $0.id == id } }
}

// MARK: - The rules

extension BehaviourRule {
    // MARK: Lateral movement (HIGH)

    /// One internal address logs on over the network (4624 logon type 3) or by RDP (type 10) to at least
    /// ``BehaviourEngine/Limits/fanOutHosts`` distinct hosts within ``BehaviourEngine/Limits/fanOutWindow``.
    /// Machine accounts (`NAME$`), anonymous logons and loopback sources are left out. Grouped per source address.
    public static let logonFanOut = BehaviourRule(
        id: "behaviour.lateral-movement.logon-fan-out",
        title: "Network or RDP logons from one internal address to many hosts",
        category: .lateralMovement,
        severity: .high,
        techniques: ["T1021", "T1021.001"],
        tactic: "lateral-movement"
    )

    /// A service installed (System 7045, Security 4697) on a host that accepted a network logon from another
    /// machine within ``BehaviourEngine/Limits/remoteServiceWindow`` before it: how PsExec, SMBexec and Impacket
    /// run code on a remote host. Grouped per host. (Without the logon the install is ``newService``.)
    public static let remoteServiceInstall = BehaviourRule(
        id: "behaviour.lateral-movement.remote-service-install",
        title: "Service installed right after a network logon",
        category: .lateralMovement,
        severity: .high,
        techniques: ["T1543.003", "T1569.002", "T1021.002"],
        tactic: "lateral-movement"
    )

    /// PsExec and its clones: the `PSEXESVC` service (7045/4697), `psexesvc.exe` running or spawning processes
    /// (Sysmon 1, 4688), their named pipes (Sysmon 17/18, or 5145 on `IPC$`: `\PSEXESVC…`, `\RemCom_…`, `\PAExec…`,
    /// and a renamed service's `…-stdin`/`-stdout`/`-stderr` triple), and their service binaries copied over a share
    /// (5145: `PSEXESVC.exe`, `RemComSvc.exe`). Grouped per host.
    public static let psexec = BehaviourRule(
        id: "behaviour.lateral-movement.psexec",
        title: "PsExec-style remote service execution",
        category: .lateralMovement,
        severity: .high,
        techniques: ["T1569.002", "T1021.002"],
        tactic: "lateral-movement"
    )

    /// `wmiprvse.exe` starting a command shell or PowerShell (Sysmon 1, 4688): WMI remote execution as
    /// Impacket's wmiexec, `wmic /node:` and Empire's Invoke-WMI do it. Grouped per host.
    public static let wmiRemoteExecution = BehaviourRule(
        id: "behaviour.lateral-movement.wmi-exec",
        title: "WMI provider host started a shell",
        category: .lateralMovement,
        severity: .high,
        techniques: ["T1047"],
        tactic: "lateral-movement"
    )

    /// `wsmprovhost.exe` (PowerShell remoting) or `winrshost.exe` (WinRS) starting a process (Sysmon 1, 4688):
    /// commands run over WinRM. Grouped per host.
    public static let winRMExecution = BehaviourRule(
        id: "behaviour.lateral-movement.winrm-exec",
        title: "Process started through WinRM",
        category: .lateralMovement,
        severity: .high,
        techniques: ["T1021.006"],
        tactic: "lateral-movement"
    )

    // MARK: Ransomware (CRITICAL)

    /// Shadow copies or backups deleted: `vssadmin delete shadows`, `wmic shadowcopy delete`,
    /// `wbadmin delete catalog|backup|systemstatebackup`, `Win32_ShadowCopy` deleted from PowerShell (process starts
    /// and PowerShell logging). Reuses ``InvestigationRules``' `process.shadow-copy-deletion` rule and adds the
    /// `wbadmin delete backup` forms. Grouped per host.
    public static let shadowCopyDeletion = BehaviourRule(
        id: "behaviour.ransomware.shadow-copy-deletion",
        title: "Shadow copies or backups deleted",
        category: .ransomware,
        severity: .critical,
        techniques: ["T1490"],
        tactic: "impact"
    )

    /// Boot recovery switched off: `bcdedit /set … recoveryenabled no` or `bootstatuspolicy ignoreallfailures`.
    /// Grouped per host.
    public static let bootConfigurationTampering = BehaviourRule(
        id: "behaviour.ransomware.boot-config-tampering",
        title: "Boot recovery disabled with bcdedit",
        category: .ransomware,
        severity: .critical,
        techniques: ["T1490"],
        tactic: "impact"
    )

    /// Files written en masse by one process on one host (Sysmon 11 file creates, 4663 writes): at least
    /// ``BehaviourEngine/Limits/encryptedFiles`` files renamed to one appended extension (`report.docx.lockbit`)
    /// within ``BehaviourEngine/Limits/encryptionWindow``, or at least ``BehaviourEngine/Limits/massWriteFiles``
    /// files within ``BehaviourEngine/Limits/massWriteWindow`` by a program outside `\Windows\` and
    /// `\Program Files`. Grouped per host.
    public static let massFileEncryption = BehaviourRule(
        id: "behaviour.ransomware.mass-file-encryption",
        title: "Mass file rewrite by one process",
        category: .ransomware,
        severity: .critical,
        techniques: ["T1486"],
        tactic: "impact"
    )

    // MARK: Exfiltration (CRITICAL)

    /// At least ``BehaviourEngine/Limits/exfiltrationBytes`` (100 MB) sent from one source to one public address
    /// within ``BehaviourEngine/Limits/exfiltrationWindow`` (an hour), summed over flow records: `source.bytes` when
    /// the record has it (what the source sent), else `network.bytes`. Grouped per source address.
    public static let largeOutboundTransfer = BehaviourRule(
        id: "behaviour.exfiltration.large-outbound-transfer",
        title: "Large outbound transfer to one public address",
        category: .exfiltration,
        severity: .critical,
        techniques: ["T1048", "T1041"],
        tactic: "exfiltration"
    )

    /// An archive made (`7z a`, `rar a`, `zip`, `tar -c`, `makecab`, `Compress-Archive`) and, on the same host
    /// within ``BehaviourEngine/Limits/archiveUploadWindow``, an upload (`curl -T|-F|--data-binary @`, `rclone
    /// copy|sync`, `ftp -s:`, `bitsadmin /upload`, `Invoke-WebRequest|RestMethod -InFile`) or an outbound
    /// connection to a public address. Grouped per host.
    public static let archiveThenUpload = BehaviourRule(
        id: "behaviour.exfiltration.archive-then-upload",
        title: "Archive created, then uploaded",
        category: .exfiltration,
        severity: .critical,
        techniques: ["T1560.001", "T1041"],
        tactic: "exfiltration"
    )

    // MARK: Persistence (HIGH or MEDIUM)

    /// A service installed (7045, 4697) with no network logon before it, or created with `sc create` or
    /// `New-Service` (Sysmon 1, 4688, PowerShell logging). MEDIUM: installers and drivers add services
    /// every day; it needs a look at what the service runs (``serviceRunningShell`` is the HIGH case). Grouped per
    /// host.
    public static let newService = BehaviourRule(
        id: "behaviour.persistence.new-service",
        title: "New service installed",
        category: .persistence,
        severity: .medium,
        techniques: ["T1543.003"],
        tactic: "persistence"
    )

    /// A service installed (7045, 4697) whose binary is a shell or script host (`cmd /c`, `%COMSPEC%`, PowerShell,
    /// mshta, rundll32) or lives in a user-writable folder (`\Users\`, `\Temp\`, `\ProgramData\`). HIGH: software
    /// does not install services like that; SMBexec, Metasploit and Cobalt Strike do. Grouped per host.
    public static let serviceRunningShell = BehaviourRule(
        id: "behaviour.persistence.service-runs-shell",
        title: "Service installed that runs a shell or a user-writable binary",
        category: .persistence,
        severity: .high,
        techniques: ["T1543.003", "T1569.002"],
        tactic: "persistence"
    )

    /// A scheduled task created: Security 4698, `schtasks /create` (Sysmon 1, 4688), `Register-ScheduledTask`,
    /// or a new key under the registry's `Schedule\TaskCache\Tree` (Sysmon 12/13). MEDIUM: administrators and
    /// software create tasks routinely; what the task runs decides. Grouped per host.
    public static let scheduledTask = BehaviourRule(
        id: "behaviour.persistence.scheduled-task",
        title: "Scheduled task created",
        category: .persistence,
        severity: .medium,
        techniques: ["T1053.005"],
        tactic: "persistence"
    )

    /// An autostart registry value written (Sysmon 12/13): `…\CurrentVersion\Run`, `RunOnce`, `RunOnceEx`,
    /// `RunServices`, `Policies\Explorer\Run`, Winlogon's `Userinit`/`Shell`, or the Startup folder's location under
    /// `Explorer\[User ]Shell Folders`. MEDIUM: legitimate software writes
    /// Run keys on install and update (OneDrive, Teams); the program it starts needs checking. Grouped per host.
    public static let registryAutostart = BehaviourRule(
        id: "behaviour.persistence.registry-autostart",
        title: "Autostart registry value set",
        category: .persistence,
        severity: .medium,
        techniques: ["T1547.001"],
        tactic: "persistence"
    )

    /// A member added to a privileged group (4728, 4732, 4756): Administrators, Domain/Enterprise/Schema Admins,
    /// Account/Server/Backup Operators, DnsAdmins, Group Policy Creator Owners, Remote Desktop Users and the like.
    /// HIGH: it grants administrative control at once, and is rare outside planned changes. Grouped per host.
    public static let privilegedGroupMember = BehaviourRule(
        id: "behaviour.persistence.privileged-group-member",
        title: "Account added to a privileged group",
        category: .persistence,
        severity: .high,
        techniques: ["T1098"],
        tactic: "persistence"
    )

    /// A user account created (4720), or the SAM's own key for a new local account name written (Sysmon 12/13 under
    /// `SAM\SAM\Domains\Account\Users\Names\`, where 4720 is not audited). MEDIUM: creating accounts is ordinary administration; an unknown creator, a
    /// lookalike name or a later privileged-group add (``privilegedGroupMember``) makes it more. Grouped per host.
    public static let newAccount = BehaviourRule(
        id: "behaviour.persistence.new-account",
        title: "Local or domain account created",
        category: .persistence,
        severity: .medium,
        techniques: ["T1136.001"],
        tactic: "persistence"
    )

    // MARK: Defence evasion (HIGH)

    /// An event log cleared: Security 1102 or System 104. Grouped per host.
    public static let auditLogCleared = BehaviourRule(
        id: "behaviour.defence-evasion.audit-log-cleared",
        title: "Event log cleared",
        category: .defenceEvasion,
        severity: .high,
        techniques: ["T1070.001"],
        tactic: "defense-evasion"
    )

    // MARK: Credential access (CRITICAL or HIGH)

    /// A process opening LSASS (Sysmon 10, target `lsass.exe`) with memory-read or memory-write rights (`0x10` or
    /// `0x20` in GrantedAccess: `0x1010`, `0x1410`, `0x1fffff`…), unless it is one of the system processes that
    /// routinely do; or opening it at all from a program outside `\Windows\` and `\Program Files`; or an LSASS dump
    /// file written (`lsass*.dmp`, Sysmon 11). CRITICAL: this is how credentials are dumped. Grouped per host.
    public static let lsassAccess = BehaviourRule(
        id: "behaviour.credential-access.lsass-access",
        title: "LSASS memory opened by a non-system process",
        category: .credentialAccess,
        severity: .critical,
        techniques: ["T1003.001"],
        tactic: "credential-access"
    )

    /// Directory replication requested (4662 with the `DS-Replication-Get-Changes[-All|-In-Filtered-Set]` rights
    /// `1131f6aa-…`, `1131f6ad-…`, `89e95b76-…`) by an account that is not a machine account (`NAME$`): DCSync.
    /// CRITICAL: the whole domain's password hashes. Grouped per host (the domain controller).
    public static let dcSync = BehaviourRule(
        id: "behaviour.credential-access.dcsync",
        title: "Directory replication (DCSync) by a user account",
        category: .credentialAccess,
        severity: .critical,
        techniques: ["T1003.006"],
        tactic: "credential-access"
    )

    /// One account requesting RC4 (`0x17`) service tickets (4769) for at least
    /// ``BehaviourEngine/Limits/kerberoastServices`` distinct services within
    /// ``BehaviourEngine/Limits/kerberoastWindow``; machine accounts and `krbtgt` are left out. HIGH rather than
    /// CRITICAL: the hashes still have to be cracked offline. Grouped per account.
    public static let kerberoasting = BehaviourRule(
        id: "behaviour.credential-access.kerberoasting",
        title: "Kerberoasting: RC4 service tickets for many services",
        category: .credentialAccess,
        severity: .high,
        techniques: ["T1558.003"],
        tactic: "credential-access"
    )
}
