public import SOCModel

/// Parses Sentinel / Log Analytics CSV exports: a header row, then one row per record (RFC 4180 quoting, line
/// breaks inside quoted fields). Rows are mapped by ``SentinelParser`` like JSON rows.
public struct SentinelCSVParser: LogParser {
    /// `sentinel-csv`.
    public let format = LogFormat.sentinelCSV
    private var header: [String]?

    /// Creates a parser.
    public init() {}

    /// Parses one CSV row; the first row is the header.
    public mutating func parse(
        _ record: UnsafeRawBufferPointer,
        line: Int,
        context: inout ParseContext,
        into events: inout [SecurityEvent]
    ) throws(ParseError) {
        guard try validateTextRecord(record) else { return }
        var fields = try SentinelCSVParser.fields(record)
        guard let header else {
            if var first = fields.first, first.hasPrefix("\u{FEFF}") {
                first.removeFirst()
                fields[0] = first
            }
            self.header = fields
            return
        }
        guard fields.count == header.count else {
            throw ParseError("expected \(header.count) fields as in the header, found \(fields.count)")
        }
        var row = SentinelRow()
        for (name, value) in zip(header, fields) where !name.isEmpty { row.add(name, value) }
        events.append(SentinelParser.event(row, raw: record, context: &context, format: format))
    }

    /// Splits one CSV record into fields.
    static func fields(_ record: UnsafeRawBufferPointer) throws(ParseError) -> [String] {
        var fields: [String] = []
        var current: [UInt8] = []
        var index = 0
        var quoted = false
        var fieldStart = true
        while index < record.count {
            let byte = record[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < record.count && record[index + 1] == UInt8(ascii: "\"") {
                        current.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(byte)
                }
            } else if byte == UInt8(ascii: ",") {
                fields.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
                fieldStart = true
                index += 1
                continue
            } else if byte == UInt8(ascii: "\"") && fieldStart {
                quoted = true
            } else if byte == UInt8(ascii: "\"") {
                throw ParseError.at(offset: index, in: record, "a quote inside an unquoted CSV field")
            } else {
                current.append(byte)
            }
            fieldStart = false
            index += 1
        }
        if quoted { throw ParseError("unterminated quoted CSV field") }
        fields.append(String(decoding: current, as: UTF8.self))
        return fields
    }
}
