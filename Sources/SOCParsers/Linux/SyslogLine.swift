public import SOCModel

/// The header of a syslog line: RFC 3164 (`Feb  4 10:15:23 host sshd[42]: …`), RFC 5424
/// (`<34>1 2024-02-04T10:15:23Z host sshd 42 - - …`) or rsyslog's ISO timestamps, with an optional `<PRI>`.
public struct SyslogLine: Sendable {
    /// When the line was logged.
    public var timestamp: Timestamp
    /// Whether the year was inferred (RFC 3164 lines have none).
    public var yearWasInferred: Bool
    /// The host name field.
    public var host: String?
    /// The program (tag), such as `sshd` or `sshd(pam_unix)`.
    public var program: String
    /// The process id in `tag[pid]`.
    public var pid: Int64?
    /// The text after the tag.
    public var message: String
    /// The `<PRI>` value, when present.
    public var priority: Int?

    /// Parses a line; `nil` when it does not start like syslog.
    public static func parse(_ line: String, context: ParseContext) -> SyslogLine? {
        var line = line
        return line.withUTF8 { parse(UnsafeRawBufferPointer($0), context: context) }
    }

    /// Parses a line's bytes; `nil` when it does not start like syslog.
    public static func parse(_ bytes: UnsafeRawBufferPointer, context: ParseContext) -> SyslogLine? {
        var position = 0
        var priority: Int?
        if bytes.count > 2, bytes[0] == UInt8(ascii: "<") {
            var value = 0
            var index = 1
            while index < min(bytes.count, 5), isDigit(bytes[index]) {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
            }
            guard index > 1, index < bytes.count, bytes[index] == UInt8(ascii: ">") else { return nil }
            priority = value
            position = index + 1
            // RFC 5424: a version number follows the priority.
            if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "1"), bytes[position + 1] == 0x20 {
                return rfc5424(bytes, from: position + 2, priority: priority)
            }
        }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
        let year = context.yearForSyslogTimestamp(rest)
        guard let match = TimestampParser.prefix(rest, year: year, allowEpoch: false) else { return nil }
        position += match.length
        var fields = Fields(bytes: bytes, position: position)
        fields.skipSpaces()
        guard let host = fields.token() else { return nil }
        fields.skipSpaces()
        let tagStart = fields.position
        let (program, pid, messageStart) = tag(bytes, from: tagStart)
        let message = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[messageStart...]), as: UTF8.self)
        return SyslogLine(
            timestamp: match.timestamp,
            yearWasInferred: match.yearWasInferred,
            host: host == "-" ? nil : host,
            program: program,
            pid: pid,
            message: message,
            priority: priority
        )
    }

    /// Reads `program[pid]: ` or `program: `; without a colon the whole rest is the message.
    private static func tag(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (String, Int64?, Int) {
        var index = start
        var bracket: Int?
        while index < bytes.count, index - start < 64 {
            let byte = bytes[index]
            if byte == UInt8(ascii: "[") && bracket == nil { bracket = index }
            if byte == UInt8(ascii: ":") {
                let programEnd = bracket ?? index
                let program = String(
                    decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<programEnd]),
                    as: UTF8.self
                )
                var pid: Int64?
                if let bracket {
                    var value: Int64 = 0
                    var digits = 0
                    var cursor = bracket + 1
                    while cursor < index, isDigit(bytes[cursor]) {
                        // Past 18 digits the value could overflow: such a pid is no pid (left out).
                        if digits < 18 { value = value * 10 + Int64(bytes[cursor] - 0x30) }
                        digits += 1
                        cursor += 1
                    }
                    if (1...18).contains(digits) { pid = value }
                }
                var messageStart = index + 1
                while messageStart < bytes.count, bytes[messageStart] == 0x20 { messageStart += 1 }
                return (program, pid, messageStart)
            }
            if byte == 0x20 && bracket == nil { break }
            index += 1
        }
        return ("", nil, start)
    }

    private static func rfc5424(_ bytes: UnsafeRawBufferPointer, from start: Int, priority: Int?) -> SyslogLine? {
        var fields = Fields(bytes: bytes, position: start)
        guard let time = fields.token(), let host = fields.token(), let app = fields.token(),
            let procID = fields.token(),
            fields.token() != nil
        else { return nil }
        let timestamp = time == "-" ? nil : TimestampParser.parse(time)
        guard let timestamp else { return nil }
        fields.skipSpaces()
        // Structured data: "-" or one or more [id k="v"] elements.
        if fields.position < bytes.count, bytes[fields.position] == UInt8(ascii: "-") {
            fields.position += 1
        } else {
            while fields.position < bytes.count, bytes[fields.position] == UInt8(ascii: "[") {
                var escaped = false
                var inQuotes = false
                while fields.position < bytes.count {
                    let byte = bytes[fields.position]
                    fields.position += 1
                    if escaped {
                        escaped = false
                        continue
                    }
                    if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inQuotes.toggle()
                    } else if byte == UInt8(ascii: "]") && !inQuotes {
                        break
                    }
                }
            }
        }
        fields.skipSpaces()
        var messageStart = fields.position
        if messageStart + 2 < bytes.count, bytes[messageStart] == 0xEF, bytes[messageStart + 1] == 0xBB,
            bytes[messageStart + 2] == 0xBF
        {
            messageStart += 3  // BOM
        }
        let message = String(
            decoding: UnsafeRawBufferPointer(rebasing: bytes[min(messageStart, bytes.count)...]),
            as: UTF8.self
        )
        return SyslogLine(
            timestamp: timestamp,
            yearWasInferred: false,
            host: host == "-" ? nil : host,
            program: app == "-" ? "" : app,
            pid: Int64(procID),
            message: message,
            priority: priority
        )
    }
}

/// Space-separated tokens of a line.
private struct Fields {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    mutating func skipSpaces() {
        while position < bytes.count, bytes[position] == 0x20 { position += 1 }
    }

    mutating func token() -> String? {
        skipSpaces()
        let start = position
        while position < bytes.count, bytes[position] != 0x20 { position += 1 }
        guard position > start else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }
}

/// Parses syslog and auth.log lines into events, reading what sshd, PAM, sudo, su and the user tools say.
public struct SyslogParser: LogParser {
    /// `syslog`.
    public let format = LogFormat.syslog
    /// Each record is read on its own.
    public var parsesRecordsIndependently: Bool { true }

    /// Creates a parser.
    public init() {}

    /// Parses one line.
    public mutating func parse(
        _ record: UnsafeRawBufferPointer,
        line: Int,
        context: inout ParseContext,
        into events: inout [SecurityEvent]
    ) throws(ParseError) {
        guard try validateTextRecord(record) else { return }
        guard let parsed = SyslogLine.parse(record, context: context) else {
            throw ParseError(
                "not a syslog line (expected a timestamp such as 'Feb  4 10:15:23' or an RFC 5424 header)",
                column: 1
            )
        }
        var event = SecurityEvent(
            id: context.identifier(for: record),
            timestamp: parsed.timestamp,
            original: String(decoding: record, as: UTF8.self)
        )
        event[ECSField.sourceFormat] = .string(format.name)
        event[ECSField.eventModule] = .string("system")
        event[ECSField.eventKind] = .string("event")
        event.set(ECSField.hostName, parsed.host)
        event.set(ECSField.logSyslogAppName, parsed.program.isEmpty ? nil : parsed.program)
        event.set(ECSField.processName, parsed.program.isEmpty ? nil : baseProgram(parsed.program))
        if let pid = parsed.pid { event[ECSField.processPID] = .integer(pid) }
        if let priority = parsed.priority {
            event[ECSField.logSyslogPriority] = .integer(Int64(priority))
            event[ECSField.logSyslogFacility] = .string(facilityName(priority >> 3))
        }
        event.set(ECSField.message, parsed.message)
        event.set(ECSField.logFilePath, context.path)
        AuthMessageInterpreter.interpret(parsed.program, parsed.message, into: &event)
        WindowsEventNormalizer.addRelated(&event)
        event.completeClassification(
            fallbackAction: parsed.program.isEmpty ? "syslog-message" : baseProgram(parsed.program).lowercased()
        )
        events.append(event)
    }

    private func baseProgram(_ program: String) -> String {
        guard let paren = program.firstIndex(of: "(") else { return program }
        return String(program[..<paren])
    }

    private func facilityName(_ facility: Int) -> String {
        let names = [
            "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
            "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5",
            "local6", "local7",
        ]
        return facility < names.count ? names[facility] : String(facility)
    }
}

/// Checks a text record before parsing: invalid UTF-8 is an error naming the byte and its column.
/// - Returns: `false` for a blank record (only spaces and tabs), which parsers skip without an error.
func validateTextRecord(_ record: UnsafeRawBufferPointer) throws(ParseError) -> Bool {
    if let offset = invalidUTF8Offset(record) {
        throw ParseError.at(
            offset: offset,
            in: record,
            "invalid UTF-8 byte 0x\(String(record[offset], radix: 16, uppercase: true))"
        )
    }
    return !record.allSatisfy { $0 == 0x20 || $0 == 0x09 }
}

/// The offset of the first byte that is not valid UTF-8, or `nil` when all of `bytes` is valid.
func invalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var index = 0
    let count = bytes.count
    while index < count {
        let lead = bytes[index]
        if lead < 0x80 {
            index += 1
            continue
        }
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return index
        }
        guard index + length <= count else { return index }
        for offset in 1..<length where bytes[index + offset] & 0xC0 != 0x80 { return index }
        if lead == 0xE0 && bytes[index + 1] < 0xA0 { return index }
        if lead == 0xED && bytes[index + 1] > 0x9F { return index }
        if lead == 0xF0 && bytes[index + 1] < 0x90 { return index }
        if lead == 0xF4 && bytes[index + 1] > 0x8F { return index }
        index += length
    }
    return nil
}
