public import SOCModel

/// What the investigation queries mean, in one place, so every ``EventStore`` answers them alike: which events are
/// failed logins, successful logons, process starts and outbound connections, and why a process is suspicious.
public enum InvestigationRules {
    /// The field holding how many attempts a repeated syslog line stands for.
    public static let repeatCountField = ECSField.repeatCount

    /// How many attempts `event` stands for: its repeat count when that is in ``ECSField/repeatCountRange``, else 1
    /// (a stored document may carry any number there; a negative one must not cancel other failures).
    public static func repeatCount(_ event: SecurityEvent) -> Int {
        guard let count = event[repeatCountField]?.integerValue, ECSField.repeatCountRange.contains(count) else {
            return 1
        }
        return Int(count)
    }

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
    public static let processActions = Set(
        ["created-process", "process-created", "executed", "sudo"] + scriptLoggingActions
    )

    /// PowerShell logging (4104 script blocks, 4103 pipeline execution, 400/800 engine events): flagged by its text.
    public static let scriptLoggingActions = ["script-block-logged", "pipeline-executed", "engine-state-changed"]

    /// What a process must show for some rule to flag it — one of these images (lower case), a command line
    /// containing one of these words (the first word of each command-line rule, lower case), or PowerShell logging.
    /// Stores narrow their candidates with them; ``suspiciousMatches(_:)`` then decides.
    public static let candidateImages: [String] = Set(processRules.flatMap(\.images)).sorted()
    public static let candidateCommandWords: [String] = Set(processRules.flatMap { $0.commandLine.compactMap(\.first) })
        .sorted()

    /// A network connection (Sysmon 3, 5156/5157, flows) to a destination; outbound unless the event says inbound.
    public static func isConnection(_ event: SecurityEvent, includePrivate: Bool) -> Bool {
        guard event.categories.first == "network", let destination = event.string(ECSField.destinationIP) else {
            return false
        }
        if let direction = event.string(ECSField.networkDirection), direction == "ingress" || direction == "inbound" {
            return false
        }
        return includePrivate || !(IPAddress(destination)?.isPrivate ?? true)
    }

    // MARK: - Suspicious processes

    /// A rule that flags a process: a stable identifier, what it means (its severity and ATT&CK technique) and what
    /// it looks for.
    public struct ProcessRule: Sendable, Identifiable {
        /// A stable identifier (`process.credential-dumping`): what reports and the rubric refer to.
        public let id: String
        /// Why it is suspicious, for people.
        public let reason: String
        /// How bad a process flagged by this rule is on its own (the rubric's process rows).
        public let severity: Severity
        /// The MITRE ATT&CK technique id.
        public let technique: String
        /// Image names (lower case) the rule flags on their own.
        public let images: [String]
        /// Lower-case substrings of the command line (or script block) that flag it; all of one inner list must appear.
        public let commandLine: [[String]]
        /// Parent image names (lower case) that, with one of `images`, flag it.
        public let parents: [String]

        init(
            id: String,
            reason: String,
            severity: Severity,
            technique: String,
            images: [String] = [],
            commandLine: [[String]] = [],
            parents: [String] = []
        ) {
            self.id = id
            self.reason = reason
            self.severity = severity
            self.technique = technique
            self.images = images
            self.commandLine = commandLine
            self.parents = parents
        }
    }

    /// One rule matching one process: the rule, and the image name when the image alone matched.
    public struct ProcessRuleMatch: Sendable, Hashable {
        /// The rule's identifier (``ProcessRule/id``).
        public let ruleID: String
        /// The process image that matched on its own (`rundll32.exe`), if that is how the rule matched.
        public let image: String?

        /// The rule (every match comes from ``InvestigationRules/processRules``).
        public var rule: ProcessRule? { InvestigationRules.processRule(id: ruleID) }

        /// The reason as query results show it: `living-off-the-land binary: rundll32.exe (T1218)`.
        public var text: String {
            guard let rule else { return ruleID }
            return (image.map { "\(rule.reason): \($0)" } ?? rule.reason) + " (\(rule.technique))"
        }
    }

    /// The rule with this identifier.
    public static func processRule(id: String) -> ProcessRule? { processRulesByID[id] }

    private static let processRulesByID = Dictionary(
        processRules.map { ($0.id, $0) },
        uniquingKeysWith: { first, _ in first }
    )

    /// The rules, checked in order; every rule that matches adds its reason.
    public static let processRules: [ProcessRule] = [
        ProcessRule(
            id: "process.powershell",
            reason: "PowerShell",
            severity: .low,
            technique: "T1059.001",
            images: ["powershell.exe", "pwsh.exe", "powershell_ise.exe"]
        ),
        ProcessRule(
            id: "process.command-shell",
            reason: "command shell",
            severity: .low,
            technique: "T1059.003",
            images: ["cmd.exe"]
        ),
        ProcessRule(
            id: "process.script-host",
            reason: "script host",
            severity: .low,
            technique: "T1059.005",
            images: ["wscript.exe", "cscript.exe", "mshta.exe"]
        ),
        ProcessRule(
            id: "process.lolbin",
            reason: "living-off-the-land binary",
            severity: .medium,
            technique: "T1218",
            images: [
                "rundll32.exe", "regsvr32.exe", "certutil.exe", "bitsadmin.exe", "wmic.exe", "msbuild.exe",
                "installutil.exe", "regasm.exe", "regsvcs.exe", "cmstp.exe", "odbcconf.exe", "msiexec.exe",
                "forfiles.exe",
                "hh.exe", "msdt.exe", "esentutl.exe", "pcalua.exe", "scriptrunner.exe", "mavinject.exe", "control.exe",
            ]
        ),
        ProcessRule(
            id: "process.encoded-powershell",
            reason: "encoded PowerShell command",
            severity: .high,
            technique: "T1027",
            commandLine: [
                [" -enc "], [" -encodedcommand "], [" -en "], [" -e ", "powershell"], [" -ec "], ["frombase64string"],
            ]
        ),
        ProcessRule(
            id: "process.download-cradle",
            reason: "download cradle",
            severity: .high,
            technique: "T1105",
            commandLine: [
                ["downloadstring"], ["downloadfile"], ["net.webclient"], ["invoke-webrequest"], ["iwr ", "http"],
                ["start-bitstransfer"], ["certutil", "-urlcache"], ["certutil", "/urlcache"],
                ["bitsadmin", "/transfer"],
                ["invoke-restmethod"], ["curl ", "http"], ["wget ", "http"],
            ]
        ),
        ProcessRule(
            id: "process.execution-policy-bypass",
            reason: "execution policy bypass",
            severity: .medium,
            technique: "T1059.001",
            commandLine: [
                ["-executionpolicy bypass"], ["-ep bypass"], ["-exec bypass"], ["-executionpolicy unrestricted"],
            ]
        ),
        ProcessRule(
            id: "process.hidden-window",
            reason: "hidden window",
            severity: .medium,
            technique: "T1564.003",
            commandLine: [["-w hidden"], ["-windowstyle hidden"], ["-window hidden"]]
        ),
        ProcessRule(
            id: "process.invoke-expression",
            reason: "Invoke-Expression",
            severity: .medium,
            technique: "T1059.001",
            commandLine: [["iex("], ["iex ("], ["invoke-expression"], ["|iex"], ["| iex"]]
        ),
        ProcessRule(
            id: "process.shadow-copy-deletion",
            reason: "shadow copy deletion",
            severity: .critical,
            technique: "T1490",
            commandLine: [
                ["vssadmin", "delete", "shadows"], ["wmic", "shadowcopy", "delete"], ["wbadmin", "delete", "catalog"],
                ["bcdedit", "recoveryenabled", "no"], ["win32_shadowcopy", "delete"],
                ["vssadmin", "resize", "shadowstorage"],
            ]
        ),
        ProcessRule(
            id: "process.credential-dumping",
            reason: "credential dumping",
            severity: .critical,
            technique: "T1003",
            images: ["mimikatz.exe", "procdump.exe", "procdump64.exe"],
            commandLine: [
                ["sekurlsa"], ["lsadump"], ["mimikatz"], ["comsvcs", "minidump"], ["procdump", "lsass"],
                ["ntdsutil", "ifm"],
                ["reg", "save", "hklm\\sam"], ["reg", "save", "hklm\\security"], ["reg", "save", "hklm\\system"],
                ["invoke-mimikatz"], ["out-minidump"], ["lsass.dmp"], ["kerberos::"], ["privilege::debug"],
            ]
        ),
        ProcessRule(
            id: "process.event-log-clearing",
            reason: "event log clearing",
            severity: .high,
            technique: "T1070.001",
            commandLine: [["wevtutil", " cl "], ["clear-eventlog"], ["wevtutil.exe\" cl"], ["wevtutil cl"]]
        ),
        ProcessRule(
            id: "process.office-spawned-shell",
            reason: "Office application spawned a shell",
            severity: .high,
            technique: "T1204.002",
            images: [
                "cmd.exe", "powershell.exe", "pwsh.exe", "wscript.exe", "cscript.exe", "mshta.exe", "rundll32.exe",
                "regsvr32.exe",
            ],
            parents: [
                "winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe", "msaccess.exe", "mspub.exe", "onenote.exe",
            ]
        ),
        ProcessRule(
            id: "process.remote-script",
            reason: "remote script via regsvr32 or mshta",
            severity: .high,
            technique: "T1218",
            commandLine: [
                ["regsvr32", "/i:http"], ["regsvr32", "scrobj.dll"], ["mshta", "http"], ["mshta", "vbscript:"],
                ["rundll32", "javascript:"],
            ]
        ),
        ProcessRule(
            id: "process.discovery",
            reason: "discovery command",
            severity: .medium,
            technique: "T1087",
            commandLine: [
                ["net user"], ["net group"], ["net localgroup"], ["nltest", "/domain_trusts"], ["whoami /all"],
                ["net1 user"],
            ]
        ),
    ]

    /// The rules a process matches, in rule order; empty when none does.
    /// - Parameters:
    ///   - image: The process name or executable path.
    ///   - commandLine: The command line, or a PowerShell script block.
    ///   - parent: The parent process name or path.
    public static func suspiciousMatches(image: String?, commandLine: String?, parent: String?) -> [ProcessRuleMatch] {
        let name = baseName(image ?? "").lowercased()
        let parentName = baseName(parent ?? "").lowercased()
        let text = " " + (commandLine ?? "").lowercased() + " "
        var matches: [ProcessRuleMatch] = []
        for rule in processRules {
            let imageHit = rule.images.contains(name)
            let matched: Bool
            if !rule.parents.isEmpty {
                matched = imageHit && rule.parents.contains(parentName)
            } else {
                matched =
                    imageHit || rule.commandLine.contains { words in words.allSatisfy { text.containsBytes(of: $0) } }
            }
            if matched {
                matches.append(ProcessRuleMatch(ruleID: rule.id, image: imageHit && rule.parents.isEmpty ? name : nil))
            }
        }
        return matches
    }

    /// The rules a stored event matches (its image, command line or script block, and parent).
    public static func suspiciousMatches(_ event: SecurityEvent) -> [ProcessRuleMatch] {
        let script = event.string(ECSField.eventData("ScriptBlockText")) ?? event.string(ECSField.eventData("Payload"))
        let commandLine = [event.string(ECSField.processCommandLine), script].compactMap { $0 }.joined(separator: " ")
        return suspiciousMatches(
            image: event.string(ECSField.processExecutable) ?? event.string(ECSField.processName),
            commandLine: commandLine,
            parent: event.string(ECSField.processParentExecutable) ?? event.string(ECSField.processParentName)
        )
    }

    /// Why a process is suspicious, for people (``ProcessRuleMatch/text`` of each match); empty when no rule matches.
    public static func suspiciousReasons(image: String?, commandLine: String?, parent: String?) -> [String] {
        suspiciousMatches(image: image, commandLine: commandLine, parent: parent).map(\.text)
    }

    private static func baseName(_ path: String) -> String {
        guard let separator = path.lastIndex(where: { $0 == "\\" || $0 == "/" }) else { return path }
        return String(path[path.index(after: separator)...])
    }
}

/// The alerts triage raises from the investigation queries themselves — brute force and spraying, the logon after
/// them, outbound connections after that logon. An investigation derives them again from the incident's entities,
/// so it does not cite them a second time.
public enum PlaybookAlertRule: String, Sendable, CaseIterable {
    case bruteForce = "behaviour.brute-force"
    case passwordSpraying = "behaviour.password-spraying"
    case logonAfterBruteForce = "behaviour.logon-after-brute-force"
    case outboundAfterSuspiciousLogon = "behaviour.outbound-after-suspicious-logon"
}
