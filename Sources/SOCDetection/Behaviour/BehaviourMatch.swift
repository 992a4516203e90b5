import SOCModel
import SOCStore

/// The fields of one event the behaviour rules read, looked up once.
struct BehaviourEvent {
    let event: SecurityEvent
    let action: String
    let code: String?
    let host: String?
    let user: String?
    let time: Int64?

    init(_ event: SecurityEvent) {
        self.event = event
        action = event.action ?? ""
        code = event.code
        host = event.string(ECSField.hostName)
        user = event.string(ECSField.userName)
        time = event.timestamp?.microsecondsSinceEpoch
    }

    func string(_ field: String) -> String? { event.string(field) }

    var sourceIP: String? { string(ECSField.sourceIP) }
    var image: String? { string(ECSField.processExecutable) ?? string(ECSField.processName) }
    var parentImage: String? { string(ECSField.processParentExecutable) ?? string(ECSField.processParentName) }
    var commandLine: String? { string(ECSField.processCommandLine) }
    var fileName: String? { string(ECSField.fileName) }
    var targetUser: String? { string(ECSField.userTargetName) }

    /// A network event: a connection, or a flow record.
    var isNetwork: Bool { event.categories.contains("network") || string(ECSField.destinationIP) != nil }

    /// What the source sent: `source.bytes` when the record has it, else `network.bytes`.
    var sentBytes: Int64? {
        event["source.bytes"]?.integerValue ?? event["network.bytes"]?.integerValue
    }

    /// What a hit keeps of this event, with `fields` quoted in its evidence line.
    func occurrence(value: String, fields: [String], process: String? = nil) -> Occurrence {
        var addresses: [String] = []
        for field in [ECSField.sourceIP, ECSField.destinationIP] {
            if let address = string(field), !addresses.contains(address) { addresses.append(address) }
        }
        return Occurrence(
            time: time,
            eventID: event.id.hex,
            host: host,
            users: user.map { [$0] } ?? [],
            addresses: addresses,
            process: process ?? commandLine ?? image,
            evidence: evidence(fields),
            value: value
        )
    }

    /// One line quoting the event: `event.code=4697 host.name="srv01" service.name="PSEXESVC" …`.
    private func evidence(_ fields: [String]) -> String {
        var line = "event.code=" + (code ?? "?")
        if let host { line += " host.name=" + Self.quoted(host) }
        for field in fields {
            guard let value = string(field) else { continue }
            line += " " + field + "=" + Self.quoted(value)
            if line.count >= BehaviourHit.maxEvidenceLength { break }
        }
        guard line.count > BehaviourHit.maxEvidenceLength else { return line }
        return String(line.prefix(BehaviourHit.maxEvidenceLength - 1)) + "…"
    }

    private static func quoted(_ value: String) -> String {
        var text = "\""
        for character in value.prefix(160) {
            switch character {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n", "\r", "\t": text += " "
            default: text.append(character)
            }
        }
        return text + "\""
    }
}

/// The tests the behaviour rules apply to typed fields. Each is a pure function, so each can be read and tested
/// on its own.
enum BehaviourMatch {
    /// Command shells and script hosts.
    static let shells: Set<String> = [
        "cmd.exe", "powershell.exe", "pwsh.exe", "powershell_ise.exe", "wscript.exe", "cscript.exe", "mshta.exe",
    ]

    /// Programs that move files over the network: a connection by one of them after an archive is an upload.
    static let transferTools: Set<String> = [
        "curl.exe", "rclone.exe", "ftp.exe", "bitsadmin.exe", "powershell.exe", "pwsh.exe", "winscp.exe", "pscp.exe",
        "scp.exe", "sftp.exe", "megacmd.exe", "megasync.exe",
    ]

    /// The last component of a Windows or POSIX path, lower case.
    static func baseName(_ path: String?) -> String {
        guard let path else { return "" }
        guard let separator = path.lastIndex(where: { $0 == "\\" || $0 == "/" }) else { return path.lowercased() }
        return String(path[path.index(after: separator)...]).lowercased()
    }

    /// Whether a program lives under `\Windows\` or `\Program Files` (any drive; `\??\`/`\Device\` forms too).
    static func isSystemPath(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return lowered.containsBytes(of: ":\\windows\\") || lowered.containsBytes(of: ":\\program files")
            || lowered.hasPrefix("\\systemroot\\") || lowered.hasPrefix("%systemroot%\\")
            || lowered.hasPrefix("\\device\\harddiskvolume") && lowered.containsBytes(of: "\\windows\\")
            || lowered == "system"
    }

    static func isLoopback(_ address: IPAddress) -> Bool {
        address.description == "::1" || (address.isIPv4 && address.description.hasPrefix("127."))
    }

    /// A logon by a person's or service's account from another machine: not a machine account (`NAME$`), not an
    /// anonymous logon, from an address that is not loopback.
    static func isRemoteAccountLogon(_ view: BehaviourEvent) -> Bool {
        guard let user = view.user, !user.hasSuffix("$"), user.uppercased() != "ANONYMOUS LOGON",
            let source = view.sourceIP, let address = IPAddress(source)
        else { return false }
        return !isLoopback(address)
    }

    // MARK: PsExec

    /// PsExec's service (`PSEXESVC`) or its binary.
    static func isPsExecService(name: String?, image: String?) -> Bool {
        name?.uppercased() == "PSEXESVC" || isPsExecBinary(image)
    }

    /// The service binaries PsExec, RemCom and PAExec copy to the target's `ADMIN$`.
    static func isPsExecBinary(_ path: String?) -> Bool {
        let name = baseName(path)
        return name == "psexesvc.exe" || name == "remcomsvc.exe" || name.hasPrefix("paexec") && name.hasSuffix(".exe")
    }

    /// The named pipes of PsExec, RemCom and PAExec, and the stdin/stdout/stderr triple a renamed PsExec service
    /// still creates (`\svchost-HOST-1234-stdin`).
    static func isPsExecPipe(_ pipe: String?) -> Bool {
        guard let pipe = pipe?.lowercased() else { return false }
        let name = pipe.hasPrefix("\\") ? String(pipe.dropFirst()) : pipe
        if name.hasPrefix("psexesvc") || name.hasPrefix("remcom_") || name.hasPrefix("paexec") { return true }
        for stream in ["-stdin", "-stdout", "-stderr"] where name.hasSuffix(stream) {
            // NAME-HOST-PID-stream: the part before the stream ends in a process id.
            let stem = name.dropLast(stream.count)
            guard let dash = stem.lastIndex(of: "-") else { return false }
            let pid = stem[stem.index(after: dash)...]
            return !pid.isEmpty && pid.allSatisfy(\.isNumber)
        }
        return false
    }

    // MARK: Services

    /// A service binary that is a shell or script host, or lives where any user can write.
    static func isShellService(_ image: String?) -> Bool {
        guard let image = image?.lowercased() else { return false }
        let program = image.split(separator: " ", maxSplits: 1).first.map(String.init) ?? image
        let name = baseName(program.trimming("\""))
        if shells.contains(name) || name == "rundll32.exe" || name == "regsvr32.exe" { return true }
        if image.hasPrefix("%comspec%") || image.contains("cmd.exe /c") || image.contains("cmd /c")
            || image.contains("powershell") || image.contains("cmd.exe /k")
        {
            return true
        }
        return ["\\users\\", "\\temp\\", "\\tmp\\", "\\programdata\\", "\\appdata\\", "\\perflogs\\", "\\public\\"]
            .contains { image.contains($0) }
    }

    // MARK: Ransomware

    /// Shadow copies or backups deleted: ``InvestigationRules``' shadow-copy rule (without its bcdedit form, which
    /// is ``disablesBootRecovery(_:)``), plus `wbadmin delete backup|systemstatebackup` and PowerShell removing
    /// `Win32_ShadowCopy` instances.
    /// The command-line word lists of the process rule `process.shadow-copy-deletion`.
    static let shadowCopyDeletionWords =
        InvestigationRules.processRule(id: "process.shadow-copy-deletion")?.commandLine ?? []

    static func deletesBackups(_ event: SecurityEvent, lowered: String) -> Bool {
        let extra = [
            ["wbadmin", "delete", "backup"], ["wbadmin", "delete", "systemstatebackup"],
            ["win32_shadowcopy", "remove-ciminstance"], ["win32_shadowcopy", "remove-wmiobject"],
            ["vssadmin", "delete", "shadows"], ["wmic", "shadowcopy", "delete"],
        ]
        if extra.contains(where: { words in words.allSatisfy { lowered.containsBytes(of: $0) } }) { return true }
        guard !lowered.containsBytes(of: "bcdedit") else { return false }
        // The process rule's command-line word lists (it has no image-only match), read once.
        return shadowCopyDeletionWords.contains { words in words.allSatisfy { lowered.containsBytes(of: $0) } }
    }

    /// `bcdedit /set … recoveryenabled no` or `bootstatuspolicy ignoreallfailures`.
    static func disablesBootRecovery(_ lowered: String) -> Bool {
        guard lowered.containsBytes(of: "bcdedit") else { return false }
        if lowered.containsBytes(of: "ignoreallfailures") { return true }
        guard let range = lowered.firstRange(of: "recoveryenabled") else { return false }
        let value = lowered[range.upperBound...].drop { $0 == " " || $0 == "\t" }
        return value.hasPrefix("no") || value.hasPrefix("off") || value.hasPrefix("false") || value.hasPrefix("0")
    }

    /// The extension appended to a file that already had one (`report.docx.lockbit` → `lockbit`), unless it is an
    /// extension programs add while they write (`.tmp`, `.part`, `.bak`, `.log`…).
    static func appendedExtension(_ path: String) -> String? {
        let name = baseName(path)
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, (1...16).contains(last.count) else { return nil }
        let inner = parts[parts.count - 2]
        guard (2...5).contains(inner.count), inner.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        let appended = String(last)
        return transientExtensions.contains(appended) ? nil : appended
    }

    /// Extensions that programs append while writing or keeping copies.
    static let transientExtensions: Set<String> = [
        "tmp", "~tmp", "temp", "part", "partial", "crdownload", "download", "bak", "old", "orig", "log", "swp", "lock",
        "mui", "manifest", "config", "lnk", "etl", "pf", "sig", "gz", "zip",
    ]

    /// A 4663 that wrote to or deleted a file (WriteData, AppendData or DELETE in the access mask).
    static func isFileWrite(_ view: BehaviourEvent) -> Bool {
        guard view.string(ECSField.eventData("ObjectType"))?.lowercased() == "file",
            let mask = parseHex(view.string(ECSField.eventData("AccessMask")))
        else { return false }
        return mask & 0x1_0006 != 0
    }

    // MARK: Exfiltration

    /// Creating an archive: 7-Zip/WinRAR/zip `a`, `tar -c`, `makecab`, `Compress-Archive`.
    static func makesArchive(_ lowered: String, image: String) -> Bool {
        if lowered.containsBytes(of: "compress-archive") { return true }
        if image == "makecab.exe" || lowered.containsBytes(of: "makecab ") || lowered.containsBytes(of: "makecab.exe ")
        {
            return true
        }
        for tool in ["7z.exe", "7za.exe", "7zr.exe", "7zg.exe", "rar.exe", "winrar.exe"]
        where image == tool || lowered.containsBytes(of: tool) {
            return lowered.containsBytes(of: " a ") || lowered.containsBytes(of: " -a ")
        }
        for tool in [" 7z ", " 7za ", " rar "] where lowered.containsBytes(of: tool + "a ") { return true }
        if image == "tar.exe" || lowered.containsBytes(of: "tar ") {
            return lowered.containsBytes(of: " -c") || lowered.containsBytes(of: " -zc")
                || lowered.containsBytes(of: " -jc")
        }
        if image == "zip.exe" { return true }
        return false
    }

    /// Sending a file out: `curl -T|--upload-file|-F|--data-binary @`, `rclone copy|sync`, `ftp -s:`,
    /// `bitsadmin /upload`, `Invoke-WebRequest|Invoke-RestMethod -InFile`, `pscp`/`scp` to a remote path.
    static func uploads(_ lowered: String, image: String) -> Bool {
        let patterns: [[String]] = [
            ["curl", " -t "], ["curl", "--upload-file"], ["curl", " -f ", "@"], ["curl", "--form", "@"],
            ["curl", "--data-binary", "@"], ["rclone", " copy "], ["rclone", " sync "], ["rclone", " move "],
            ["ftp", " -s:"], ["bitsadmin", "/upload"], ["invoke-webrequest", "-infile"],
            ["invoke-restmethod", "-infile"], ["pscp", ":"], ["scp ", "@"],
        ]
        return patterns.contains { words in words.allSatisfy { lowered.containsBytes(of: $0) } }
            || (image == "rclone.exe" && lowered.containsBytes(of: "copy"))
    }

    // MARK: Persistence

    /// `schtasks /create` or PowerShell's `Register-ScheduledTask`.
    static func createsScheduledTask(_ lowered: String, image: String) -> Bool {
        (image == "schtasks.exe" || lowered.containsBytes(of: "schtasks")) && lowered.containsBytes(of: "/create")
            || lowered.containsBytes(of: "register-scheduledtask")
    }

    /// `sc create` (on this host or `sc \\host create`) or PowerShell's `New-Service`.
    static func createsService(_ lowered: String, image: String) -> Bool {
        if lowered.containsBytes(of: "new-service ") { return true }
        guard image == "sc.exe" || lowered.containsBytes(of: "sc.exe ") || lowered.containsBytes(of: " sc ") else {
            return false
        }
        return lowered.containsBytes(of: " create ")
    }

    /// A registry path (lower case) whose values start programs at boot or logon.
    static func isAutostartKey(_ path: String) -> Bool {
        let runKeys = [
            "\\currentversion\\run\\", "\\currentversion\\runonce\\", "\\currentversion\\runonceex\\",
            "\\currentversion\\runservices\\", "\\currentversion\\runservicesonce\\",
            "\\currentversion\\policies\\explorer\\run\\",
        ]
        if runKeys.contains(where: { path.contains($0) }) { return true }
        return path.hasSuffix("\\currentversion\\winlogon\\userinit")
            || path.hasSuffix("\\currentversion\\winlogon\\shell")
            || path.hasSuffix("\\explorer\\user shell folders\\startup")
            || path.hasSuffix("\\explorer\\shell folders\\startup")
    }

    /// A key or value under `Schedule\TaskCache\Tree\`: a task registered.
    static func isTaskCacheKey(_ path: String) -> Bool {
        path.contains("\\schedule\\taskcache\\tree\\")
    }

    /// Groups whose members administer a host or the domain (English names and the well-known RIDs' names).
    static func isPrivilegedGroup(_ group: String?) -> Bool {
        guard let group = group?.lowercased() else { return false }
        return privilegedGroups.contains(group)
    }

    static let privilegedGroups: Set<String> = [
        "administrators", "domain admins", "enterprise admins", "schema admins", "account operators",
        "server operators", "backup operators", "print operators", "dnsadmins", "group policy creator owners",
        "remote desktop users", "remote management users", "hyper-v administrators", "enterprise key admins",
        "key admins", "administrateurs", "administradores", "administratoren",
    ]

    // MARK: Credential access

    /// Rights to read or write LSASS's memory, from a program that does not routinely need them; or any access from
    /// a program outside the system folders.
    static func isSuspiciousLSASSAccess(_ view: BehaviourEvent) -> Bool {
        guard baseName(view.string("process.target.executable")) == "lsass.exe", let source = view.image else {
            return false
        }
        let name = baseName(source)
        guard !lsassReaders.contains(name) else { return false }
        let mask = parseHex(view.string(ECSField.eventData("GrantedAccess"))) ?? 0
        return mask & 0x30 != 0 || !isSystemPath(source)
    }

    /// System and agent programs that open LSASS as part of their work (Sysmon's own configs exclude them).
    static let lsassReaders: Set<String> = [
        "wininit.exe", "csrss.exe", "services.exe", "svchost.exe", "lsm.exe", "wmiprvse.exe", "msmpeng.exe",
        "mssense.exe", "vmtoolsd.exe", "vboxservice.exe", "collectguestlogs.exe", "taskhostw.exe", "lsass.exe",
        "system",
    ]

    /// A memory dump of LSASS written to disk (`lsass.dmp`, `lsass_1234.dmp`: Task Manager, procdump, comsvcs).
    static func isLSASSDump(_ name: String?) -> Bool {
        guard let name = name?.lowercased() else { return false }
        return name.hasPrefix("lsass") && name.hasSuffix(".dmp")
    }

    /// A 4662 requesting a directory replication right, by an account that is not a machine account.
    static func isDCSync(_ view: BehaviourEvent) -> Bool {
        guard let user = view.user, !user.hasSuffix("$"),
            let properties = view.string(ECSField.eventData("Properties"))?.lowercased()
        else { return false }
        return replicationRights.contains { properties.contains($0) }
    }

    /// DS-Replication-Get-Changes, -Get-Changes-All and -Get-Changes-In-Filtered-Set.
    static let replicationRights = [
        "1131f6aa-9c07-11d1-f79f-00c04fc2dcd2", "1131f6ad-9c07-11d1-f79f-00c04fc2dcd2",
        "89e95b76-444d-4c62-991a-0facbeda640c",
    ]

    static func parseHex(_ text: String?) -> UInt64? {
        guard var text = text?.lowercased().trimming(" ") else { return nil }
        if text.hasPrefix("0x") { text.removeFirst(2) }
        return UInt64(text, radix: 16)
    }
}

extension String {
    fileprivate func trimming(_ set: String) -> String {
        var start = startIndex
        var end = endIndex
        while start < end, set.contains(self[start]) { start = index(after: start) }
        while end > start, set.contains(self[index(before: end)]) { end = index(before: end) }
        return String(self[start..<end])
    }
}
