public import SOCModel

/// Parses any text log line: a timestamp where one can be found, the line as the message, and the indicators in it.
///
/// When the line carries a syslog-style `program[pid]: message` part, the message is read by
/// ``AuthMessageInterpreter`` so authentication lines in unusual wrappers are still recognized.
public struct GenericTextParser: LogParser {
    /// `text`.
    public let format = LogFormat.text
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
        let text = String(decoding: record, as: UTF8.self)
        var event = SecurityEvent(
            id: context.identifier(for: record),
            timestamp: findTimestamp(record, context: context),
            original: text
        )
        event[ECSField.sourceFormat] = .string(format.name)
        event[ECSField.eventKind] = .string("event")
        event.set(ECSField.message, text)
        event.set(ECSField.logFilePath, context.path)
        if let tag = text.firstRange(of: "]: ") {
            let head = text[..<tag.lowerBound]
            let tokenStart = head.lastIndex(of: " ").map { head.index(after: $0) } ?? head.startIndex
            let token = head[tokenStart...]
            if let bracket = token.firstIndex(of: "[") {
                var program = String(token[..<bracket])
                if let slash = program.lastIndex(of: "/") { program = String(program[program.index(after: slash)...]) }
                let message = String(text[tag.upperBound...])
                if let pid = Int64(token[token.index(after: bracket)...]) { event[ECSField.processPID] = .integer(pid) }
                event.set(ECSField.processName, program.split(separator: "(").first.map(String.init))
                AuthMessageInterpreter.interpret(program, message, into: &event)
            }
        }
        let found = IndicatorExtractor.extract(text)
        for ip in found.ips where IPAddress(ip) != nil { event.append(ECSField.relatedIP, ip) }
        for hash in found.hashes { event.append(ECSField.relatedHash, hash) }
        for user in found.users { event.append(ECSField.relatedUser, user) }
        WindowsEventNormalizer.addRelated(&event)
        event.completeClassification(fallbackAction: "log-line")
        events.append(event)
    }

    /// The first timestamp at the start of a token in the first 96 bytes.
    private func findTimestamp(_ record: UnsafeRawBufferPointer, context: ParseContext) -> Timestamp? {
        let limit = min(record.count, 96)
        var index = 0
        while index < limit {
            let atTokenStart = index == 0 || record[index - 1] == 0x20 || record[index - 1] == UInt8(ascii: "[")
            let byte = record[index]
            if atTokenStart, isDigit(byte) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) {
                let rest = UnsafeRawBufferPointer(rebasing: record[index...])
                let year = context.yearForSyslogTimestamp(rest)
                if let match = TimestampParser.prefix(rest, year: year) { return match.timestamp }
            }
            index += 1
        }
        return nil
    }
}
