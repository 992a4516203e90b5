public import SOCModel

/// Parses every JSON log format: Beats ECS, Winlogbeat 6, EVTX-JSON, NXLog and Sentinel exports.
///
/// The file's format (sniffed or given with `--format`) is the default, but each record is checked for its own
/// shape first, so a file that mixes shippers still parses. Windows shapes are read into a ``WindowsEventRecord``
/// and normalized by ``WindowsEventNormalizer``.
public struct JSONEventParser: LogParser {
    /// The format of the input as a whole.
    public let format: LogFormat
    /// Each record is read on its own.
    public var parsesRecordsIndependently: Bool { true }
    private var scanner = JSONScanner()

    /// Creates a parser for one JSON format.
    public init(format: LogFormat) { self.format = format }

    /// Parses one JSON record.
    public mutating func parse(
        _ record: UnsafeRawBufferPointer,
        line: Int,
        context: inout ParseContext,
        into events: inout [SecurityEvent]
    ) throws(ParseError) {
        var first = 0
        while first < record.count, record[first] == 0x20 || record[first] == 0x09 { first += 1 }
        if first == record.count { return }  // a blank line
        guard record[first] == UInt8(ascii: "{") else {
            throw ParseError(
                "expected a JSON object, found \(JSONEventParser.describe(record[first]))",
                column: first + 1
            )
        }
        let root: JSONNode
        do {
            root = try scanner.scan(record)
        } catch {
            throw ParseError.at(offset: error.offset, in: record, error.reason)
        }
        guard root.isObject else {
            throw ParseError(
                "expected a JSON object, found \(root.kind == .array ? "an array" : "a \(root.kind)")",
                column: 1
            )
        }
        let flavor = JSONShape.detect(root) ?? JSONShape(format) ?? .ecs
        switch flavor {
        case .sentinel:
            let sentinelFormat = format == .sentinelCSV || format == .sentinelJSON ? format : LogFormat.sentinelJSON
            try SentinelParser.expand(root, record: record, context: &context, format: sentinelFormat, into: &events)
        case .evtx, .winlogbeat6, .nxlog, .ecs:
            let id = context.identifier(for: record)
            let original = String(decoding: record, as: UTF8.self)
            var event: SecurityEvent
            switch flavor {
            case .evtx:
                event = WindowsEventNormalizer.makeEvent(
                    try EVTXJSON.record(root),
                    id: id,
                    original: original,
                    format: .evtxJSON
                )
            case .winlogbeat6:
                event = WindowsEventNormalizer.makeEvent(
                    try Winlogbeat6.record(root),
                    id: id,
                    original: original,
                    format: .winlogbeat6
                )
            case .nxlog:
                event = WindowsEventNormalizer.makeEvent(
                    try NXLogJSON.record(root),
                    id: id,
                    original: original,
                    format: .nxlog
                )
            default:
                event = try ECSDocument.event(root, id: id, original: original, context: context)
            }
            event.set(ECSField.logFilePath, context.path)
            events.append(event)
        }
    }
}

extension JSONEventParser {
    static func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }
}

/// The shapes of JSON log records, told apart by their keys.
enum JSONShape {
    case ecs, winlogbeat6, evtx, nxlog, sentinel

    init?(_ format: LogFormat) {
        switch format.name {
        case LogFormat.ecs.name: self = .ecs
        case LogFormat.winlogbeat6.name: self = .winlogbeat6
        case LogFormat.evtxJSON.name: self = .evtx
        case LogFormat.nxlog.name: self = .nxlog
        case LogFormat.sentinelJSON.name, LogFormat.sentinelCSV.name: self = .sentinel
        default: return nil
        }
    }

    /// The shape of a record, or `nil` when its keys match no known shape.
    static func detect(_ root: JSONNode) -> JSONShape? {
        if let event = root["Event"], event["System"] != nil { return .evtx }
        if root["winlog"]?.isObject == true || root["ecs"] != nil || root["agent"]?.isObject == true { return .ecs }
        if root["event_id"] != nil, root["log_name"] != nil || root["event_data"] != nil || root["beat"] != nil {
            return .winlogbeat6
        }
        if root["tables"]?.isArray == true || root["value"]?.isArray == true || root["TimeGenerated"] != nil
            || root["properties"]?["incidentNumber"] != nil
        {
            return .sentinel
        }
        if root["EventID"] != nil,
            root["Hostname"] != nil || root["EventTime"] != nil || root["SourceModuleName"] != nil
                || root["SourceName"] != nil
        {
            return .nxlog
        }
        if root["@timestamp"] != nil || root["event"]?.isObject == true { return .ecs }
        return nil
    }
}

extension ParseError {
    /// An error at a byte offset of a record, reported with the line within the record and the column on that line.
    static func at(offset: Int, in record: UnsafeRawBufferPointer, _ reason: String) -> ParseError {
        var lineStart = 0
        var lines = 0
        for index in 0..<min(offset, record.count) where record[index] == 0x0A {
            lines += 1
            lineStart = index + 1
        }
        var error = ParseError(reason, column: offset - lineStart + 1)
        error.lineOffset = lines
        return error
    }
}

/// Reads `{"Event":{"System":…,"EventData":…}}` (evtx-rs, evtx_dump, Chainsaw, SigmaHQ regression data).
enum EVTXJSON {
    static func record(_ root: JSONNode) throws(ParseError) -> WindowsEventRecord {
        guard let event = root["Event"], let system = event["System"] else { throw ParseError("missing Event.System") }
        guard let eventID = system["EventID"].flatMap(textOrHashText).flatMap({ Int($0) }) else {
            throw ParseError("missing or invalid Event.System.EventID")
        }
        var record = WindowsEventRecord(eventID: eventID)
        record.channel = system["Channel"]?.text
        record.provider = system["Provider"]?["#attributes"]?["Name"]?.text
        record.computer = system["Computer"]?.text
        record.recordID = system["EventRecordID"]?.integer
        record.level = system["Level"]?.text
        record.userSID = system["Security"]?["#attributes"]?["UserID"]?.text
        record.processID = system["Execution"]?["#attributes"]?["ProcessID"]?.integer
        if let time = system["TimeCreated"]?["#attributes"]?["SystemTime"]?.text {
            record.timestamp = TimestampParser.parse(time)
        }
        if let data = event["EventData"], data.isObject {
            addFields(data, to: &record)
        } else if let text = event["EventData"]?.text {
            record.addData("Data", text)
        }
        if let userData = event["UserData"], userData.isObject {
            userData.forEachMember { name, child in
                if name != "#attributes" && child.isObject { addFields(child, to: &record) }
            }
        }
        return record
    }

    /// Adds an EventData/UserData object's members, unwrapping `#text` and joining lists.
    private static func addFields(_ object: JSONNode, to record: inout WindowsEventRecord) {
        object.forEachMember { name, value in
            guard name != "#attributes", !value.isNull else { return }
            if let text = textOrHashText(value) { record.addData(name, text) }
        }
    }

    /// A scalar's text, `{"#text": …}`'s text, or a list's texts joined with commas.
    static func textOrHashText(_ node: JSONNode) -> String? {
        if let text = node.text { return text }
        if node.isObject, let inner = node["#text"] { return textOrHashText(inner) }
        if node.isArray {
            let parts = node.elements.compactMap(textOrHashText)
            return parts.isEmpty ? nil : parts.joined(separator: ",")
        }
        return nil
    }
}

/// Reads Winlogbeat 6 documents (`event_id`, `log_name`, `source_name`, `computer_name`, `event_data`).
enum Winlogbeat6 {
    static func record(_ root: JSONNode) throws(ParseError) -> WindowsEventRecord {
        guard let eventID = root["event_id"]?.integer else { throw ParseError("missing or invalid event_id") }
        var record = WindowsEventRecord(eventID: Int(eventID))
        record.channel = root["log_name"]?.text
        record.provider = root["source_name"]?.text
        record.computer = root["computer_name"]?.text ?? root["host"]?["name"]?.text
        record.recordID = root["record_number"]?.integer
        record.level = root["level"]?.text
        record.message = root["message"]?.text
        record.userSID = root["user"]?["identifier"]?.text
        record.processID = root["process_id"]?.integer
        record.timestamp = root["@timestamp"]?.text.flatMap { TimestampParser.parse($0) }
        for key in ["event_data", "user_data"] as [StaticString] {
            root[key]?.forEachMember { name, value in
                if let text = EVTXJSON.textOrHashText(value), name != "xml_name" { record.addData(name, text) }
            }
        }
        return record
    }
}

/// Reads NXLog-style flat Windows JSON: metadata and event data side by side at the top level.
enum NXLogJSON {
    /// NXLog's own keys; every other top-level key is event data.
    static let metadataKeys: Set<String> = [
        "EventID", "Channel", "SourceName", "Hostname", "RecordNumber", "@timestamp", "@version", "EventTime",
        "EventReceivedTime", "Message", "Severity", "SeverityValue", "ExecutionProcessID", "ThreadID", "UserID",
        "Keywords", "Task", "Version", "Opcode", "OpcodeValue", "ProviderGuid", "EventType", "SourceModuleName",
        "SourceModuleType", "port", "host", "tags", "Category", "Domain", "AccountName", "AccountType", "ActivityID",
        "RelatedActivityID", "EventTypeOrignal", "Level", "type", "beat", "log_name",
    ]

    static func record(_ root: JSONNode) throws(ParseError) -> WindowsEventRecord {
        guard let eventID = root["EventID"]?.integer else { throw ParseError("missing or invalid EventID") }
        var record = WindowsEventRecord(eventID: Int(eventID))
        record.channel = root["Channel"]?.text
        record.provider = root["SourceName"]?.text
        record.computer = root["Hostname"]?.text
        record.recordID = root["RecordNumber"]?.integer
        record.level = root["Severity"]?.text  // NXLog's own scale (INFO, WARNING, ERROR), not Windows levels
        record.message = root["Message"]?.text
        record.userSID = root["UserID"]?.text
        record.processID = root["ExecutionProcessID"]?.integer
        record.timestamp = (root["@timestamp"]?.text ?? root["EventTime"]?.text).flatMap { TimestampParser.parse($0) }
        root.forEachMember { name, value in
            guard !metadataKeys.contains(name), let text = EVTXJSON.textOrHashText(value) else { return }
            record.addData(name, text)
        }
        return record
    }
}
