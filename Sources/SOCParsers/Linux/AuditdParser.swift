public import SOCModel

/// Parses Linux audit daemon records: `[node=H ]type=T msg=audit(1551485405.594:7507): key=value …`.
///
/// User and login records (`USER_AUTH`, `USER_LOGIN`, `USER_ACCT`, …) become authentication events with the outcome
/// from `res=`; `EXECVE` becomes a process event with its arguments joined into `process.command_line`; account
/// changes (`ADD_USER`, `ADD_GROUP`, …) become `iam` events.
public struct AuditdParser: LogParser {
    /// `auditd`.
    public let format = LogFormat.auditd
    /// Each record is read on its own.
    public var parsesRecordsIndependently: Bool { true }

    /// Creates a parser.
    public init() {}

    /// Parses one record.
    public mutating func parse(
        _ record: UnsafeRawBufferPointer,
        line: Int,
        context: inout ParseContext,
        into events: inout [SecurityEvent]
    ) throws(ParseError) {
        guard try validateTextRecord(record) else { return }
        let text = String(decoding: record, as: UTF8.self)
        let pairs = AuditdParser.keyValues(Substring(text))
        guard let type = pairs.first(where: { $0.0 == "type" })?.1,
            let stamp = pairs.first(where: { $0.0 == "msg" && $0.1.hasPrefix("audit(") })?.1
        else {
            throw ParseError("not an audit record (expected 'type=… msg=audit(…):')", column: 1)
        }
        let inside = stamp.dropFirst(6).prefix { $0 != ")" }
        let parts = inside.split(separator: ":")
        // `1e300`, `nan` and `inf` read as a Double too: only a finite instant in years 0–9999 is a time.
        guard let timestamp = parts.first.flatMap({ Double($0) }).flatMap(Timestamp.init(checkedSecondsSinceEpoch:))
        else {
            throw ParseError("invalid audit timestamp in msg=audit(…)")
        }
        var event = SecurityEvent(
            id: context.identifier(for: record),
            timestamp: timestamp,
            original: text
        )
        event[ECSField.sourceFormat] = .string(format.name)
        event[ECSField.eventModule] = .string("auditd")
        event[ECSField.eventKind] = .string("event")
        event.set(ECSField.logFilePath, context.path)
        event.set("auditd.log.record_type", type)
        if parts.count > 1 { event.set("auditd.log.sequence", String(parts[1])) }
        var values: [String: String] = [:]
        for (key, value) in pairs where key != "type" && !(key == "msg" && value.hasPrefix("audit(")) {
            values[key] = value
            event.set("auditd.log." + ECSField.component(key), value)
        }
        event.set(
            ECSField.hostName,
            values["node"] ?? values["hostname"].flatMap { IPAddressText.isIP($0) || $0 == "?" ? nil : $0 }
        )
        event.set(ECSField.userName, values["acct"])
        if let exe = values["exe"], exe != "?" {
            event.set(ECSField.processExecutable, exe)
            event.set(ECSField.processName, WindowsEventNormalizer.baseName(exe))
        }
        if let pid = values["pid"].flatMap({ Int64($0) }) { event[ECSField.processPID] = .integer(pid) }
        if let addr = values["addr"], addr != "?" { WindowsEventNormalizer.setIP(&event, ECSField.sourceIP, addr) }
        let outcome = values["res"].map { $0 == "success" || $0 == "1" || $0 == "yes" ? "success" : "failure" }
        switch type {
        case "USER_AUTH", "USER_LOGIN", "USER_ACCT", "USER_ERR", "USER_CMD", "CRED_ACQ", "ANOM_LOGIN_FAILURES":
            event[ECSField.eventCategory] = .strings(["authentication"])
            event[ECSField.eventType] = .strings(["start"])
            event[ECSField.eventAction] = .string(type.lowercased())
            if let outcome { event[ECSField.eventOutcome] = .string(outcome) }
        case "USER_START", "USER_END", "LOGIN", "CRED_DISP", "CRED_REFR":
            event[ECSField.eventCategory] = .strings(["session"])
            event[ECSField.eventType] = .strings([type == "USER_END" || type == "CRED_DISP" ? "end" : "start"])
            event[ECSField.eventAction] = .string(type.lowercased())
            if let outcome { event[ECSField.eventOutcome] = .string(outcome) }
        case "EXECVE":
            event[ECSField.eventCategory] = .strings(["process"])
            event[ECSField.eventType] = .strings(["start"])
            event[ECSField.eventAction] = .string("executed")
            var arguments: [String] = []
            var index = 0
            while let argument = values["a\(index)"] {
                arguments.append(AuditdParser.decodeHexArgument(argument))
                index += 1
            }
            if !arguments.isEmpty { event[ECSField.processCommandLine] = .string(arguments.joined(separator: " ")) }
        case "SYSCALL":
            event[ECSField.eventCategory] = .strings(["process"])
            event[ECSField.eventType] = .strings(["info"])
            event[ECSField.eventAction] = .string("syscall")
            if let outcome = values["success"] {
                event[ECSField.eventOutcome] = .string(outcome == "yes" ? "success" : "failure")
            }
        case "ADD_USER", "DEL_USER", "ADD_GROUP", "DEL_GROUP", "USER_MGMT", "GRP_MGMT", "USER_CHAUTHTOK":
            event[ECSField.eventCategory] = .strings(["iam"])
            event[ECSField.eventType] = .strings([
                type.hasPrefix("ADD") ? "creation" : type.hasPrefix("DEL") ? "deletion" : "change"
            ])
            event[ECSField.eventAction] = .string(type.lowercased())
            if let outcome { event[ECSField.eventOutcome] = .string(outcome) }
        case "CONFIG_CHANGE", "DAEMON_START", "DAEMON_END", "SERVICE_START", "SERVICE_STOP":
            event[ECSField.eventCategory] = .strings(["configuration"])
            event[ECSField.eventType] = .strings(["change"])
            event[ECSField.eventAction] = .string(type.lowercased())
        default:
            event[ECSField.eventAction] = .string(type.lowercased())
        }
        event.set(ECSField.message, text)
        WindowsEventNormalizer.addRelated(&event)
        event.completeClassification(fallbackAction: type.lowercased())
        events.append(event)
    }

    /// `key=value` pairs, with `"quoted values"` and the nested `msg='…'` of user records flattened in.
    static func keyValues(_ text: Substring) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var rest = text[...]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "'" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = String(rest[..<equals]).trimmingCharacters(in: " :")
            rest = rest[rest.index(after: equals)...]
            var value: Substring
            if rest.first == "\"" {
                let body = rest.dropFirst()
                let end = body.firstIndex(of: "\"") ?? body.endIndex
                value = body[..<end]
                rest = end < body.endIndex ? body[body.index(after: end)...] : body[end...]
            } else if rest.first == "'" {
                // msg='op=… acct="root" res=failed': its pairs are read as top-level pairs.
                rest = rest.dropFirst()
                continue
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = rest[..<end]
                rest = rest[end...]
            }
            if value.hasSuffix("'") { value = value.dropLast() }
            if value.hasSuffix(":") && key == "msg" { value = value.dropLast() }
            if !key.isEmpty && !key.contains(" ") { pairs.append((key, String(value))) }
        }
        return pairs
    }

    /// EXECVE arguments with spaces are written as hex; decode them when they are.
    static func decodeHexArgument(_ value: String) -> String {
        guard value.count >= 2, value.count % 2 == 0, value.allSatisfy(\.isHexDigit) else { return value }
        var bytes: [UInt8] = []
        var index = value.startIndex
        while index < value.endIndex {
            let next = value.index(index, offsetBy: 2)
            guard let byte = UInt8(value[index..<next], radix: 16) else { return value }
            bytes.append(byte)
            index = next
        }
        guard let text = String(validating: bytes, as: UTF8.self),
            text.allSatisfy({ !$0.isASCII || ($0.asciiValue ?? 0x20) >= 0x20 })
        else {
            return value
        }
        return text
    }
}
