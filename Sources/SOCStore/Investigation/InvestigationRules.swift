public import SOCModel

/// What the investigation queries mean, in one place, so every ``EventStore`` answers them alike: which events are
/// failed logins, successful logons, process starts and outbound connections, and why a process is suspicious.
public enum InvestigationRules {
    /// The field holding how many attempts a repeated syslog line stands for.
    public static let repeatCountField = "socagent.repeat_count"

    /// A failed authentication attempt, counted once: Windows 4625/4771/4776/4768/4769 failures, sshd, PAM (except
    /// PAM's copy of an sshd attempt), su, sudo, Entra ID sign-ins; and 4648 explicit-credential logons, which is how
    /// a password spray through `runas`/SMB shows on the attacking host.
    public static func isFailedLogin(_ event: SecurityEvent) -> Bool {
        if event.code == "4648" && event.string(ECSField.eventModule) == "security" { return true }
        guard event.categories.first == "authentication", event.outcome == "failure" else { return false }
        return !isDuplicatePAMLine(event)
    }

    /// PAM's `authentication failure` lines from sshd repeat an attempt sshd logs itself.
    public static func isDuplicatePAMLine(_ event: SecurityEvent) -> Bool {
        (event.action?.hasPrefix("pam_auth_failure") ?? false) && event.string(ECSField.processName) == "sshd"
    }

    /// A successful logon (not a credential check, not an explicit-credential 4648).
    public static func isSuccessfulLogon(_ event: SecurityEvent) -> Bool {
        event.categories.first == "authentication" && event.outcome == "success" && event.code != "4648"
            && successfulLogonActions.contains(event.action ?? "")
    }

    /// The actions that mean someone logged on.
    public static let successfulLogonActions: Set<String> = ["logged-in", "ssh_login", "sign-in", "su", "user_login"]

    /// A process start (4688, Sysmon 1, auditd EXECVE, sudo) or PowerShell activity (4103/4104/400/800).
    public static func isProcessActivity(_ event: SecurityEvent) -> Bool {
        event.categories.first == "process" && processActions.contains(event.action ?? "")
    }

    /// The actions of process starts and PowerShell activity.
    public static let processActions = Set(["created-process", "process-created", "executed", "sudo"] + scriptLoggingActions)

    /// PowerShell logging (4104 script blocks, 4103 pipeline execution, 400/800 engine events): flagged by its text.
    public static let scriptLoggingActions = ["script-block-logged", "pipeline-executed", "engine-state-changed"]

    /// What a process must show for some rule to flag it — one of these images (lower case), a command line
    /// containing one of these words (the first word of each command-line rule, lower case), or PowerShell logging.
    /// Stores narrow their candidates with them; ``suspiciousReasons(_:)`` then decides.
    public static let candidateImages: [String] = Set(processRules.flatMap(\.images)).sorted()
    public static let candidateCommandWords: [String] = Set(processRules.flatMap { $0.commandLine.compactMap(\.first) }).sorted()

    /// A network connection (Sysmon 3, 5156/5157, flows) to a destination; outbound unless the event says inbound.
    public static func isConnection(_ event: SecurityEvent, includePrivate: Bool) -> Bool {
        guard event.categories.first == "network", let destination = event.string(ECSField.destinationIP) else { return false }
        if let direction = event.string(ECSField.networkDirection), direction == "ingress" || direction == "inbound" { return false }
        return includePrivate || !(IPAddress(destination)?.isPrivate ?? true)
    }

    // MARK: - Suspicious processes

    /// A rule that flags a process, with the ATT&CK technique it points to.
    public struct ProcessRule: Sendable {
        /// Why it is suspicious, for people.
        public let reason: String
        /// The MITRE ATT&CK technique id.
        public let technique: String
        /// Image names (lower case) the rule flags on their own.
        public let images: [String]
        /// Lower-case substrings of the command line (or script block) that flag it; all of one inner list must appear.
        public let commandLine: [[String]]
        /// Parent image names (lower case) that, with one of `images`, flag it.
        public let parents: [String]
    }

    /// The rules, checked in order; every rule that matches adds its reason.
    public static let processRules: [ProcessRule] = [
        ProcessRule(reason: "PowerShell", technique: "T1059.001", images: ["powershell.exe", "pwsh.exe", "powershell_ise.exe"], commandLine: [], parents: []),
        ProcessRule(reason: "command shell", technique: "T1059.003", images: ["cmd.exe"], commandLine: [], parents: []),
        ProcessRule(reason: "script host", technique: "T1059.005", images: ["wscript.exe", "cscript.exe", "mshta.exe"], commandLine: [], parents: []),
        ProcessRule(
            reason: "living-off-the-land binary",
            technique: "T1218",
            images: [
                "rundll32.exe", "regsvr32.exe", "certutil.exe", "bitsadmin.exe", "wmic.exe", "msbuild.exe",
                "installutil.exe", "regasm.exe", "regsvcs.exe", "cmstp.exe", "odbcconf.exe", "msiexec.exe", "forfiles.exe",
                "hh.exe", "msdt.exe", "esentutl.exe", "pcalua.exe", "scriptrunner.exe", "mavinject.exe", "control.exe",
            ],
            commandLine: [],
            parents: []
        ),
        ProcessRule(
            reason: "encoded PowerShell command",
            technique: "T1027",
            images: [],
            commandLine: [[" -enc "], [" -encodedcommand "], [" -en "], [" -e ", "powershell"], [" -ec "], ["frombase64string"]],
            parents: []
        ),
        ProcessRule(
            reason: "download cradle",
            technique: "T1105",
            images: [],
            commandLine: [
                ["downloadstring"], ["downloadfile"], ["net.webclient"], ["invoke-webrequest"], ["iwr ", "http"],
                ["start-bitstransfer"], ["certutil", "-urlcache"], ["certutil", "/urlcache"], ["bitsadmin", "/transfer"],
                ["invoke-restmethod"], ["curl ", "http"], ["wget ", "http"],
            ],
            parents: []
        ),
        ProcessRule(
            reason: "execution policy bypass",
            technique: "T1059.001",
            images: [],
            commandLine: [["-executionpolicy bypass"], ["-ep bypass"], ["-exec bypass"], ["-executionpolicy unrestricted"]],
            parents: []
        ),
        ProcessRule(reason: "hidden window", technique: "T1564.003", images: [], commandLine: [["-w hidden"], ["-windowstyle hidden"], ["-window hidden"]], parents: []),
        ProcessRule(reason: "Invoke-Expression", technique: "T1059.001", images: [], commandLine: [["iex("], ["iex ("], ["invoke-expression"], ["|iex"], ["| iex"]], parents: []),
        ProcessRule(
            reason: "shadow copy deletion",
            technique: "T1490",
            images: [],
            commandLine: [
                ["vssadmin", "delete", "shadows"], ["wmic", "shadowcopy", "delete"], ["wbadmin", "delete", "catalog"],
                ["bcdedit", "recoveryenabled", "no"], ["win32_shadowcopy", "delete"], ["vssadmin", "resize", "shadowstorage"],
            ],
            parents: []
        ),
        ProcessRule(
            reason: "credential dumping",
            technique: "T1003",
            images: ["mimikatz.exe", "procdump.exe", "procdump64.exe"],
            commandLine: [
                ["sekurlsa"], ["lsadump"], ["mimikatz"], ["comsvcs", "minidump"], ["procdump", "lsass"], ["ntdsutil", "ifm"],
                ["reg", "save", "hklm\\sam"], ["reg", "save", "hklm\\security"], ["reg", "save", "hklm\\system"],
                ["invoke-mimikatz"], ["out-minidump"], ["lsass.dmp"], ["kerberos::"], ["privilege::debug"],
            ],
            parents: []
        ),
        ProcessRule(reason: "event log clearing", technique: "T1070.001", images: [], commandLine: [["wevtutil", " cl "], ["clear-eventlog"], ["wevtutil.exe\" cl"], ["wevtutil cl"]], parents: []),
        ProcessRule(
            reason: "Office application spawned a shell",
            technique: "T1204.002",
            images: ["cmd.exe", "powershell.exe", "pwsh.exe", "wscript.exe", "cscript.exe", "mshta.exe", "rundll32.exe", "regsvr32.exe"],
            commandLine: [],
            parents: ["winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe", "msaccess.exe", "mspub.exe", "onenote.exe"]
        ),
        ProcessRule(reason: "remote script via regsvr32 or mshta", technique: "T1218", images: [], commandLine: [["regsvr32", "/i:http"], ["regsvr32", "scrobj.dll"], ["mshta", "http"], ["mshta", "vbscript:"], ["rundll32", "javascript:"]], parents: []),
        ProcessRule(reason: "discovery command", technique: "T1087", images: [], commandLine: [["net user"], ["net group"], ["net localgroup"], ["nltest", "/domain_trusts"], ["whoami /all"], ["net1 user"]], parents: []),
    ]

    /// Why a process is suspicious; empty when no rule matches.
    /// - Parameters:
    ///   - image: The process name or executable path.
    ///   - commandLine: The command line, or a PowerShell script block.
    ///   - parent: The parent process name or path.
    public static func suspiciousReasons(image: String?, commandLine: String?, parent: String?) -> [String] {
        let name = baseName(image ?? "").lowercased()
        let parentName = baseName(parent ?? "").lowercased()
        let text = " " + (commandLine ?? "").lowercased() + " "
        var reasons: [String] = []
        for rule in processRules {
            let imageHit = rule.images.contains(name)
            let matches: Bool
            if !rule.parents.isEmpty {
                matches = imageHit && rule.parents.contains(parentName)
            } else {
                matches = imageHit || rule.commandLine.contains { words in words.allSatisfy { text.contains($0) } }
            }
            if matches {
                let detail = imageHit && rule.parents.isEmpty ? "\(rule.reason): \(name)" : rule.reason
                reasons.append("\(detail) (\(rule.technique))")
            }
        }
        return reasons
    }

    /// The reasons for a stored event (its image, command line or script block, and parent).
    public static func suspiciousReasons(_ event: SecurityEvent) -> [String] {
        let script = event.string(ECSField.eventData("ScriptBlockText")) ?? event.string(ECSField.eventData("Payload"))
        let commandLine = [event.string(ECSField.processCommandLine), script].compactMap { $0 }.joined(separator: " ")
        return suspiciousReasons(
            image: event.string(ECSField.processExecutable) ?? event.string(ECSField.processName),
            commandLine: commandLine,
            parent: event.string(ECSField.processParentExecutable) ?? event.string(ECSField.processParentName)
        )
    }

    private static func baseName(_ path: String) -> String {
        guard let separator = path.lastIndex(where: { $0 == "\\" || $0 == "/" }) else { return path }
        return String(path[path.index(after: separator)...])
    }
}
