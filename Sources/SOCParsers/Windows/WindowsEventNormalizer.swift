public import SOCModel

/// Maps a ``WindowsEventRecord`` onto ECS fields: the single place where Windows event semantics live.
///
/// The mapping follows what Elastic's Winlogbeat ingest pipeline produces for the same events (so analysts who know
/// Elastic Security find the fields where they expect them) and covers authentication (4624, 4625, 4634, 4647,
/// 4648, 4768, 4769, 4771, 4776), process creation (4688, Sysmon 1), network connections (Sysmon 3, 5156, 5157),
/// account and group management (4720–4767), services (4697, 7045), scheduled tasks (4698–4702), log clearing
/// (1102, 104), share access (5140, 5145), PowerShell (4103, 4104, 400, 800) and the other Sysmon events.
public enum WindowsEventNormalizer {
    /// Builds the ECS event for a record.
    /// - Parameters:
    ///   - record: The Windows event.
    ///   - id: The event's stable identifier.
    ///   - original: The record as read.
    ///   - format: The input format, recorded in `socagent.format`.
    public static func makeEvent(
        _ record: WindowsEventRecord,
        id: EventIdentifier,
        original: String,
        format: LogFormat
    ) -> SecurityEvent {
        var event = SecurityEvent(id: id, timestamp: record.timestamp, original: original)
        event[ECSField.sourceFormat] = .string(format.name)
        event[ECSField.eventCode] = .string(String(record.eventID))
        event[ECSField.winlogEventID] = .string(String(record.eventID))
        event[ECSField.eventKind] = .string("event")
        event.set(ECSField.winlogChannel, record.channel)
        event.set(ECSField.winlogProviderName, record.provider)
        event.set(ECSField.eventProvider, record.provider)
        event.set(ECSField.winlogComputerName, record.computer)
        event.set(ECSField.hostName, record.computer)
        event.set(ECSField.message, record.message)
        if let recordID = record.recordID { event[ECSField.winlogRecordID] = .integer(recordID) }
        if let level = record.level { event.set(ECSField.logLevel, levelName(level)) }
        for field in record.eventData where !field.value.isEmpty {
            event[ECSField.eventData(field.name)] = .string(field.value)
        }
        let source = Source(channel: record.channel, provider: record.provider)
        event.set(ECSField.eventModule, source.module)
        if source.isSysmon {
            mapSysmon(record, into: &event)
        } else {
            mapEvent(record, source: source, into: &event)
        }
        if event[ECSField.userID] == nil, event[ECSField.userName] == nil { event.set(ECSField.userID, record.userSID) }
        addRelated(&event)
        event.completeClassification(fallbackAction: "event-\(record.eventID)")
        return event
    }

    struct Source {
        let isSysmon: Bool
        let isSecurity: Bool
        let isSystem: Bool
        let isPowerShell: Bool
        let module: String?

        init(channel: String?, provider: String?) {
            let channel = channel ?? ""
            let provider = provider ?? ""
            isSysmon = channel.asciiCaseInsensitiveContains("sysmon") || provider.asciiCaseInsensitiveContains("sysmon")
            isSecurity =
                channel.asciiCaseInsensitiveEquals("security")
                || provider.asciiCaseInsensitiveEquals("microsoft-windows-security-auditing")
                || provider.asciiCaseInsensitiveEquals("microsoft-windows-eventlog")
            isSystem = channel.asciiCaseInsensitiveEquals("system")
            isPowerShell =
                channel.asciiCaseInsensitiveContains("powershell")
                || provider.asciiCaseInsensitiveContains("powershell")
            module =
                isSysmon
                ? "sysmon"
                : isSecurity
                    ? "security"
                    : isPowerShell
                        ? "powershell"
                        : isSystem
                            ? "system"
                            : channel.isEmpty ? nil : "windows"
        }
    }

    // MARK: - Security, System, PowerShell

    private static func mapEvent(_ record: WindowsEventRecord, source: Source, into event: inout SecurityEvent) {
        let d = record.data
        // Each event id carries its own `where`: in `case 1, 2 where c`, Swift applies `c` to the last id only.
        let security = source.isSecurity
        let securityOrBare = source.isSecurity || record.channel == nil
        let powerShell = source.isPowerShell
        switch record.eventID {
        case 4624 where securityOrBare, 4625 where securityOrBare, 4634 where securityOrBare,
            4647 where securityOrBare, 4648 where securityOrBare:
            mapLogon(record, into: &event)
        case 4768 where securityOrBare, 4769 where securityOrBare, 4770 where securityOrBare,
            4771 where securityOrBare, 4772 where securityOrBare, 4773 where securityOrBare,
            4776 where securityOrBare, 4777 where securityOrBare:
            mapCredentialValidation(record, into: &event)
        case 4688 where securityOrBare:
            categorize(&event, "process", "start", action: "created-process", outcome: "success")
            setProcess(&event, executable: d("NewProcessName"), pid: d("NewProcessId"), commandLine: d("CommandLine"))
            setParent(&event, executable: d("ParentProcessName"), pid: d("ProcessId"), commandLine: nil)
            setSubject(record, into: &event)
        case 4689 where security:
            categorize(&event, "process", "end", action: "exited-process", outcome: "success")
            setProcess(&event, executable: d("ProcessName"), pid: d("ProcessId"), commandLine: nil)
            setSubject(record, into: &event)
        case 4720 where security, 4722 where security, 4723 where security, 4724 where security, 4725 where security,
            4726 where security, 4738 where security, 4740 where security, 4741 where security, 4742 where security,
            4743 where security, 4767 where security, 4781 where security:
            let (type, action) = accountAction(record.eventID)
            categorize(&event, "iam", type, action: action, outcome: "success")
            setSubject(record, into: &event)
            event.set(ECSField.userTargetName, d("TargetUserName"))
            event.set(ECSField.userTargetDomain, d("TargetDomainName"))
        case 4727 where security, 4728 where security, 4729 where security, 4730 where security, 4731 where security,
            4732 where security, 4733 where security, 4734 where security, 4735 where security, 4737 where security,
            4754 where security, 4755 where security, 4756 where security, 4757 where security, 4758 where security,
            4764 where security:
            let added = [4728, 4732, 4756].contains(record.eventID)
            let removed = [4729, 4733, 4757].contains(record.eventID)
            categorize(
                &event,
                "iam",
                "group",
                action: added ? "added-member-to-group" : removed ? "removed-member-from-group" : "modified-group",
                outcome: "success"
            )
            setSubject(record, into: &event)
            event.set(ECSField.groupName, d("TargetUserName"))
            if let member = d("MemberName"), !SecurityEvent.isPlaceholder(member) {
                event.set(ECSField.userTargetName, commonName(member))
            } else {
                event.set(ECSField.userTargetName, d("MemberSid"))
            }
        case 4672 where security:
            categorize(&event, "iam", "admin", action: "logged-in-special", outcome: "success")
            setSubject(record, into: &event)
        case 4697 where security:
            categorize(&event, "configuration", "creation", action: "service-installed", outcome: "success")
            setSubject(record, into: &event)
            event.set(ECSField.serviceName, d("ServiceName"))
            event.set(ECSField.filePath, d("ServiceFileName"))
        case 7045 where source.isSystem || record.provider?.contains("Service Control Manager") == true:
            categorize(&event, "configuration", "creation", action: "service-installed", outcome: "success")
            event.set(ECSField.serviceName, d("ServiceName"))
            event.set(ECSField.filePath, d("ImagePath"))
            event.set(ECSField.userName, d("AccountName"))
        case 4698 where security, 4699 where security, 4700 where security, 4701 where security, 4702 where security:
            let action = [
                "scheduled-task-created", "scheduled-task-deleted", "scheduled-task-enabled", "scheduled-task-disabled",
                "scheduled-task-updated",
            ][record.eventID - 4698]
            categorize(
                &event,
                "configuration",
                record.eventID == 4699 ? "deletion" : record.eventID == 4698 ? "creation" : "change",
                action: action,
                outcome: "success"
            )
            setSubject(record, into: &event)
        case 1102 where security:
            categorize(&event, "configuration", "deletion", action: "audit-log-cleared", outcome: "success")
            setSubject(record, into: &event)
        case 104 where source.isSystem:
            categorize(&event, "configuration", "deletion", action: "log-cleared", outcome: "success")
            event.set(ECSField.userName, d("SubjectUserName"))
            event.set(ECSField.userDomain, d("SubjectDomainName"))
        case 4719 where security, 4739 where security, 4706 where security, 4707 where security, 4713 where security,
            4716 where security, 4817 where security, 4902 where security, 4904 where security, 4905 where security,
            4906 where security, 4907 where security, 4912 where security:
            categorize(&event, "configuration", "change", action: "policy-changed", outcome: "success")
            setSubject(record, into: &event)
        case 5140 where security, 5145 where security:
            categorize(
                &event,
                "network",
                "access",
                action: record.eventID == 5140 ? "network-share-accessed" : "network-share-object-checked",
                outcome: "success"
            )
            event.categoryAppend("file")
            setSubject(record, into: &event)
            setIP(&event, ECSField.sourceIP, d("IpAddress"))
            if let port = d("IpPort").flatMap(parseInteger), port > 0 { event[ECSField.sourcePort] = .integer(port) }
            if let share = d("ShareName"), !SecurityEvent.isPlaceholder(share) {
                let target = d("RelativeTargetName").map { share + "\\" + $0 } ?? share
                event.set(ECSField.filePath, target)
            }
        case 5156 where security, 5157 where security, 5158 where security:
            mapFilteringPlatform(record, into: &event)
        case 4104 where powerShell, 4103 where powerShell, 4105 where powerShell, 4106 where powerShell:
            categorize(
                &event,
                "process",
                "info",
                action: record.eventID == 4104 ? "script-block-logged" : "pipeline-executed",
                outcome: nil
            )
            mapPowerShellHost(d("ContextInfo"), into: &event)
        case 400 where powerShell, 403 where powerShell, 600 where powerShell, 800 where powerShell:
            categorize(
                &event,
                "process",
                record.eventID == 403 ? "end" : "start",
                action: record.eventID == 800 ? "pipeline-executed" : "engine-state-changed",
                outcome: nil
            )
            mapPowerShellHost(d("HostApplication") ?? d("Data") ?? record.message, into: &event)
        case 4657 where security, 4663 where security, 4656 where security, 4658 where security, 4660 where security,
            4661 where security, 4662 where security, 4670 where security:
            categorize(
                &event,
                "file",
                "access",
                action: "object-accessed",
                outcome: record.eventID == 4656 && d("AccessMask") == nil ? nil : "success"
            )
            setSubject(record, into: &event)
            event.set(ECSField.filePath, d("ObjectName"))
            setProcess(&event, executable: d("ProcessName"), pid: d("ProcessId"), commandLine: nil)
        default:
            if source.isSecurity { setSubject(record, into: &event) }
            if let user = d("TargetUserName") ?? d("UserName") ?? d("AccountName") {
                event.setIfMissing(ECSField.userName, user)
            }
            setIP(&event, ECSField.sourceIP, d("IpAddress") ?? d("ClientAddress") ?? d("SourceAddress"))
        }
    }

    private static func mapLogon(_ record: WindowsEventRecord, into event: inout SecurityEvent) {
        let d = record.data
        switch record.eventID {
        case 4624: categorize(&event, "authentication", "start", action: "logged-in", outcome: "success")
        case 4625: categorize(&event, "authentication", "start", action: "logon-failed", outcome: "failure")
        case 4648: categorize(&event, "authentication", "start", action: "logged-in-explicit", outcome: "success")
        default: categorize(&event, "authentication", "end", action: "logged-out", outcome: "success")
        }
        if record.eventID == 4648 {
            // As for 4624/4625, `user` is the account being authenticated: here the explicit credentials
            // (TargetUserName), which is what a password spray cycles through. The calling account stays in
            // winlog.event_data.SubjectUserName and in user.effective.
            event.set(ECSField.userName, d("TargetUserName"))
            event.set(ECSField.userDomain, d("TargetDomainName"))
            event.set("user.effective.name", d("SubjectUserName"))
            event.set("user.effective.domain", d("SubjectDomainName"))
            event.set(ECSField.destinationDomain, d("TargetServerName"))
        } else {
            event.set(ECSField.userName, d("TargetUserName"))
            event.set(ECSField.userDomain, d("TargetDomainName"))
            event.set(ECSField.userID, d("TargetUserSid"))
        }
        setIP(&event, ECSField.sourceIP, d("IpAddress"))
        if let port = d("IpPort").flatMap(parseInteger), port > 0 { event[ECSField.sourcePort] = .integer(port) }
        event.set(ECSField.sourceDomain, d("WorkstationName"))
        if let type = d("LogonType") {
            event.set(ECSField.winlogLogonType, logonTypeName(type))
        }
        setProcess(&event, executable: d("ProcessName"), pid: d("ProcessId"), commandLine: nil)
        if record.eventID == 4625 {
            let status = d("Status")
            let subStatus = d("SubStatus")
            event.set(ECSField.winlogLogonFailureStatus, status)
            event.set(ECSField.winlogLogonFailureSubStatus, subStatus)
            let reason =
                subStatus.flatMap(ntStatusReason) ?? status.flatMap(ntStatusReason)
                ?? d("FailureReason").flatMap(failureReasonText)
            event.set(ECSField.winlogLogonFailureReason, reason)
            event.set(ECSField.eventReason, reason)
        }
    }

    private static func mapCredentialValidation(_ record: WindowsEventRecord, into event: inout SecurityEvent) {
        let d = record.data
        let status = d("Status") ?? d("FailureCode")
        let failed =
            record.eventID == 4771 || record.eventID == 4772 || record.eventID == 4773 || record.eventID == 4777
            || (status.map { !isSuccessStatus($0) } ?? false)
        let action: String
        switch record.eventID {
        case 4768, 4772: action = "kerberos-authentication-ticket-requested"
        case 4769, 4773: action = "kerberos-service-ticket-requested"
        case 4770: action = "kerberos-service-ticket-renewed"
        case 4771: action = "kerberos-preauth-failed"
        default: action = "credential-validated"
        }
        categorize(&event, "authentication", "start", action: action, outcome: failed ? "failure" : "success")
        event.set(ECSField.userName, d("TargetUserName").map { $0.split(separator: "@").first.map(String.init) ?? $0 })
        event.set(ECSField.userDomain, d("TargetDomainName"))
        event.set(ECSField.userID, d("TargetSid"))
        setIP(&event, ECSField.sourceIP, d("IpAddress"))
        if let port = d("IpPort").flatMap(parseInteger), port > 0 { event[ECSField.sourcePort] = .integer(port) }
        event.set(ECSField.sourceDomain, d("Workstation"))
        event.set(ECSField.serviceName, d("ServiceName"))
        if failed, let status {
            event.set(ECSField.winlogLogonFailureStatus, status)
            let reason = record.eventID == 4776 ? ntStatusReason(status) : kerberosReason(status)
            event.set(ECSField.winlogLogonFailureReason, reason)
            event.set(ECSField.eventReason, reason)
        }
    }

    private static func mapFilteringPlatform(_ record: WindowsEventRecord, into event: inout SecurityEvent) {
        let d = record.data
        categorize(
            &event,
            "network",
            "connection",
            action: record.eventID == 5156
                ? "network-connection-allowed"
                : record.eventID == 5157 ? "network-connection-blocked" : "network-bind-allowed",
            outcome: record.eventID == 5157 ? "failure" : "success"
        )
        let direction = d("Direction")
        let outbound = direction == "%%14593" || direction?.lowercased() == "outbound"
        let inbound = direction == "%%14592" || direction?.lowercased() == "inbound"
        if outbound { event[ECSField.networkDirection] = .string("egress") }
        if inbound { event[ECSField.networkDirection] = .string("ingress") }
        setIP(&event, ECSField.sourceIP, d("SourceAddress"))
        setIP(&event, ECSField.destinationIP, d("DestAddress"))
        if let port = d("SourcePort").flatMap(parseInteger) { event[ECSField.sourcePort] = .integer(port) }
        if let port = d("DestPort").flatMap(parseInteger) { event[ECSField.destinationPort] = .integer(port) }
        event.set(ECSField.networkTransport, d("Protocol").flatMap(protocolName))
        setProcess(&event, executable: d("Application"), pid: d("ProcessID") ?? d("ProcessId"), commandLine: nil)
    }

    private static func mapPowerShellHost(_ context: String?, into event: inout SecurityEvent) {
        guard let context else { return }
        // ContextInfo / HostApplication lines such as "Host Application = powershell.exe -enc …".
        for line in context.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = line.trimmingCharacters(in: " \t")
            if let range = trimmed.firstRange(of: "Host Application = ") ?? trimmed.firstRange(of: "HostApplication=") {
                let commandLine = String(trimmed[range.upperBound...])
                event.setIfMissing(ECSField.processCommandLine, commandLine)
                return
            }
        }
    }

    // MARK: - Sysmon

    private static func mapSysmon(_ record: WindowsEventRecord, into event: inout SecurityEvent) {
        let d = record.data
        if let user = d("User") { setDomainUser(&event, user) }
        event.set(ECSField.processEntityID, d("ProcessGuid"))
        event.set("rule.name", d("RuleName"))
        switch record.eventID {
        case 1:
            categorize(&event, "process", "start", action: "process-created", outcome: "success")
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: d("CommandLine"))
            setParent(
                &event,
                executable: d("ParentImage"),
                pid: d("ParentProcessId"),
                commandLine: d("ParentCommandLine")
            )
            event.set(ECSField.processWorkingDirectory, d("CurrentDirectory"))
            event.set("process.parent.entity_id", d("ParentProcessGuid"))
            setHashes(&event, d("Hashes"), prefix: "process")
        case 2:
            categorize(&event, "file", "change", action: "file-creation-time-changed", outcome: "success")
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            setFile(&event, d("TargetFilename"))
        case 3:
            categorize(&event, "network", "connection", action: "network-connection", outcome: nil)
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            setIP(&event, ECSField.sourceIP, d("SourceIp"))
            event.set(ECSField.sourceDomain, d("SourceHostname"))
            setIP(&event, ECSField.destinationIP, d("DestinationIp"))
            event.set(ECSField.destinationDomain, d("DestinationHostname"))
            if let port = d("SourcePort").flatMap(parseInteger) { event[ECSField.sourcePort] = .integer(port) }
            if let port = d("DestinationPort").flatMap(parseInteger) {
                event[ECSField.destinationPort] = .integer(port)
            }
            event.set(ECSField.networkTransport, d("Protocol")?.lowercased())
            event.set(ECSField.networkProtocol, d("DestinationPortName"))
            if let initiated = d("Initiated")?.lowercased() {
                event[ECSField.networkDirection] = .string(initiated == "true" ? "egress" : "ingress")
            }
        case 5:
            categorize(&event, "process", "end", action: "process-terminated", outcome: "success")
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
        case 6:
            categorize(&event, "driver", "start", action: "driver-loaded", outcome: "success")
            setFile(&event, d("ImageLoaded"))
            setHashes(&event, d("Hashes"), prefix: "file")
        case 7:
            categorize(&event, "process", "change", action: "image-loaded", outcome: "success")
            event.categoryAppend("library")
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            setFile(&event, d("ImageLoaded"))
            setHashes(&event, d("Hashes"), prefix: "file")
        case 8:
            categorize(&event, "process", "change", action: "remote-thread-created", outcome: "success")
            setProcess(&event, executable: d("SourceImage"), pid: d("SourceProcessId"), commandLine: nil)
            event.set("process.target.executable", d("TargetImage"))
        case 10:
            categorize(&event, "process", "access", action: "process-accessed", outcome: "success")
            setProcess(&event, executable: d("SourceImage"), pid: d("SourceProcessId"), commandLine: nil)
            event.set("process.target.executable", d("TargetImage"))
            event.set("process.target.name", d("TargetImage").map(baseName))
            if let user = d("SourceUser") { setDomainUser(&event, user) }
        case 11, 23, 26:
            categorize(
                &event,
                "file",
                record.eventID == 11 ? "creation" : "deletion",
                action: record.eventID == 11 ? "file-created" : "file-deleted",
                outcome: "success"
            )
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            setFile(&event, d("TargetFilename"))
            setHashes(&event, d("Hashes"), prefix: "file")
        case 12, 13, 14:
            categorize(
                &event,
                "registry",
                "change",
                action: ["registry-key-created-or-deleted", "registry-value-set", "registry-key-renamed"][
                    record.eventID - 12
                ],
                outcome: "success"
            )
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            event.set(ECSField.registryPath, d("TargetObject"))
            event.set("registry.data.strings", d("Details"))
        case 15:
            categorize(&event, "file", "creation", action: "file-stream-created", outcome: "success")
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            setFile(&event, d("TargetFilename"))
            setHashes(&event, d("Hash") ?? d("Hashes"), prefix: "file")
        case 17, 18:
            categorize(
                &event,
                "file",
                record.eventID == 17 ? "creation" : "access",
                action: record.eventID == 17 ? "pipe-created" : "pipe-connected",
                outcome: "success"
            )
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            event.set(ECSField.fileName, d("PipeName"))
        case 22:
            categorize(&event, "network", "info", action: "dns-query", outcome: nil)
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
            event.set(ECSField.dnsQuestionName, d("QueryName"))
        default:
            categorize(&event, "configuration", "info", action: "sysmon-event", outcome: nil)
            setProcess(&event, executable: d("Image"), pid: d("ProcessId"), commandLine: nil)
        }
    }

    // MARK: - Field helpers

    private static func categorize(
        _ event: inout SecurityEvent,
        _ category: String,
        _ type: String,
        action: String,
        outcome: String?
    ) {
        event[ECSField.eventCategory] = .strings([category])
        event[ECSField.eventType] = .strings([type])
        event[ECSField.eventAction] = .string(action)
        if let outcome { event[ECSField.eventOutcome] = .string(outcome) }
    }

    /// The subject (the account that did the thing) of Security events: `user.*`.
    private static func setSubject(_ record: WindowsEventRecord, into event: inout SecurityEvent) {
        event.setIfMissing(ECSField.userName, record.data("SubjectUserName"))
        event.setIfMissing(ECSField.userDomain, record.data("SubjectDomainName"))
        event.setIfMissing(ECSField.userID, record.data("SubjectUserSid"))
    }

    private static func setProcess(
        _ event: inout SecurityEvent,
        executable: String?,
        pid: String?,
        commandLine: String?
    ) {
        if let executable, !SecurityEvent.isPlaceholder(executable) {
            event.setIfMissing(ECSField.processExecutable, executable)
            event.setIfMissing(ECSField.processName, baseName(executable))
        }
        if event[ECSField.processPID] == nil, let pid = pid.flatMap(parseInteger), pid > 0 {
            event[ECSField.processPID] = .integer(pid)
        }
        event.setIfMissing(ECSField.processCommandLine, commandLine)
    }

    private static func setParent(_ event: inout SecurityEvent, executable: String?, pid: String?, commandLine: String?)
    {
        if let executable, !SecurityEvent.isPlaceholder(executable) {
            event.set(ECSField.processParentExecutable, executable)
            event.set(ECSField.processParentName, baseName(executable))
        }
        if let pid = pid.flatMap(parseInteger) { event[ECSField.processParentPID] = .integer(pid) }
        event.set(ECSField.processParentCommandLine, commandLine)
    }

    private static func setFile(_ event: inout SecurityEvent, _ path: String?) {
        guard let path, !SecurityEvent.isPlaceholder(path) else { return }
        event.set(ECSField.filePath, path)
        event.set(ECSField.fileName, baseName(path))
    }

    /// Splits Sysmon's `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` into `<prefix>.hash.*`.
    private static func setHashes(_ event: inout SecurityEvent, _ hashes: String?, prefix: String) {
        guard let hashes else { return }
        for part in hashes.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let algorithm = pair[0].trimmingCharacters(in: " ").lowercased()
            let value = pair[1].trimmingCharacters(in: " ").lowercased()
            if algorithm == "imphash" {
                event.set(prefix + ".pe.imphash", value)
            } else if ["md5", "sha1", "sha256", "sha384", "sha512"].contains(algorithm) {
                event.set(prefix + ".hash." + algorithm, value)
            }
        }
    }

    /// Sets `user.domain` and `user.name` from `DOMAIN\user`.
    private static func setDomainUser(_ event: inout SecurityEvent, _ value: String) {
        guard !SecurityEvent.isPlaceholder(value) else { return }
        if let slash = value.firstIndex(of: "\\") {
            event.set(ECSField.userDomain, String(value[..<slash]))
            event.set(ECSField.userName, String(value[value.index(after: slash)...]))
        } else {
            event.set(ECSField.userName, value)
        }
    }

    /// Sets an IP field when the value is an address; `::ffff:` mapped IPv4 addresses are unwrapped.
    static func setIP(_ event: inout SecurityEvent, _ field: String, _ value: String?) {
        guard var value = value?.trimmingCharacters(in: " "), !SecurityEvent.isPlaceholder(value) else { return }
        if value.utf8.first == UInt8(ascii: ":"), value.lowercased().hasPrefix("::ffff:"),
            IPAddressText.isIPv4(value.dropFirst(7))
        {
            value = String(value.dropFirst(7))
        }
        if let address = IPAddress(value) {
            event[field] = .string(address.description)  // canonical, so every spelling of an address matches
        } else if field == ECSField.sourceIP {
            event.set("source.address", value)
        } else if field == ECSField.destinationIP {
            event.set("destination.address", value)
        }
    }

    /// Fills `related.ip`, `related.user` and `related.hash` from the fields already set.
    static func addRelated(_ event: inout SecurityEvent) {
        for (related, fields) in relatedSources { addRelated(&event, related, from: fields) }
    }

    /// Each `related.*` field and the fields it gathers, keyed once.
    private static let relatedSources: [(String, [FieldKey])] = [
        (ECSField.relatedIP, [ECSField.sourceIP, ECSField.destinationIP].map(FieldKey.init)),
        (ECSField.relatedUser, [ECSField.userName, "user.effective.name", ECSField.userTargetName].map(FieldKey.init)),
        (
            ECSField.relatedHash,
            [
                ECSField.processHashMD5, ECSField.processHashSHA1, ECSField.processHashSHA256, ECSField.fileHashMD5,
                ECSField.fileHashSHA1, ECSField.fileHashSHA256,
            ].map(FieldKey.init)
        ),
    ]

    private static func addRelated(_ event: inout SecurityEvent, _ related: String, from fields: [FieldKey]) {
        var values: [String] = []
        for field in fields {
            if let value = event.fields[field]?.stringValue, !values.contains(value) { values.append(value) }
        }
        guard !values.isEmpty else { return }
        if let existing = event[related]?.stringValues {
            for value in existing where !values.contains(value) { values.append(value) }
        }
        event[related] = .strings(values)
    }

    static func baseName(_ path: String) -> String {
        guard let separator = path.lastIndex(where: { $0 == "\\" || $0 == "/" }) else { return path }
        return String(path[path.index(after: separator)...])
    }

    private static func commonName(_ distinguishedName: String) -> String {
        guard distinguishedName.hasPrefix("CN="), let comma = distinguishedName.firstIndex(of: ",") else {
            return distinguishedName
        }
        return String(distinguishedName[distinguishedName.index(distinguishedName.startIndex, offsetBy: 3)..<comma])
    }

    private static func accountAction(_ eventID: Int) -> (String, String) {
        switch eventID {
        case 4720: ("creation", "added-user-account")
        case 4722: ("change", "enabled-user-account")
        case 4723: ("change", "changed-password")
        case 4724: ("change", "reset-password")
        case 4725: ("change", "disabled-user-account")
        case 4726: ("deletion", "deleted-user-account")
        case 4738: ("change", "modified-user-account")
        case 4740: ("change", "locked-out-user-account")
        case 4741: ("creation", "added-computer-account")
        case 4742: ("change", "changed-computer-account")
        case 4743: ("deletion", "deleted-computer-account")
        case 4767: ("change", "unlocked-user-account")
        default: ("change", "renamed-user-account")
        }
    }

    /// Winlogbeat's names for logon types (`3` → `Network`).
    static func logonTypeName(_ value: String) -> String {
        switch value.trimmingCharacters(in: " ") {
        case "2": "Interactive"
        case "3": "Network"
        case "4": "Batch"
        case "5": "Service"
        case "7": "Unlock"
        case "8": "NetworkCleartext"
        case "9": "NewCredentials"
        case "10": "RemoteInteractive"
        case "11": "CachedInteractive"
        case "12": "CachedRemoteInteractive"
        case "13": "CachedUnlock"
        default: value
        }
    }

    private static func levelName(_ level: String) -> String {
        switch level {
        case "0", "4": "information"
        case "1": "critical"
        case "2": "error"
        case "3": "warning"
        case "5": "verbose"
        default: level.lowercased()
        }
    }

    private static func protocolName(_ number: String) -> String? {
        switch number {
        case "1": "icmp"
        case "6": "tcp"
        case "17": "udp"
        case "58": "ipv6-icmp"
        default: number
        }
    }

    private static func isSuccessStatus(_ status: String) -> Bool {
        let value = status.lowercased()
        return value == "0x0" || value == "0" || value == "0x00000000"
    }

    /// What an NTSTATUS code in a 4625/4776 means, in the words analysts use.
    static func ntStatusReason(_ status: String) -> String? {
        switch status.lowercased() {
        case "0xc000006a": "wrong password"
        case "0xc0000064": "user name does not exist"
        case "0xc000006d": "bad user name or authentication information"
        case "0xc000006e": "account restriction"
        case "0xc000006f": "logon outside authorized hours"
        case "0xc0000070": "workstation restriction"
        case "0xc0000071": "password expired"
        case "0xc0000072": "account disabled"
        case "0xc000015b": "logon type not granted"
        case "0xc0000133": "clock skew between client and domain controller"
        case "0xc0000193": "account expired"
        case "0xc0000224": "password must change at next logon"
        case "0xc0000234": "account locked out"
        case "0xc000005e": "no logon servers available"
        case "0xc0000413": "authentication firewall prohibits logon"
        case "0xc0000371": "local account store does not contain secret material"
        default: nil
        }
    }

    private static func kerberosReason(_ status: String) -> String? {
        switch status.lowercased() {
        case "0x6": "client not found in Kerberos database (unknown user)"
        case "0x7": "server not found in Kerberos database"
        case "0x12": "client credentials revoked (account disabled, expired or locked out)"
        case "0x17": "password expired"
        case "0x18": "pre-authentication failed (wrong password)"
        case "0x25": "clock skew too great"
        default: nil
        }
    }

    private static func failureReasonText(_ code: String) -> String? {
        switch code {
        case "%%2313": "unknown user name or bad password"
        case "%%2304": "an error occurred during logon"
        case "%%2307": "account locked out"
        case "%%2310": "account disabled"
        case "%%2305": "account expired"
        case "%%2309": "password expired"
        case "%%2311": "account restriction"
        case "%%2312": "logon type not granted"
        default: SecurityEvent.isPlaceholder(code) ? nil : code
        }
    }
}

extension SecurityEvent {
    /// Adds a second category (`file` for share access, `library` for image loads).
    mutating func categoryAppend(_ category: String) {
        append(ECSField.eventCategory, category)
    }
}

extension String {
    /// Whether the string equals `other` ignoring ASCII case (`other` must be lowercase ASCII).
    func asciiCaseInsensitiveEquals(_ other: StaticString) -> Bool {
        guard utf8.count == other.utf8CodeUnitCount else { return false }
        var index = 0
        for byte in utf8 {
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if lower != other.utf8Start[index] { return false }
            index += 1
        }
        return true
    }

    /// Whether the string contains `needle` ignoring ASCII case (`needle` must be lowercase ASCII).
    func asciiCaseInsensitiveContains(_ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        let bytes = Array(utf8)
        guard bytes.count >= count else { return false }
        let first = needle.utf8Start[0]
        outer: for start in 0...(bytes.count - count) {
            guard bytes[start] | 0x20 == first else { continue }
            for offset in 1..<count {
                let byte = bytes[start + offset]
                let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                if lower != needle.utf8Start[offset] { continue outer }
            }
            return true
        }
        return false
    }
}

extension StringProtocol {
    /// The text without leading and trailing characters from `set` (ASCII characters).
    func trimmingCharacters(in set: String) -> String {
        let text = String(self)
        // Most values have nothing to trim: tell that from the first and last bytes.
        guard let first = text.utf8.first, let last = text.utf8.last,
            set.utf8.contains(first) || set.utf8.contains(last)
        else { return text }
        var start = text.startIndex
        var end = text.endIndex
        while start < end, set.contains(text[start]) { start = text.index(after: start) }
        while end > start, set.contains(text[text.index(before: end)]) { end = text.index(before: end) }
        return String(text[start..<end])
    }
}
