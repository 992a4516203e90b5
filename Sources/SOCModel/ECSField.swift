/// The Elastic Common Schema field names socagent sets, in one place so parsers, stores and queries agree.
///
/// Every parser maps its input onto these names; Lucene queries, reports and the model all speak them.
public enum ECSField {
    public static let timestamp = "@timestamp"
    public static let message = "message"
    public static let tags = "tags"

    public static let eventCode = "event.code"
    public static let eventCategory = "event.category"
    public static let eventType = "event.type"
    public static let eventAction = "event.action"
    public static let eventOutcome = "event.outcome"
    public static let eventReason = "event.reason"
    public static let eventModule = "event.module"
    public static let eventDataset = "event.dataset"
    public static let eventProvider = "event.provider"
    public static let eventKind = "event.kind"
    public static let eventSeverity = "event.severity"
    public static let eventOriginal = "event.original"

    public static let hostName = "host.name"
    public static let hostIP = "host.ip"
    public static let userName = "user.name"
    public static let userDomain = "user.domain"
    public static let userID = "user.id"
    public static let userEmail = "user.email"
    public static let userTargetName = "user.target.name"
    public static let userTargetDomain = "user.target.domain"
    public static let groupName = "group.name"

    public static let sourceIP = "source.ip"
    public static let sourcePort = "source.port"
    public static let sourceDomain = "source.domain"
    public static let destinationIP = "destination.ip"
    public static let destinationPort = "destination.port"
    public static let destinationDomain = "destination.domain"
    public static let networkProtocol = "network.protocol"
    public static let networkTransport = "network.transport"
    public static let networkDirection = "network.direction"

    public static let processName = "process.name"
    public static let processPID = "process.pid"
    public static let processExecutable = "process.executable"
    public static let processCommandLine = "process.command_line"
    public static let processEntityID = "process.entity_id"
    public static let processWorkingDirectory = "process.working_directory"
    public static let processParentName = "process.parent.name"
    public static let processParentPID = "process.parent.pid"
    public static let processParentExecutable = "process.parent.executable"
    public static let processParentCommandLine = "process.parent.command_line"
    public static let processHashMD5 = "process.hash.md5"
    public static let processHashSHA1 = "process.hash.sha1"
    public static let processHashSHA256 = "process.hash.sha256"
    public static let processHashIMPHASH = "process.pe.imphash"

    public static let fileName = "file.name"
    public static let filePath = "file.path"
    public static let fileHashMD5 = "file.hash.md5"
    public static let fileHashSHA1 = "file.hash.sha1"
    public static let fileHashSHA256 = "file.hash.sha256"

    public static let serviceName = "service.name"
    public static let registryPath = "registry.path"
    public static let dnsQuestionName = "dns.question.name"
    public static let urlOriginal = "url.original"

    public static let logLevel = "log.level"
    public static let logFilePath = "log.file.path"
    public static let logSyslogFacility = "log.syslog.facility.name"
    public static let logSyslogPriority = "log.syslog.priority"
    public static let logSyslogAppName = "log.syslog.appname"

    public static let relatedIP = "related.ip"
    public static let relatedUser = "related.user"
    public static let relatedHash = "related.hash"
    public static let relatedHosts = "related.hosts"

    public static let winlogChannel = "winlog.channel"
    public static let winlogEventID = "winlog.event_id"
    public static let winlogRecordID = "winlog.record_id"
    public static let winlogComputerName = "winlog.computer_name"
    public static let winlogProviderName = "winlog.provider_name"
    public static let winlogLogonType = "winlog.logon.type"
    public static let winlogLogonFailureStatus = "winlog.logon.failure.status"
    public static let winlogLogonFailureSubStatus = "winlog.logon.failure.sub_status"
    public static let winlogLogonFailureReason = "winlog.logon.failure.reason"
    /// The prefix of the raw Windows event data fields: `winlog.event_data.<Name>`.
    public static let winlogEventDataPrefix = "winlog.event_data."

    /// The input format the event was parsed from (socagent's own field, such as `evtx-json` or `syslog`).
    public static let sourceFormat = "socagent.format"
    /// How many attempts a repeated syslog line (`message repeated 3 times: [ … ]`) stands for (socagent's own field).
    public static let repeatCount = "socagent.repeat_count"
    /// The repeat counts that are believed: a count outside this range, written by anyone who can log a line, must
    /// neither cancel real events (negative) nor overflow a sum; readers count such an event once.
    public static let repeatCountRange: ClosedRange<Int64> = 1...1_000_000

    /// The ECS name for a Windows event data field, with dots in hostile or odd names made safe. The common names'
    /// fields are built once and shared: an event's field names are then not allocated per event (parsing's hot path).
    public static func eventData(_ name: String) -> String {
        commonEventDataFields[name] ?? winlogEventDataPrefix + component(name)
    }

    /// `winlog.event_data.<Name>` for the event data names Security, Sysmon and PowerShell events carry most.
    private static let commonEventDataFields: [String: String] = Dictionary(
        uniqueKeysWithValues: [
            "ProcessId", "SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "Binary", "Data",
            "RuleName", "UtcTime", "ProcessGuid", "Image", "IpAddress", "IpPort", "LogonGuid", "User", "CommandLine",
            "ObjectType", "AccessMask", "AccessList", "Hashes", "FileVersion", "Description", "Product", "Company",
            "ShareName", "ShareLocalPath", "CurrentDirectory", "LogonId", "TerminalSessionId", "IntegrityLevel",
            "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "AccessReason",
            "RelativeTargetName", "ProcessName", "TargetUserName", "TargetDomainName", "Path", "MessageNumber",
            "MessageTotal", "ScriptBlockText", "ScriptBlockId", "TargetLogonGuid", "TargetServerName", "TargetInfo",
            "TargetUserSid", "TargetLogonId", "OriginalFileName", "EventType", "TargetObject", "Protocol", "SourcePort",
            "EnabledPrivilegeList", "DisabledPrivilegeList", "Details", "SourceProcessId", "SourceImage",
            "TargetProcessId", "TargetImage", "TargetFilename", "NewProcessId", "NewProcessName", "TokenElevationType",
            "CreationUtcTime", "Application", "SourceAddress", "FilterRTID", "LayerName", "LayerRTID", "Initiated",
            "SourceIsIpv6", "SourceIp", "SourceHostname", "SourcePortName", "DestinationIsIpv6", "DestinationIp",
            "DestinationHostname", "DestinationPort", "DestinationPortName", "ImageLoaded", "Signed", "Signature",
            "SignatureStatus", "SourceProcessGuid", "TargetProcessGuid", "NewThreadId", "StartAddress", "StartModule",
            "StartFunction", "ProcessID", "Direction", "DestAddress", "DestPort", "RemoteUserID", "RemoteMachineID",
            "param1", "param2", "PrivilegeList", "LogonType", "param3", "ObjectServer", "LogonProcessName",
            "TransmittedServices", "AuthenticationPackageName", "WorkstationName", "LmPackageName", "KeyLength",
            "ImpersonationLevel", "Status", "SourceProcessGUID", "SourceThreadId", "TargetProcessGUID", "GrantedAccess",
            "CallTrace", "ExtraInfo", "ObjectName", "HandleId", "RestrictedAdminMode", "ParentProcessName",
            "MandatoryLabel", "ElevatedToken", "VirtualAccount", "ServiceName", "ServiceFileName", "ImagePath",
            "AccountName", "ClientAddress", "FailureReason", "SubStatus", "TicketOptions", "TicketEncryptionType",
            "PreAuthType", "ServiceSid", "ContextInfo", "HostApplication", "Payload", "QueryName", "QueryResults",
            "PipeName", "MemberName", "MemberSid", "PackageName", "Workstation",
        ].map { ($0, winlogEventDataPrefix + $0) }
    )

    /// A name made safe for use as one component of a dotted field name: dots become underscores, so a hostile
    /// name such as `a.b` cannot reach into another field's path.
    public static func component(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: ".")) else { return name }
        return String(String.UnicodeScalarView(name.unicodeScalars.map { $0 == "." ? "_" : $0 }))
    }
}
