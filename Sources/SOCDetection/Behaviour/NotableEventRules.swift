import SOCModel

// The notable-event rules: single events (and a few small bursts) that mean suspicious activity on their own,
// judged by event code, channel and typed event data. The matching logic is in NotableEvents.swift.

extension BehaviourRule {
    /// The notable-event rules, in the order hits are reported (after the behaviour rules).
    public static let notable: [BehaviourRule] = [
        accountProtectionWeakened, delegationGranted, spnSetByUser, sensitiveDirectoryObjectChanged,
        adminLikeRename, guestEnabled, computerAccountByUser, selfAddedToGroup, sqlPrivilegeChange, sqlCommandShell,
        sqlAuditChanged, sqlSingleUserMode, sqlLoginFailures, bootDebugOrTestSigning, auditPolicyRemoved,
        specialGroupsChanged, timeChanged, eventLogServiceStopped, defencesWeakenedInRegistry,
        shareConfigurationChanged, rdpShadowEnabled, uacBypassRegistry, executionHijackRegistry, firewallOpened,
        certificateServicesSettingsChanged, credentialManagerBackup, lsassSilentExitMonitor, sshLoginFailures,
        rdpConnectionBurst, localLogonFailures, sensitivePrivilegeEnabled, systemAccessGranted, remoteServicePipe,
        adminShareAccess, rdpLogonFanOut, winRMSession, dcomRemoteLaunch, rdpLibraryLoaded, anonymousNetworkLogon,
        serviceHostSpawnedShell, documentOrBrowserSpawnedShell, renamedSystemBinary, bitsRemoteDownload,
        serviceStartTimeout, remoteThreadInjection, processTamperingAccess, proxyChanged,
        bitLockerEncryptionStarted, winsockCatalogChanged, localGroupEnumeration, offensivePowerShell,
    ]

    /// An account's control flags changed (4738 user, 4742 computer: `OldUacValue` → `NewUacValue`, SAM `ACB_*` bits) to
    /// add *password not required* (`0x4`), *password never expires* (`0x200`) or *Kerberos pre-authentication not
    /// required* (`0x10000`, AS-REP roasting). MEDIUM: each weakens the account so an attacker can keep or crack it;
    /// administrators set *never expires* on service accounts too, so who changed it decides. Grouped per host.
    public static let accountProtectionWeakened = BehaviourRule(
        id: "behaviour.persistence.account-protection-weakened",
        title: "Account set to need no password, never expire or skip Kerberos pre-authentication",
        category: .persistence,
        severity: .medium,
        techniques: ["T1098", "T1558.004"],
        tactic: "persistence"
    )

    /// Kerberos delegation granted: 4738/4742 adding *trusted for delegation* (`0x2000`) or *trusted to authenticate for
    /// delegation* (`0x100000`), 4742/4738 setting `AllowedToDelegateTo`, or 5136 writing
    /// `msDS-AllowedToDelegateTo` or `msDS-AllowedToActOnBehalfOfOtherIdentity` (resource-based delegation). MEDIUM:
    /// an account trusted to delegate can impersonate any user to the services named; it is rare and needs a
    /// change record. Grouped per host.
    public static let delegationGranted = BehaviourRule(
        id: "behaviour.persistence.delegation-granted",
        title: "Kerberos delegation granted to an account",
        category: .persistence,
        severity: .medium,
        techniques: ["T1098", "T1134.001"],
        tactic: "persistence"
    )

    /// A service principal name written by an account that is not a machine account: 4742 with
    /// `ServicePrincipalNames`, or 5136 on `servicePrincipalName`. Computers register their own SPNs (as `NAME$`);
    /// a person doing it makes an account Kerberoastable or prepares DCShadow. MEDIUM. Grouped per host.
    public static let spnSetByUser = BehaviourRule(
        id: "behaviour.persistence.spn-set-by-user",
        title: "Service principal name set by a user account",
        category: .persistence,
        severity: .medium,
        techniques: ["T1098", "T1558.003"],
        tactic: "persistence"
    )

    /// A directory change (5136) on an object that controls others: anything under `CN=AdminSDHolder` (its ACL is
    /// stamped on every protected admin account), an extended right (`CN=Extended-Rights`), a Group Policy container
    /// (`groupPolicyContainer`: edits and ACLs), or the permissions (`nTSecurityDescriptor`) of the domain root or an
    /// OU. MEDIUM: legitimate only as planned administration; attackers use them for persistence and DCSync rights.
    /// Grouped per host.
    public static let sensitiveDirectoryObjectChanged = BehaviourRule(
        id: "behaviour.persistence.sensitive-directory-object-changed",
        title: "AdminSDHolder, GPO, extended right or domain/OU permissions changed",
        category: .persistence,
        severity: .medium,
        techniques: ["T1484.001", "T1222.001", "T1098"],
        tactic: "persistence"
    )

    /// An account renamed (4781) so that its new name contains `admin` and the old one did not: a lookalike that hides
    /// in lists of administrators. MEDIUM. Grouped per host.
    public static let adminLikeRename = BehaviourRule(
        id: "behaviour.persistence.admin-like-rename",
        title: "Account renamed to an administrator-like name",
        category: .persistence,
        severity: .medium,
        techniques: ["T1036", "T1098"],
        tactic: "persistence"
    )

    /// The built-in Guest account (SID ending `-501`) enabled (4722). HIGH: it is disabled on every supported Windows
    /// by default and there is no administrative reason to turn it on; it gives anyone a logon. Grouped per host.
    public static let guestEnabled = BehaviourRule(
        id: "behaviour.persistence.guest-enabled",
        title: "Built-in Guest account enabled",
        category: .persistence,
        severity: .high,
        techniques: ["T1078.001"],
        tactic: "persistence"
    )

    /// A computer account created (4741) by an account that is not a machine account, or `SeMachineAccountPrivilege`
    /// used (4673) by one: how resource-based delegation and noPac attacks get an account with an SPN through the
    /// default machine-account quota. MEDIUM: administrators join computers too. Grouped per host.
    public static let computerAccountByUser = BehaviourRule(
        id: "behaviour.persistence.computer-account-by-user",
        title: "Computer account created by a user account",
        category: .persistence,
        severity: .medium,
        techniques: ["T1136.002"],
        tactic: "persistence"
    )

    /// A member added to a group (4728, 4732, 4756) by the very account added (`MemberSid` = `SubjectUserSid`):
    /// abusing a write right on the group's membership. MEDIUM. Grouped per host.
    public static let selfAddedToGroup = BehaviourRule(
        id: "behaviour.persistence.self-added-to-group",
        title: "Account added itself to a group",
        category: .persistence,
        severity: .medium,
        techniques: ["T1098"],
        tactic: "persistence"
    )

    /// SQL Server audit records (Application 33205, fields of its `action_id:`/`class_type:` record) of a successful
    /// role membership add (`APRL`, `ADSP`), a login enabled (`LGEA`), or a login or user created (`CR` on class
    /// `SL`, `SU`, `US`). MEDIUM: routine for a DBA, and how an intruder keeps database access. Grouped per host.
    public static let sqlPrivilegeChange = BehaviourRule(
        id: "behaviour.persistence.sql-privilege-change",
        title: "SQL Server login enabled, principal created or role member added",
        category: .persistence,
        severity: .medium,
        techniques: ["T1098", "T1136"],
        tactic: "persistence"
    )

    /// A SQL Server audit record (33205) whose statement uses or configures `xp_cmdshell`. HIGH: it runs operating system
    /// commands as the SQL Server service, which is off by default and almost never needed. Grouped per host.
    public static let sqlCommandShell = BehaviourRule(
        id: "behaviour.execution.sql-command-shell",
        title: "SQL Server xp_cmdshell used or enabled",
        category: .execution,
        severity: .high,
        techniques: ["T1505.001", "T1059.003"],
        tactic: "execution"
    )

    /// A SQL Server audit record (33205) of an audit or audit specification (class `A`, `SA`, `DA`) altered, dropped or
    /// stopped (`AL`, `DR`, `AUSC`). MEDIUM: it can blind the database's audit trail. Grouped per host.
    public static let sqlAuditChanged = BehaviourRule(
        id: "behaviour.defence-evasion.sql-audit-changed",
        title: "SQL Server audit or audit specification altered or dropped",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1562.002"],
        tactic: "defense-evasion"
    )

    /// SQL Server started with `-m` (Application 17115 startup parameters), or a process starting it that way
    /// (`sqlservr -m`, `net start MSSQL… /m`): single-user mode lets any local administrator in as sysadmin. MEDIUM.
    /// Grouped per host.
    public static let sqlSingleUserMode = BehaviourRule(
        id: "behaviour.persistence.sql-single-user-mode",
        title: "SQL Server started in single-user mode",
        category: .persistence,
        severity: .medium,
        techniques: ["T1505.001", "T1078"],
        tactic: "persistence"
    )

    /// At least ``BehaviourEngine/NotableBursts`` (5) failed SQL Server logins (18456, or 33205 `LGIF` not succeeded) on
    /// one host within 10 minutes. MEDIUM: password guessing against the database. Grouped per host.
    public static let sqlLoginFailures = BehaviourRule(
        id: "behaviour.credential-access.sql-login-failures",
        title: "Burst of failed SQL Server logins",
        category: .credentialAccess,
        severity: .medium,
        techniques: ["T1110"],
        tactic: "credential-access"
    )

    /// The boot configuration at startup (4826) with kernel debugging, hypervisor debugging, test signing or integrity
    /// checks off (`%%1842`, yes). MEDIUM: it lets unsigned drivers and rootkits load; it belongs on developer machines
    /// only. Grouped per host.
    public static let bootDebugOrTestSigning = BehaviourRule(
        id: "behaviour.defence-evasion.boot-debug-or-test-signing",
        title: "Boot configuration allows kernel debugging or test-signed drivers",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1553.006", "T1562"],
        tactic: "defense-evasion"
    )

    /// System audit policy changed (4719) to remove success (`%%8448`) or failure (`%%8450`) auditing of a subcategory.
    /// HIGH: it switches off the logging investigators rely on, and is how attackers hide what follows. Grouped per
    /// host.
    public static let auditPolicyRemoved = BehaviourRule(
        id: "behaviour.defence-evasion.audit-policy-removed",
        title: "Audit policy success or failure auditing removed",
        category: .defenceEvasion,
        severity: .high,
        techniques: ["T1562.002"],
        tactic: "defense-evasion"
    )

    /// The Special Groups logon table changed (4908): the list of groups whose logons raise 4964. MEDIUM: shrinking it
    /// hides privileged logons. Grouped per host.
    public static let specialGroupsChanged = BehaviourRule(
        id: "behaviour.defence-evasion.special-groups-changed",
        title: "Special Groups logon table changed",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1562.002"],
        tactic: "defense-evasion"
    )

    /// The system time changed (4616) by a process other than the time service's `svchost.exe` and the hypervisor
    /// guest agents, and not by `LOCAL SERVICE`: a person changing the clock, which breaks log timelines and Kerberos.
    /// MEDIUM. Grouped per host.
    public static let timeChanged = BehaviourRule(
        id: "behaviour.defence-evasion.time-changed",
        title: "System time changed by a user process",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1070.006"],
        tactic: "defense-evasion"
    )

    /// The Event Log service entering the stopped state (System 7036 whose binary data names `EventLog/1`). HIGH:
    /// nothing is logged until it restarts; outside shutdowns it is stopped or crashed on purpose. Grouped per host.
    public static let eventLogServiceStopped = BehaviourRule(
        id: "behaviour.defence-evasion.event-log-service-stopped",
        title: "Windows Event Log service stopped",
        category: .defenceEvasion,
        severity: .high,
        techniques: ["T1562.002"],
        tactic: "defense-evasion"
    )

    /// A registry write (Sysmon 12/13) that switches a protection off: PowerShell's `ExecutionPolicy` set to
    /// `Unrestricted`/`Bypass`, `__PSLockdownPolicy` (Constrained Language Mode) changed or removed, a Defender
    /// `Disable…` value set to 1 or its service's `Start` set to 4, a Defender exclusion added, LSA `RunAsPPL` set to 0,
    /// or WDigest `UseLogonCredential` set to 1. MEDIUM: each is a deliberate weakening; some are done by admin
    /// scripts. Grouped per host.
    public static let defencesWeakenedInRegistry = BehaviourRule(
        id: "behaviour.defence-evasion.defences-weakened-in-registry",
        title: "Security setting weakened in the registry",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1562.001", "T1112"],
        tactic: "defense-evasion"
    )

    /// A network share added or changed (5142, 5143, or Sysmon 12/13 under `LanmanServer\Shares`), or a named pipe
    /// opened to anonymous users (`LanmanServer\Parameters\NullSessionPipes`). MEDIUM: attackers stage data and tools
    /// through new shares and use null-session pipes for unauthenticated access. Grouped per host.
    public static let shareConfigurationChanged = BehaviourRule(
        id: "behaviour.lateral-movement.share-configuration-changed",
        title: "Network share or null-session pipe added",
        category: .lateralMovement,
        severity: .medium,
        techniques: ["T1021.002", "T1135"],
        tactic: "lateral-movement"
    )

    /// The Terminal Services `Shadow` policy value written (Sysmon 12/13): lets a user watch or control another's
    /// session without consent when set to 2 or 4. MEDIUM. Grouped per host.
    public static let rdpShadowEnabled = BehaviourRule(
        id: "behaviour.collection.rdp-shadow-enabled",
        title: "RDP session shadowing enabled in the registry",
        category: .collection,
        severity: .medium,
        techniques: ["T1125", "T1021.001"],
        tactic: "collection"
    )

    /// A per-user class handler written (Sysmon 12/13) that auto-elevating programs read: `ms-settings`, `mscfile`,
    /// `exefile`, `Folder` or `Launcher.SystemSettings` `\shell\open\command` under `HKCU\Software\Classes`
    /// (fodhelper, eventvwr, sdclt, changepk). HIGH: no software sets these; UAC bypass tools do. Grouped per host.
    public static let uacBypassRegistry = BehaviourRule(
        id: "behaviour.privilege-escalation.uac-bypass-registry",
        title: "UAC bypass: auto-elevating handler hijacked in HKCU",
        category: .privilegeEscalation,
        severity: .high,
        techniques: ["T1548.002"],
        tactic: "privilege-escalation"
    )

    /// A registry write (Sysmon 12/13) that makes Windows start another program: Image File Execution Options
    /// `Debugger`/`GlobalFlag`, `SilentProcessExit` monitors, the update orchestrator's `UScheduler` command lines,
    /// Winlogon `Notify`/`GinaDLL`, or a registry symbolic link (`SymbolicLinkValue`, used by registry redirection
    /// exploits). MEDIUM. Grouped per host.
    public static let executionHijackRegistry = BehaviourRule(
        id: "behaviour.persistence.execution-hijack-registry",
        title: "Program launch hijacked through the registry",
        category: .persistence,
        severity: .medium,
        techniques: ["T1546.012", "T1574"],
        tactic: "persistence"
    )

    /// The Windows Firewall switched off (2003 `SettingType` 1 with value 0) or a rule added or changed (2004, 2005) that
    /// allows inbound traffic on any protocol from any address for any program. MEDIUM. Grouped per host.
    public static let firewallOpened = BehaviourRule(
        id: "behaviour.defence-evasion.firewall-opened",
        title: "Firewall disabled or opened to any inbound traffic",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1562.004"],
        tactic: "defense-evasion"
    )

    /// The OCSP responder's security settings updated (5124): who may manage or request revocation status. MEDIUM:
    /// rare outside PKI maintenance, and a step in abusing certificate services. Grouped per host.
    public static let certificateServicesSettingsChanged = BehaviourRule(
        id: "behaviour.defence-evasion.certificate-services-settings-changed",
        title: "OCSP responder security settings changed",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1553.004", "T1562"],
        tactic: "defense-evasion"
    )

    /// The Credential Manager's saved credentials backed up (5376): the whole vault exported to a file. MEDIUM: users
    /// rarely do it; credential theft tools do. Grouped per host.
    public static let credentialManagerBackup = BehaviourRule(
        id: "behaviour.credential-access.credential-manager-backup",
        title: "Credential Manager credentials backed up",
        category: .credentialAccess,
        severity: .medium,
        techniques: ["T1555.004"],
        tactic: "credential-access"
    )

    /// Silent process exit monitoring reporting LSASS (Application 3001 from `ProcessExitMonitor` with `lsass.exe`), or a
    /// `SilentProcessExit\lsass.exe` registry key written: Windows Error Reporting made to dump LSASS's memory. HIGH.
    /// Grouped per host.
    public static let lsassSilentExitMonitor = BehaviourRule(
        id: "behaviour.credential-access.lsass-silent-exit-monitor",
        title: "LSASS dumped through silent process exit monitoring",
        category: .credentialAccess,
        severity: .high,
        techniques: ["T1003.001"],
        tactic: "credential-access"
    )

    /// At least 5 failed OpenSSH for Windows authentications (OpenSSH/Operational 4, sshd's `Failed password`,
    /// `Invalid user` or `authenticating user … [preauth]` records) on one host within 10 minutes. MEDIUM: password
    /// guessing. Grouped per host.
    public static let sshLoginFailures = BehaviourRule(
        id: "behaviour.credential-access.ssh-login-failures",
        title: "Burst of failed OpenSSH logins on Windows",
        category: .credentialAccess,
        severity: .medium,
        techniques: ["T1110"],
        tactic: "credential-access"
    )

    /// At least 10 RDP transport connections (RdpCoreTS 131) from one client address to one host within 10 minutes:
    /// password guessing or scanning, since each logon attempt is a new connection. MEDIUM. Grouped per host.
    public static let rdpConnectionBurst = BehaviourRule(
        id: "behaviour.credential-access.rdp-connection-burst",
        title: "Burst of RDP connections from one address",
        category: .credentialAccess,
        severity: .medium,
        techniques: ["T1110", "T1021.001"],
        tactic: "credential-access"
    )

    /// At least 10 failed logons (4625) with no source address (local or console logons, which the per-address brute
    /// force scan cannot see) on one host within 10 minutes. MEDIUM. Grouped per host.
    public static let localLogonFailures = BehaviourRule(
        id: "behaviour.credential-access.local-logon-failures",
        title: "Burst of failed logons with no source address",
        category: .credentialAccess,
        severity: .medium,
        techniques: ["T1110.001"],
        tactic: "credential-access"
    )

    /// A token privilege adjusted on (4703) to `SeDebugPrivilege`, `SeTcbPrivilege`, `SeLoadDriverPrivilege` or
    /// `SeImpersonatePrivilege` by a program outside `\Windows\` and `\Program Files`. MEDIUM: it is the first step
    /// of credential dumpers and token thieves. Grouped per host.
    public static let sensitivePrivilegeEnabled = BehaviourRule(
        id: "behaviour.privilege-escalation.sensitive-privilege-enabled",
        title: "Debug, TCB or driver privilege enabled by a non-system program",
        category: .privilegeEscalation,
        severity: .medium,
        techniques: ["T1134"],
        tactic: "privilege-escalation"
    )

    /// A system security access (logon right) granted to an account (4717). MEDIUM: rights such as remote interactive
    /// or service logon change who can reach the host; they are granted by policy, rarely by hand. Grouped per host.
    public static let systemAccessGranted = BehaviourRule(
        id: "behaviour.privilege-escalation.system-access-granted",
        title: "Logon right granted to an account",
        category: .privilegeEscalation,
        severity: .medium,
        techniques: ["T1134", "T1098"],
        tactic: "privilege-escalation"
    )

    /// A named pipe of the Service Control Manager (`svcctl`) or the Task Scheduler (`atsvc`) opened through `IPC$`
    /// from a remote address (5145): creating services or tasks on this host from another one (PsExec, smbexec,
    /// atexec). MEDIUM: management tools do it too. Grouped per host.
    public static let remoteServicePipe = BehaviourRule(
        id: "behaviour.lateral-movement.remote-service-pipe",
        title: "Service Control or Task Scheduler pipe opened from another host",
        category: .lateralMovement,
        severity: .medium,
        techniques: ["T1021.002", "T1569.002", "T1053.002"],
        tactic: "lateral-movement"
    )

    /// An administrative share (`ADMIN$` or a drive's `C$`) opened from a remote, non-loopback address by an account
    /// that is not a machine account (5140), or written to over the network (5145 with write access). MEDIUM:
    /// administrators use them, and so does every PsExec-style tool. Grouped per host.
    public static let adminShareAccess = BehaviourRule(
        id: "behaviour.lateral-movement.admin-share-access",
        title: "Administrative share accessed from another host",
        category: .lateralMovement,
        severity: .medium,
        techniques: ["T1021.002"],
        tactic: "lateral-movement"
    )

    /// Successful RDP network authentications (TerminalServices-RemoteConnectionManager 1149) from one source address
    /// on at least 3 hosts within an hour. HIGH: one machine hopping by RDP across servers is lateral movement.
    /// Grouped per source address.
    public static let rdpLogonFanOut = BehaviourRule(
        id: "behaviour.lateral-movement.rdp-logon-fan-out",
        title: "RDP authentications from one address on several hosts",
        category: .lateralMovement,
        severity: .high,
        techniques: ["T1021.001", "T1078"],
        tactic: "lateral-movement"
    )

    /// A WinRM shell created on this host (WinRM/Operational 91) or a WinRM client authenticated (169): PowerShell
    /// remoting or WinRS into the host. MEDIUM: used by administrators and management tools. Grouped per host.
    public static let winRMSession = BehaviourRule(
        id: "behaviour.lateral-movement.winrm-session",
        title: "Remote shell opened over WinRM",
        category: .lateralMovement,
        severity: .medium,
        techniques: ["T1021.006"],
        tactic: "lateral-movement"
    )

    /// A DCOM launch or activation from a remote address denied (System 10016 naming an IP address), or Explorer or MMC
    /// accepting an inbound network connection (Sysmon 3, not initiated): `MMC20.Application`, `ShellWindows` and
    /// `ShellBrowserWindow` lateral movement. MEDIUM. Grouped per host.
    public static let dcomRemoteLaunch = BehaviourRule(
        id: "behaviour.lateral-movement.dcom-remote-launch",
        title: "DCOM object launched from another host",
        category: .lateralMovement,
        severity: .medium,
        techniques: ["T1021.003"],
        tactic: "lateral-movement"
    )

    /// The RDP ActiveX client (`mstscax.dll`) loaded (Sysmon 7) by a program other than `mstsc.exe`, Remote Desktop
    /// Connection Manager or Remote Desktop: SharpRDP drives it to run commands on another host. MEDIUM. Grouped per
    /// host.
    public static let rdpLibraryLoaded = BehaviourRule(
        id: "behaviour.lateral-movement.rdp-library-loaded",
        title: "RDP client library loaded by another program",
        category: .lateralMovement,
        severity: .medium,
        techniques: ["T1021.001"],
        tactic: "lateral-movement"
    )

    /// A network logon (4624, type 3) as `ANONYMOUS LOGON` with NTLM from a remote, non-loopback address: null-session
    /// enumeration of users, shares and policies. MEDIUM. Grouped per host.
    public static let anonymousNetworkLogon = BehaviourRule(
        id: "behaviour.discovery.anonymous-network-logon",
        title: "Anonymous NTLM network logon from another host",
        category: .discovery,
        severity: .medium,
        techniques: ["T1087", "T1135"],
        tactic: "discovery"
    )

    /// `services.exe` or `svchost.exe` starting `cmd.exe` or PowerShell (Sysmon 1, 4688): a service running a shell,
    /// as service-based backdoors and reverse shells do. MEDIUM: some scheduled tasks start shells from `svchost.exe`.
    /// Grouped per host.
    public static let serviceHostSpawnedShell = BehaviourRule(
        id: "behaviour.execution.service-host-spawned-shell",
        title: "Service host started a command shell",
        category: .execution,
        severity: .medium,
        techniques: ["T1543.003", "T1059"],
        tactic: "execution"
    )

    /// A browser or Office program (Internet Explorer, Edge, Chrome, Firefox, Word, Excel, PowerPoint, Outlook, Acrobat)
    /// starting a shell or script host (Sysmon 1, 4688). HIGH: an exploited document or page; they do not run shells
    /// in normal use. Grouped per host.
    public static let documentOrBrowserSpawnedShell = BehaviourRule(
        id: "behaviour.execution.document-or-browser-spawned-shell",
        title: "Browser or Office application started a shell",
        category: .execution,
        severity: .high,
        techniques: ["T1203", "T1189", "T1204.002"],
        tactic: "execution"
    )

    /// A process (Sysmon 1) whose PE `OriginalFileName` is a Windows shell, script host or LOLBin (`cmd.exe`,
    /// `PowerShell.EXE`, `REGSVR32.EXE`, `RUNDLL32.EXE`, `MSHTA.EXE`, `certutil.exe`…) but whose image has another
    /// name: a copy renamed to dodge rules keyed on names. MEDIUM. Grouped per host.
    public static let renamedSystemBinary = BehaviourRule(
        id: "behaviour.defence-evasion.renamed-system-binary",
        title: "Renamed Windows binary executed",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1036.003"],
        tactic: "defense-evasion"
    )

    /// A BITS transfer (Bits-Client 59, 60) from an `http(s)` URL outside Microsoft's update and content domains or
    /// from a local `.exe` (bitsadmin copying a binary to run), or a
    /// BITS job created (3) by `bitsadmin.exe`, PowerShell or a LOLBin (`desktopimgdownldr.exe`). MEDIUM: BITS is a
    /// quiet downloader and persistence channel. Grouped per host.
    public static let bitsRemoteDownload = BehaviourRule(
        id: "behaviour.persistence.bits-remote-download",
        title: "BITS job transferring from a non-Microsoft URL",
        category: .persistence,
        severity: .medium,
        techniques: ["T1197"],
        tactic: "persistence"
    )

    /// A service that timed out connecting to the Service Control Manager (System 7009): the binary is not a real
    /// service, as when Metasploit, PsExec clones or smbexec run a payload as a service. MEDIUM: broken services time
    /// out too. Grouped per host.
    public static let serviceStartTimeout = BehaviourRule(
        id: "behaviour.execution.service-start-timeout",
        title: "Service did not start in time",
        category: .execution,
        severity: .medium,
        techniques: ["T1569.002"],
        tactic: "execution"
    )

    /// A thread created in another process (Sysmon 8) by a program outside `\Windows\` and `\Program Files` or by a
    /// shell, script host or LOLBin (PowerShell, `rundll32`, `regsvr32`, `mshta`…). HIGH: process injection
    /// (Meterpreter `migrate`, Cobalt Strike); debuggers and security tools, which do it too, live in `Program Files`.
    /// Grouped per host.
    public static let remoteThreadInjection = BehaviourRule(
        id: "behaviour.defence-evasion.remote-thread-injection",
        title: "Thread created in another process by an unusual program",
        category: .defenceEvasion,
        severity: .high,
        techniques: ["T1055"],
        tactic: "defense-evasion"
    )

    /// A process opened (Sysmon 10) with rights to write memory or create threads (`0x20`, `0x2`) by a shell, script
    /// host or LOLBin, or by a program in a user-writable folder, when the target is another program: hollowing,
    /// injection and parent-process spoofing. LSASS targets are ``lsassAccess``. MEDIUM. Grouped per host.
    public static let processTamperingAccess = BehaviourRule(
        id: "behaviour.defence-evasion.process-tampering-access",
        title: "Process opened for injection by a script host or user-folder program",
        category: .defenceEvasion,
        severity: .medium,
        techniques: ["T1055", "T1134.004"],
        tactic: "defense-evasion"
    )

    /// The WinINet proxy configuration changed (WinINet-Config/ProxyConfigChanged 5600): traffic can be routed through
    /// an attacker's proxy. MEDIUM. Grouped per host.
    public static let proxyChanged = BehaviourRule(
        id: "behaviour.command-and-control.proxy-changed",
        title: "Proxy configuration changed",
        category: .commandAndControl,
        severity: .medium,
        techniques: ["T1090"],
        tactic: "command-and-control"
    )

    /// BitLocker encryption started on a volume (BitLocker Management 768). MEDIUM: ransomware (LockBit, BitPaymer's
    /// kin) encrypts with BitLocker; enterprises also roll it out, which a change record shows. Grouped per host.
    public static let bitLockerEncryptionStarted = BehaviourRule(
        id: "behaviour.impact.bitlocker-encryption-started",
        title: "BitLocker encryption started on a volume",
        category: .impact,
        severity: .medium,
        techniques: ["T1486"],
        tactic: "impact"
    )

    /// The Winsock catalog changed (Winsock-WS2HELP/Operational 1): a layered service provider installed, which loads
    /// into every program that uses the network. MEDIUM. Grouped per host.
    public static let winsockCatalogChanged = BehaviourRule(
        id: "behaviour.persistence.winsock-catalog-changed",
        title: "Winsock catalog changed",
        category: .persistence,
        severity: .medium,
        techniques: ["T1547"],
        tactic: "persistence"
    )

    /// A local user's groups or a local group's members read (4798, 4799) by `net.exe`, `net1.exe`, PowerShell, `cmd.exe`
    /// or `wmic.exe`, or by a program outside `\Windows\` and `\Program Files`. MEDIUM: reconnaissance of who is an
    /// administrator; the system's own readers (`svchost`, `mmc`, `explorer`, `lsass`) are left out. Grouped per host.
    public static let localGroupEnumeration = BehaviourRule(
        id: "behaviour.discovery.local-group-enumeration",
        title: "Local accounts or groups enumerated by a command-line tool",
        category: .discovery,
        severity: .medium,
        techniques: ["T1069.001", "T1087.001"],
        tactic: "discovery"
    )

    /// PowerShell (script block 4104, pipeline 4103/800, or a process command line) using cmdlets or types that only
    /// attack tooling or reconnaissance needs: PowerView/PowerSploit (`Get-DomainGroup`, `Get-NetSession`,
    /// `Invoke-UserHunter`…), AD enumeration (`Get-ADForest`, `[DirectoryServices.ActiveDirectory.Forest]`, SPN
    /// queries), WMI event subscriptions (`Register-WmiEvent`, `__EventFilter`), DCOM execution (`MMC20.Application`,
    /// `ShellWindows`), named-pipe shells, print spooler ports, or Defender switched off (`Set-MpPreference -Disable…`,
    /// `Add-MpPreference -Exclusion…`, default actions set to allow). MEDIUM: each needs a look at who ran it.
    /// Grouped per host.
    public static let offensivePowerShell = BehaviourRule(
        id: "behaviour.execution.offensive-powershell",
        title: "Offensive PowerShell tooling",
        category: .execution,
        severity: .medium,
        techniques: ["T1059.001", "T1087.002", "T1069.002", "T1482", "T1546.003", "T1021.003", "T1562.001"],
        tactic: "execution"
    )
}
