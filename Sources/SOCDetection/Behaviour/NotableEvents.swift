import SOCModel

/// A notable-event rule that needs several events: at least ``atLeast`` distinct values (events, or hosts for a fan-out)
/// in one group within ``window`` microseconds.
struct NotableBurst: Sendable {
    let rule: BehaviourRule
    let atLeast: Int
    let window: Int64

    static let minute: Int64 = 60 * 1_000_000

    /// Every burst rule, by rule id.
    static let all: [String: NotableBurst] = Dictionary(
        uniqueKeysWithValues: [
            NotableBurst(rule: .sqlLoginFailures, atLeast: 5, window: 10 * minute),
            NotableBurst(rule: .sshLoginFailures, atLeast: 5, window: 10 * minute),
            NotableBurst(rule: .rdpConnectionBurst, atLeast: 10, window: 10 * minute),
            NotableBurst(rule: .localLogonFailures, atLeast: 10, window: 10 * minute),
            NotableBurst(rule: .rdpLogonFanOut, atLeast: 3, window: 60 * minute),
        ].map { ($0.rule.id, $0) }
    )
}

extension BehaviourEngine {
    /// The notable-event rules (``BehaviourRule/notable``) for one event.
    mutating func observeNotable(_ view: BehaviourEvent) {
        let channel = view.string(ECSField.winlogChannel)?.lowercased() ?? ""
        guard let code = view.code, !channel.isEmpty else { return }
        switch channel {
        case "security": observeSecurity(view, code: code)
        case "microsoft-windows-sysmon/operational": observeSysmon(view, code: code)
        case "application": observeApplication(view, code: code)
        case "system": observeSystem(view, code: code)
        case "microsoft-windows-powershell/operational", "windows powershell":
            if ["4103", "4104", "800"].contains(code) {
                let text = ["ScriptBlockText", "Payload", "Data"].compactMap { view.data($0) }.joined(separator: " ")
                observePowerShellText(view, text)
            }
        case "microsoft-windows-terminalservices-remoteconnectionmanager/operational":
            if code == "1149", let source = view.data("Param3"), IPAddress(source) != nil, let host = view.host {
                burst(.rdpLogonFanOut, source, view, value: host.lowercased(), fields: [view.dataField("Param1")])
            }
        case "microsoft-windows-remotedesktopservices-rdpcorets/operational":
            if code == "131", let client = view.data("ClientIP"), let host = view.host {
                let address = NotableMatch.addressWithoutPort(client)
                burst(.rdpConnectionBurst, host + "\u{1F}" + address, view, fields: [view.dataField("ClientIP")])
            }
        case "microsoft-windows-winrm/operational":
            if code == "91" || code == "169" { record(.winRMSession, view, fields: [view.dataField("username")]) }
        case "openssh/operational":
            if code == "4", NotableMatch.isSSHFailure(view.data("payload")), let host = view.host {
                burst(.sshLoginFailures, host, view, fields: [view.dataField("payload")])
            }
        case "microsoft-windows-bits-client/operational":
            if code == "59" || code == "60", NotableMatch.isRemoteBITSURL(view.data("url")) {
                record(.bitsRemoteDownload, view, fields: [view.dataField("url"), view.dataField("name")])
            } else if code == "3", NotableMatch.bitsCreators.contains(BehaviourMatch.baseName(view.data("processPath")))
            {
                record(.bitsRemoteDownload, view, fields: [view.dataField("processPath"), view.dataField("jobTitle")])
            }
        case "microsoft-windows-wininet-config/proxyconfigchanged":
            if code == "5600" { record(.proxyChanged, view, fields: [ECSField.userName]) }
        case "microsoft-windows-bitlocker/bitlocker management":
            if code == "768" { record(.bitLockerEncryptionStarted, view, fields: [view.dataField("VolumeName")]) }
        case "microsoft-windows-winsock-ws2help/operational":
            if code == "1" { record(.winsockCatalogChanged, view, fields: [ECSField.userName]) }
        case "microsoft-windows-windows firewall with advanced security/firewall":
            if NotableMatch.opensFirewall(view, code: code) {
                record(.firewallOpened, view, fields: [view.dataField("RuleName"), view.dataField("SettingType")])
            }
        default:
            break
        }
    }

    // MARK: - Security

    private mutating func observeSecurity(_ view: BehaviourEvent, code: String) {
        let subject = view.data("SubjectUserName") ?? ""
        let byMachine = subject.hasSuffix("$")
        switch code {
        case "4738", "4742":
            let fields = [view.dataField("TargetUserName"), view.dataField("NewUacValue"), ECSField.userName]
            let added = NotableMatch.addedFlags(old: view.data("OldUacValue"), new: view.data("NewUacValue"))
            if added & 0x1_0204 != 0 { record(.accountProtectionWeakened, view, fields: fields) }
            if added & 0x10_2000 != 0 || NotableMatch.isSet(view.data("AllowedToDelegateTo")) {
                record(.delegationGranted, view, fields: fields + [view.dataField("AllowedToDelegateTo")])
            }
            if code == "4742", !byMachine, NotableMatch.isSet(view.data("ServicePrincipalNames")) {
                record(.spnSetByUser, view, fields: [view.dataField("TargetUserName"), ECSField.userName])
            }
        case "5136":
            let attribute = view.data("AttributeLDAPDisplayName")?.lowercased() ?? ""
            let fields = [view.dataField("ObjectDN"), view.dataField("AttributeLDAPDisplayName"), ECSField.userName]
            if attribute == "msds-allowedtodelegateto" || attribute == "msds-allowedtoactonbehalfofotheridentity" {
                record(.delegationGranted, view, fields: fields)
            }
            if attribute == "serviceprincipalname", !byMachine { record(.spnSetByUser, view, fields: fields) }
            if NotableMatch.isSensitiveDirectoryChange(
                dn: view.data("ObjectDN"),
                objectClass: view.data("ObjectClass"),
                attribute: attribute
            ) {
                record(.sensitiveDirectoryObjectChanged, view, fields: fields)
            }
        case "4781":
            let old = view.data("OldTargetUserName")?.lowercased() ?? ""
            let new = view.data("NewTargetUserName")?.lowercased() ?? ""
            if new.contains("admin"), !old.contains("admin") {
                record(
                    .adminLikeRename,
                    view,
                    fields: [view.dataField("OldTargetUserName"), view.dataField("NewTargetUserName")]
                )
            }
        case "4722":
            if view.data("TargetSid")?.hasSuffix("-501") == true {
                record(.guestEnabled, view, fields: [view.dataField("TargetUserName"), ECSField.userName])
            }
        case "4741":
            if !byMachine, !subject.isEmpty, subject != "-" {
                record(.computerAccountByUser, view, fields: [view.dataField("TargetUserName"), ECSField.userName])
            }
        case "4673":
            if !byMachine, view.data("PrivilegeList")?.contains("SeMachineAccountPrivilege") == true {
                record(.computerAccountByUser, view, fields: [view.dataField("PrivilegeList"), ECSField.userName])
            }
        case "4728", "4732", "4756":
            if let member = view.data("MemberSid"), member.count > 8, member == view.data("SubjectUserSid") {
                record(
                    .selfAddedToGroup,
                    view,
                    fields: [view.dataField("TargetUserName"), view.dataField("MemberName")]
                )
            }
        case "4826":
            let switches = ["KernelDebug", "HypervisorDebug", "TestSigning", "DisableIntegrityChecks"]
            if switches.contains(where: { view.data($0) == "%%1842" }) {
                record(.bootDebugOrTestSigning, view, fields: switches.map(view.dataField))
            }
        case "4719":
            let changes = view.data("AuditPolicyChanges") ?? ""
            if changes.contains("%%8448") || changes.contains("%%8450") {
                record(
                    .auditPolicyRemoved,
                    view,
                    fields: [
                        view.dataField("SubcategoryGuid"), view.dataField("AuditPolicyChanges"), ECSField.userName,
                    ]
                )
            }
        case "4908":
            record(.specialGroupsChanged, view, fields: [view.dataField("SidList")])
        case "4616":
            let process = BehaviourMatch.baseName(view.data("ProcessName"))
            let account = subject.uppercased()
            if !NotableMatch.timeServices.contains(process), account != "LOCAL SERVICE", account != "SYSTEM",
                !byMachine, !process.isEmpty
            {
                record(.timeChanged, view, fields: [view.dataField("ProcessName"), ECSField.userName])
            }
        case "5124":
            record(.certificateServicesSettingsChanged, view, fields: [ECSField.userName])
        case "5376":
            record(.credentialManagerBackup, view, fields: [ECSField.userName])
        case "4703":
            let enabled = view.data("EnabledPrivilegeList") ?? ""
            let process = view.data("ProcessName") ?? ""
            if NotableMatch.sensitivePrivileges.contains(where: enabled.contains), !process.isEmpty, process != "-",
                !BehaviourMatch.isSystemPath(process)
            {
                record(
                    .sensitivePrivilegeEnabled,
                    view,
                    fields: [view.dataField("EnabledPrivilegeList"), view.dataField("ProcessName")]
                )
            }
        case "4717":
            record(.systemAccessGranted, view, fields: [view.dataField("AccessGranted"), ECSField.userName])
        case "5145":
            let share = view.data("ShareName")?.uppercased() ?? ""
            let target = BehaviourMatch.baseName(view.data("RelativeTargetName"))
            guard NotableMatch.isRemote(view.sourceIP) else { break }
            let fields = [view.dataField("ShareName"), view.dataField("RelativeTargetName"), ECSField.userName]
            if share.hasSuffix("IPC$"), target == "svcctl" || target == "atsvc" {
                record(.remoteServicePipe, view, fields: fields)
            }
            if NotableMatch.isAdminShare(share), !byMachine,
                (BehaviourMatch.parseHex(view.data("AccessMask")) ?? 0) & 0x6 != 0
            {
                record(.adminShareAccess, view, fields: fields)
            }
        case "5140":
            if NotableMatch.isAdminShare(view.data("ShareName")?.uppercased() ?? ""), !byMachine,
                NotableMatch.isRemote(view.sourceIP)
            {
                record(.adminShareAccess, view, fields: [view.dataField("ShareName"), ECSField.userName])
            }
        case "5142", "5143":
            record(.shareConfigurationChanged, view, fields: [view.dataField("ShareName"), ECSField.userName])
        case "4624":
            if view.data("TargetUserName")?.uppercased() == "ANONYMOUS LOGON", view.data("LogonType") == "3",
                view.data("AuthenticationPackageName")?.uppercased() == "NTLM", NotableMatch.isRemote(view.sourceIP)
            {
                record(.anonymousNetworkLogon, view, fields: [ECSField.sourceIP, view.dataField("LmPackageName")])
            }
        case "4625":
            if view.sourceIP.map(NotableMatch.isRemote) != true, let host = view.host {
                burst(.localLogonFailures, host, view, fields: [view.dataField("TargetUserName")])
            }
        case "4798", "4799":
            let caller = view.data("CallerProcessName") ?? ""
            let name = BehaviourMatch.baseName(caller)
            if NotableMatch.enumerationTools.contains(name)
                || (!caller.isEmpty && caller != "-" && !BehaviourMatch.isSystemPath(caller))
            {
                record(
                    .localGroupEnumeration,
                    view,
                    fields: [view.dataField("TargetUserName"), view.dataField("CallerProcessName")]
                )
            }
        case "4688":
            observeNotableProcess(view)
        default:
            break
        }
    }

    // MARK: - Sysmon

    private mutating func observeSysmon(_ view: BehaviourEvent, code: String) {
        switch code {
        case "1":
            observeNotableProcess(view)
        case "3":
            let image = BehaviourMatch.baseName(view.image)
            if view.data("Initiated")?.lowercased() == "false", NotableMatch.dcomHosts.contains(image),
                NotableMatch.isRemote(view.sourceIP)
            {
                record(.dcomRemoteLaunch, view, fields: [ECSField.processExecutable, ECSField.sourceIP])
            }
        case "7":
            let loaded = BehaviourMatch.baseName(view.data("ImageLoaded"))
            if loaded == "mstscax.dll", !NotableMatch.rdpClients.contains(BehaviourMatch.baseName(view.image)) {
                record(.rdpLibraryLoaded, view, fields: [ECSField.processExecutable, view.dataField("ImageLoaded")])
            }
        case "8":
            let source = view.data("SourceImage") ?? ""
            let target = view.data("TargetImage") ?? ""
            if !source.isEmpty, source.lowercased() != target.lowercased(), NotableMatch.isInjector(source) {
                record(
                    .remoteThreadInjection,
                    view,
                    fields: [view.dataField("SourceImage"), view.dataField("TargetImage")]
                )
            }
        case "10":
            let source = view.data("SourceImage") ?? ""
            let target = view.data("TargetImage") ?? ""
            let mask = BehaviourMatch.parseHex(view.data("GrantedAccess")) ?? 0
            if !source.isEmpty, source.lowercased() != target.lowercased(), mask & 0x22 == 0x22,
                BehaviourMatch.baseName(target) != "lsass.exe", NotableMatch.isInjector(source)
            {
                record(
                    .processTamperingAccess,
                    view,
                    fields: [
                        view.dataField("SourceImage"), view.dataField("TargetImage"), view.dataField("GrantedAccess"),
                    ]
                )
            }
        case "12", "13", "14":
            observeNotableRegistry(view)
        default:
            break
        }
    }

    private mutating func observeNotableRegistry(_ view: BehaviourEvent) {
        guard let path = view.data("TargetObject") ?? view.string(ECSField.registryPath) else { return }
        let lowered = path.lowercased()
        let details = view.data("Details")?.lowercased() ?? ""
        let image = view.image ?? ""
        let type = view.data("EventType")?.lowercased() ?? ""
        let fields = [view.dataField("TargetObject"), view.dataField("Details"), ECSField.processExecutable]
        if NotableMatch.weakensDefences(lowered, details: details, deleted: type.hasPrefix("delete")) {
            record(.defencesWeakenedInRegistry, view, fields: fields)
        }
        if lowered.containsBytes(of: "\\services\\lanmanserver\\shares\\")
            || lowered.hasSuffix("\\services\\lanmanserver\\parameters\\nullsessionpipes")
        {
            record(.shareConfigurationChanged, view, fields: fields)
        }
        if lowered.containsBytes(of: "\\terminal services") && lowered.hasSuffix("\\shadow") {
            record(.rdpShadowEnabled, view, fields: fields)
        }
        if NotableMatch.isUACBypassKey(lowered) { record(.uacBypassRegistry, view, fields: fields) }
        if lowered.containsBytes(of: "\\silentprocessexit\\lsass.exe") {
            record(.lsassSilentExitMonitor, view, fields: fields)
        }
        if lowered.containsBytes(of: "\\sam\\domains\\account\\users\\names\\"), !type.hasPrefix("delete") {
            record(.newAccount, view, fields: fields)  // the SAM's own record of a new local account
        }
        if NotableMatch.hijacksExecution(lowered, image: image) {
            record(.executionHijackRegistry, view, fields: fields)
        }
        if lowered.hasSuffix("\\imagepath"), lowered.containsBytes(of: "\\services\\"),
            BehaviourMatch.isShellService(details) || details.contains("%%comspec%%")
        {
            record(.serviceRunningShell, view, fields: fields)
        }
    }

    // MARK: - Processes and PowerShell

    private mutating func observeNotableProcess(_ view: BehaviourEvent) {
        let image = BehaviourMatch.baseName(view.image)
        let parent = BehaviourMatch.baseName(view.parentImage)
        let fields = [ECSField.processParentExecutable, ECSField.processCommandLine, ECSField.userName]
        if parent == "services.exe" || parent == "svchost.exe", NotableMatch.serviceShells.contains(image) {
            record(.serviceHostSpawnedShell, view, fields: fields)
        }
        if NotableMatch.documentHosts.contains(parent), BehaviourMatch.shells.contains(image) {
            record(.documentOrBrowserSpawnedShell, view, fields: fields)
        }
        if let original = view.data("OriginalFileName")?.lowercased(), NotableMatch.systemBinaries.contains(original),
            !image.isEmpty, image != original, !original.hasPrefix(image + ".")
        {
            record(
                .renamedSystemBinary,
                view,
                fields: [ECSField.processExecutable, view.dataField("OriginalFileName"), ECSField.processCommandLine]
            )
        }
        let command = (view.commandLine ?? "").lowercased()
        if NotableMatch.startsSQLSingleUser(command, image: image) { record(.sqlSingleUserMode, view, fields: fields) }
        if !command.isEmpty { observePowerShellText(view, command) }
    }

    private mutating func observePowerShellText(_ view: BehaviourEvent, _ text: String) {
        guard NotableMatch.isOffensivePowerShell(text.lowercased()) else { return }
        record(
            .offensivePowerShell,
            view,
            fields: [
                view.dataField("ScriptBlockText"), view.dataField("Payload"), ECSField.processCommandLine,
                ECSField.userName,
            ]
        )
    }

    // MARK: - Application and System

    private mutating func observeApplication(_ view: BehaviourEvent, code: String) {
        let provider = view.string(ECSField.winlogProviderName) ?? ""
        switch code {
        case "3001":
            if provider.lowercased().contains("processexitmonitor"),
                BehaviourMatch.baseName(view.data("param1")) == "lsass.exe"
            {
                record(.lsassSilentExitMonitor, view, fields: [view.dataField("param1"), view.dataField("param2")])
            }
        case "33205":
            observeSQLAudit(view)
        case "18456":
            if NotableMatch.isSQLServer(provider), let host = view.host {
                burst(.sqlLoginFailures, host, view, fields: [view.dataField("Data")])
            }
        case "17115":
            if NotableMatch.isSQLServer(provider),
                (view.data("Data") ?? "").split(whereSeparator: { $0.isWhitespace }).contains("-m")
            {
                record(.sqlSingleUserMode, view, fields: [view.dataField("Data")])
            }
        default:
            break
        }
    }

    private mutating func observeSQLAudit(_ view: BehaviourEvent) {
        guard NotableMatch.isSQLServer(view.string(ECSField.winlogProviderName) ?? "") else { return }
        let audit = NotableMatch.sqlAuditRecord(view.data("Data") ?? "")
        let action = audit["action_id"] ?? ""
        let type = audit["class_type"] ?? ""
        let succeeded = audit["succeeded"] == "true"
        let statement = audit["statement"]?.lowercased() ?? ""
        let fields = [view.dataField("Data")]
        if action == "LGIF" || (action.hasPrefix("LGI") && !succeeded) {
            if let host = view.host { burst(.sqlLoginFailures, host, view, fields: fields) }
            return
        }
        guard succeeded else { return }
        if statement.contains("xp_cmdshell") { record(.sqlCommandShell, view, fields: fields) }
        if ["A", "SA", "DA"].contains(type), ["AL", "DR", "AUSC"].contains(action) {
            record(.sqlAuditChanged, view, fields: fields)
        }
        if action == "APRL" || action == "ADSP" || action == "LGEA"
            || (action == "CR" && ["SL", "SU", "US"].contains(type))
        {
            record(.sqlPrivilegeChange, view, fields: fields)
        }
    }

    private mutating func observeSystem(_ view: BehaviourEvent, code: String) {
        switch code {
        case "7036":
            if NotableMatch.serviceState(view.data("Binary"))?.lowercased() == "eventlog/1" {
                record(.eventLogServiceStopped, view, fields: [view.dataField("param1"), view.dataField("param2")])
            }
        case "7009":
            record(.serviceStartTimeout, view, fields: [view.dataField("param2"), view.dataField("param1")])
        case "10016":
            if let address = view.data("param9"), IPAddress(address) != nil, NotableMatch.isRemote(address) {
                record(.dcomRemoteLaunch, view, fields: [view.dataField("param4"), view.dataField("param9")])
            }
        default:
            break
        }
    }

    // MARK: - Bookkeeping

    /// Keeps one event of a burst rule (``NotableBurst``) for its group; `value` is what is counted distinct (the
    /// event itself by default).
    private mutating func burst(
        _ rule: BehaviourRule,
        _ group: String,
        _ view: BehaviourEvent,
        value: String? = nil,
        fields: [String]
    ) {
        keep(\.bursts, rule.id + "\u{1F}" + group, view.occurrence(value: value ?? view.event.id.hex, fields: fields))
    }
}

extension BehaviourEvent {
    /// A `winlog.event_data` field.
    func data(_ name: String) -> String? {
        guard let value = string(ECSField.eventData(name)), !value.isEmpty else { return nil }
        return value
    }

    func dataField(_ name: String) -> String { ECSField.eventData(name) }
}

/// The tests the notable-event rules apply to typed fields.
enum NotableMatch {
    /// Whether an address is another machine's: parses, and is not loopback.
    static func isRemote(_ text: String?) -> Bool {
        guard let text, let address = IPAddress(addressWithoutPort(text)) else { return false }
        return !BehaviourMatch.isLoopback(address) && address.description != "::ffff:127.0.0.1"
    }

    /// `10.0.2.16:52202` → `10.0.2.16`; IPv6 and bare addresses unchanged.
    static func addressWithoutPort(_ text: String) -> String {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {  // [10.0.2.16]:59407, [fe80::1]:3389
            return String(text[text.index(after: text.startIndex)..<close])
        }
        let parts = text.split(separator: ":")
        if parts.count == 2, let port = parts.last, port.allSatisfy(\.isNumber) { return String(parts[0]) }
        return text
    }

    /// The flag bits set in `new` that were not in `old` (hex SAM account-control values).
    static func addedFlags(old: String?, new: String?) -> UInt64 {
        guard let new = BehaviourMatch.parseHex(new) else { return 0 }
        return new & ~(BehaviourMatch.parseHex(old) ?? 0)
    }

    /// A field holding a value, not Windows' `-` placeholder.
    static func isSet(_ value: String?) -> Bool {
        guard let value = value?.filter({ !$0.isWhitespace }) else { return false }
        return !value.isEmpty && value != "-"
    }

    static func isSensitiveDirectoryChange(dn: String?, objectClass: String?, attribute: String) -> Bool {
        let dn = dn?.lowercased() ?? ""
        let objectClass = objectClass?.lowercased() ?? ""
        if dn.contains("cn=adminsdholder,cn=system") || dn.contains(",cn=extended-rights,") { return true }
        if objectClass == "grouppolicycontainer" { return true }
        return attribute == "ntsecuritydescriptor"
            && (objectClass == "domaindns" || objectClass == "organizationalunit")
    }

    static func isAdminShare(_ share: String) -> Bool {
        guard let name = share.split(separator: "\\").last else { return false }
        return name == "ADMIN$" || (name.count == 2 && name.hasSuffix("$") && name.first?.isLetter == true)
    }

    static let timeServices: Set<String> = [
        "svchost.exe", "vmtoolsd.exe", "vboxservice.exe", "w32tm.exe", "xenguestagent.exe", "lsass.exe",
    ]

    static let sensitivePrivileges = [
        "SeDebugPrivilege", "SeTcbPrivilege", "SeLoadDriverPrivilege", "SeImpersonatePrivilege",
    ]

    static let enumerationTools: Set<String> = [
        "net.exe", "net1.exe", "powershell.exe", "pwsh.exe", "cmd.exe", "wmic.exe",
    ]

    /// Programs whose inbound connections are DCOM activations.
    static let dcomHosts: Set<String> = ["explorer.exe", "mmc.exe"]

    static let rdpClients: Set<String> = ["mstsc.exe", "rdcman.exe", "msrdc.exe", "remotedesktopmanager.exe"]

    static let serviceShells: Set<String> = ["cmd.exe", "powershell.exe", "pwsh.exe"]

    static let documentHosts: Set<String> = [
        "iexplore.exe", "msedge.exe", "chrome.exe", "firefox.exe", "winword.exe", "excel.exe", "powerpnt.exe",
        "outlook.exe", "acrord32.exe", "acrobat.exe", "mspub.exe", "onenote.exe",
    ]

    /// The `OriginalFileName`s (lower case) of Windows programs attackers rename.
    static let systemBinaries: Set<String> = [
        "cmd.exe", "powershell.exe", "regsvr32.exe", "rundll32.exe", "mshta.exe", "certutil.exe",
        "wscript.exe", "cscript.exe", "msbuild.exe", "installutil.exe", "regasm.exe", "regsvcs.exe", "bitsadmin.exe",
        "wmic.exe", "schtasks.exe", "net.exe", "net1.exe", "cmstp.exe", "msiexec.exe",
    ]

    /// Shells, script hosts and LOLBins, which do not inject into other programs.
    static let lolbins: Set<String> = [
        "powershell.exe", "pwsh.exe", "cmd.exe", "rundll32.exe", "regsvr32.exe", "mshta.exe", "wscript.exe",
        "cscript.exe", "msbuild.exe", "installutil.exe", "regasm.exe", "regsvcs.exe",
    ]

    /// A program that injecting into another is suspicious from: a LOLBin, or one outside the system folders.
    static func isInjector(_ image: String) -> Bool {
        lolbins.contains(BehaviourMatch.baseName(image)) || !BehaviourMatch.isSystemPath(image)
    }

    static func isSSHFailure(_ payload: String?) -> Bool {
        guard let payload = payload?.lowercased() else { return false }
        return payload.hasPrefix("failed password for") || payload.hasPrefix("invalid user ")
            || (payload.hasPrefix("connection closed by authenticating user") && payload.hasSuffix("[preauth]"))
            || payload.hasPrefix("failed publickey for")
    }

    /// Programs creating BITS jobs by hand.
    static let bitsCreators: Set<String> = [
        "bitsadmin.exe", "powershell.exe", "pwsh.exe", "desktopimgdownldr.exe", "cmd.exe",
    ]

    /// Hosts BITS legitimately downloads from (Windows Update, Microsoft content delivery).
    static let microsoftDomains = [
        "microsoft.com", "windowsupdate.com", "windows.com", "msft.net", "office.com", "office.net", "live.com",
        "msn.com", "bing.com", "azureedge.net", "microsoftonline.com", "onedrive.com", "sharepoint.com",
        "delivery.mp.microsoft.com", "dl.delivery.mp.microsoft.com",
    ]

    static func isRemoteBITSURL(_ url: String?) -> Bool {
        guard let url = url?.lowercased() else { return false }
        // A local program as a job's source: bitsadmin used to copy and run a binary.
        if url.hasSuffix(".exe") && !url.contains("://") { return true }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return false }
        let rest = url.drop { $0 != "/" }.dropFirst(2)
        let host = String(rest.prefix { $0 != "/" && $0 != ":" && $0 != "?" })
        guard !host.isEmpty else { return false }
        if let address = IPAddress(host) { return !address.isPrivate && !BehaviourMatch.isLoopback(address) }
        return !microsoftDomains.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    static func opensFirewall(_ view: BehaviourEvent, code: String) -> Bool {
        switch code {
        case "2003":
            return view.data("SettingType") == "1" && view.data("SettingValue") == "00000000"
        case "2004", "2005":
            // Action 3 allow, Direction 1 inbound, Protocol 256 any, any remote address, no program or service.
            return view.data("Action") == "3" && view.data("Direction") == "1" && view.data("Protocol") == "256"
                && (view.data("RemoteAddresses") ?? "*") == "*" && view.data("ApplicationPath") == nil
                && view.data("ServiceName") == nil && (view.data("LocalPorts") ?? "*") == "*"
        default:
            return false
        }
    }

    static func isSQLServer(_ provider: String) -> Bool {
        let lowered = provider.lowercased()
        return lowered == "mssqlserver" || lowered.hasPrefix("mssql$")
    }

    /// A 33205 record's `name:value` lines (`action_id:LGIF`), values trimmed.
    static func sqlAuditRecord(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            guard fields[name] == nil else { continue }
            fields[name] = String(line[line.index(after: colon)...].filter { !$0.isWhitespace })
        }
        return fields
    }

    /// `sqlservr.exe -m…` or `net start MSSQL… /m`.
    static func startsSQLSingleUser(_ command: String, image: String) -> Bool {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if image == "sqlservr.exe" { return words.contains { $0 == "-m" || $0.hasPrefix("-m\"") } }
        if image == "net.exe" || image == "net1.exe" {
            return command.contains(" start ") && command.contains("mssql") && words.contains { $0 == "/m" }
        }
        return false
    }

    /// The service name and state a 7036's binary data holds (UTF-16LE `EventLog/1`), when it is that.
    static func serviceState(_ hex: String?) -> String? {
        guard let hex, hex.count % 4 == 0, hex.count <= 256 else { return nil }
        var units: [UInt16] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 4)
            guard let low = UInt16(hex[index..<hex.index(index, offsetBy: 2)], radix: 16),
                let high = UInt16(hex[hex.index(index, offsetBy: 2)..<next], radix: 16)
            else { return nil }
            let unit = low | high << 8
            if unit == 0 { break }
            units.append(unit)
            index = next
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Registry writes that switch a protection off (path and data lower case).
    static func weakensDefences(_ path: String, details: String, deleted: Bool) -> Bool {
        if path.hasSuffix("\\__pslockdownpolicy") { return true }
        if deleted { return false }
        if path.hasSuffix("\\executionpolicy") { return details == "unrestricted" || details == "bypass" }
        let one = details.contains("0x00000001")
        if path.contains("\\windows defender\\") {
            if path.contains("\\exclusions\\") { return true }
            let value = path.split(separator: "\\").last ?? ""
            return value.hasPrefix("disable") && one
        }
        if path.hasSuffix("\\services\\windefend\\start") { return details.contains("0x00000004") }
        if path.hasSuffix("\\control\\lsa\\runasppl") { return details.contains("0x00000000") }
        if path.hasSuffix("\\wdigest\\uselogoncredential") { return one }
        return false
    }

    static func isUACBypassKey(_ path: String) -> Bool {
        // HKCU\Software\Classes\…, or the same hive as HKU\<SID>_Classes\….
        guard path.hasPrefix("hkcu\\") || path.hasPrefix("hku\\") else { return false }
        let handlers = ["ms-settings", "mscfile", "exefile", "folder", "launcher.systemsettings"]
        return handlers.contains { handler in
            path.contains("\\software\\classes\\" + handler + "\\shell\\open\\command")
                || path.contains("_classes\\" + handler + "\\shell\\open\\command")
        }
    }

    static func hijacksExecution(_ path: String, image: String) -> Bool {
        if path.contains("\\image file execution options\\"),
            path.hasSuffix("\\debugger") || path.hasSuffix("\\globalflag")
        {
            return true
        }
        if path.contains("\\silentprocessexit\\"), path.hasSuffix("\\monitorprocess") { return true }
        if path.contains("\\windowsupdate\\orchestrator\\uscheduler") && path.hasSuffix("\\cmdline") { return true }
        if path.hasSuffix("\\symboliclinkvalue") { return true }  // a registry symbolic link (exploits)
        if path.contains("\\currentversion\\winlogon\\notify\\") || path.hasSuffix("\\winlogon\\ginadll") {
            return true
        }
        return false
    }

    /// Lower-case fragments of PowerShell that attack tooling and reconnaissance use.
    static let offensivePowerShell: [[String]] = [
        // PowerView / PowerSploit and AD enumeration
        ["get-domaingroup"], ["get-domainuser"], ["get-domaincomputer"], ["get-domaintrust"], ["get-netsession"],
        ["get-netlocalgroup"], ["get-netgroup"], ["get-netuser"], ["get-netcomputer"], ["get-netdomain"],
        ["get-netforest"], ["invoke-userhunter"], ["invoke-sharefinder"], ["find-localadminaccess"],
        ["invoke-enumeratelocaladmin"], ["get-adforest"], ["get-adtrust"], ["get-adgroupmember"],
        ["directoryservices.activedirectory.forest]"], ["system.identitymodel"], ["kerberosrequestorsecuritytoken"],
        ["invoke-mimikatz"], ["invoke-kerberoast"], ["invoke-bloodhound"], ["invoke-smbexec"], ["invoke-wmiexec"],
        ["invoke-dcomexec"], ["invoke-thehash"], ["invoke-sharphound"], ["invoke-rubeus"],
        // WMI event subscriptions
        ["register-wmievent"], ["register-maliciouswmievent"], ["__eventfilter"], ["commandlineeventconsumer"],
        ["activescripteventconsumer"], ["__filtertoconsumerbinding"],
        // DCOM lateral movement
        ["mmc20.application"], ["9ba05972-f6a8-11cf-a442-00a0c90a8f39"], ["c08afd90-f2a1-11d1-8455-00a0c91f3880"],
        ["gettypefromprogid", "shell.application"],
        // Named-pipe shells and spooler abuse
        ["system.io.pipes.namedpipeserverstream"], ["system.io.pipes.namedpipeclientstream"], ["add-printerport"],
        // Defender switched off
        ["set-mppreference", "-disable"], ["set-mppreference", "defaultaction"], ["add-mppreference", "-exclusion"],
    ]

    static func isOffensivePowerShell(_ lowered: String) -> Bool {
        offensivePowerShell.contains { words in words.allSatisfy { lowered.containsBytes(of: $0) } }
    }
}
