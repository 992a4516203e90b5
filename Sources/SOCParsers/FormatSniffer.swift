import SOCModel

/// Decides the format of an input from its first bytes.
///
/// JSON is told apart by the keys of its first record (``JSONShape``), pretty-printed documents and arrays by
/// whether the first line is a whole value; XML by `<Event`; CSV by a header naming Log Analytics columns; audit
/// records by `type=… msg=audit(`; `.evtx` files by their `ElfFile` signature; syslog by a timestamp and tag on most
/// sampled lines; anything else is text.
public enum FormatSniffer {
    /// What sniffing decided.
    public enum Verdict: Equatable, Sendable {
        /// A format to parse with.
        case format(LogFormat)
        /// The input has no bytes (or only whitespace).
        case empty
        /// The input is binary (a NUL byte, or mostly non-text bytes), with the offset that showed it.
        case binary(offset: Int)
    }

    /// Sniffs `sample`, the first bytes of an input (64 KiB is plenty).
    public static func sniff(_ sample: UnsafeRawBufferPointer, context: ParseContext) -> Verdict {
        if EVTXFile.hasSignature(sample) { return .format(.evtx) }
        var start = 0
        if sample.count >= 3, sample[0] == 0xEF, sample[1] == 0xBB, sample[2] == 0xBF { start = 3 }
        while start < sample.count, [0x20, 0x09, 0x0A, 0x0D].contains(sample[start]) { start += 1 }
        guard start < sample.count else { return .empty }
        if let nul = sample.firstIndex(of: 0) { return .binary(offset: nul) }
        var control = 0
        for byte in sample.prefix(4096) where byte < 0x09 || (byte > 0x0D && byte < 0x20) { control += 1 }
        if control > 8 { return .binary(offset: 0) }
        let body = UnsafeRawBufferPointer(rebasing: sample[start...])
        let first = body[0]
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return .format(json(body)) }
        if first == UInt8(ascii: "<") && (contains(body.prefix(2048), "<Event") || contains(body.prefix(256), "<?xml"))
        {
            return .format(.windowsXML)
        }
        let lines = sampleLines(body, count: 20)
        guard let firstLine = lines.first else { return .format(.text) }
        if isSentinelCSVHeader(firstLine) { return .format(.sentinelCSV) }
        if lines.filter({ contains($0, "msg=audit(") && contains($0, "type=") }).count * 2 > lines.count {
            return .format(.auditd)
        }
        let syslogLines = lines.filter { line in
            guard let parsed = SyslogLine.parse(line, context: context) else { return false }
            return !parsed.program.isEmpty
        }
        if syslogLines.count * 2 > lines.count { return .format(.syslog) }
        return .format(.text)
    }

    private static func json(_ body: UnsafeRawBufferPointer) -> LogFormat {
        var scanner = JSONScanner()
        let firstLine = sampleLines(body, count: 1).first ?? body
        // A whole object on the first line means JSON lines; otherwise the input is one document or an array.
        if body[0] == UInt8(ascii: "{"), let shape = try? scanner.withRoot(of: firstLine, JSONShape.detect) {
            return format(of: shape).with(framing: .lines)
        }
        // Frame the first record of a document to see its shape.
        var framer = Framer(.jsonValues)
        var offset = 0
        while offset < body.count {
            let rest = UnsafeRawBufferPointer(rebasing: body[offset...])
            switch framer.next(rest, atEnd: true) {
            case .skip(let consumed, _) where consumed > 0:
                offset += consumed
                continue
            case .record(let length, _, _):
                let record = UnsafeRawBufferPointer(rebasing: rest[0..<length])
                if let shape = try? scanner.withRoot(of: record, JSONShape.detect) {
                    return format(of: shape).with(framing: .jsonValues)
                }
            default: break
            }
            break
        }
        return LogFormat.ecs.with(framing: .jsonValues)
    }

    private static func format(of shape: JSONShape?) -> LogFormat {
        switch shape {
        case .evtx: .evtxJSON
        case .winlogbeat6: .winlogbeat6
        case .nxlog: .nxlog
        case .sentinel: .sentinelJSON
        case .ecs, nil: .ecs
        }
    }

    private static let sentinelColumns = [
        "TimeGenerated", "EventID", "Computer", "SyslogMessage", "TenantId", "Account", "UserPrincipalName",
        "ResultType", "IncidentNumber", "AlertName", "FlowDirection",
    ]

    private static func isSentinelCSVHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        guard contains(line, ",") else { return false }
        return sentinelColumns.filter { contains(line, $0) }.count >= 2
    }

    private static func sampleLines(_ body: UnsafeRawBufferPointer, count: Int) -> [UnsafeRawBufferPointer] {
        var lines: [UnsafeRawBufferPointer] = []
        var start = 0
        var index = 0
        while index < body.count && lines.count < count {
            if body[index] == 0x0A {
                var end = index
                if end > start && body[end - 1] == 0x0D { end -= 1 }
                if end > start { lines.append(UnsafeRawBufferPointer(rebasing: body[start..<end])) }
                start = index + 1
            }
            index += 1
        }
        if lines.count < count && start < body.count && lines.isEmpty {
            lines.append(UnsafeRawBufferPointer(rebasing: body[start...]))
        }
        return lines
    }

    private static func contains(_ haystack: some Collection<UInt8>, _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        let bytes = Array(haystack)
        guard bytes.count >= pattern.count else { return false }
        for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
            if bytes[start..<start + pattern.count].elementsEqual(pattern) { return true }
        }
        return false
    }
}
