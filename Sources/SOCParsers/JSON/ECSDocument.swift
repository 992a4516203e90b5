public import SOCModel

/// Reads Elastic Beats documents (ECS): Winlogbeat 7/8 before or after the ingest pipeline, Filebeat, Packetbeat,
/// or any JSON object whose keys are ECS names.
///
/// Windows events (`winlog.*`) go through ``WindowsEventNormalizer`` from their raw `winlog.event_data`, so a raw
/// Winlogbeat event and the same event after Elastic's pipeline give the same fields; the document's own ECS fields
/// then fill in whatever the normalizer did not set.
enum ECSDocument {
    /// Keys that are not copied from the document into fields: socagent sets them itself.
    private static let reserved: Set<String> = [ECSField.timestamp, ECSField.eventOriginal, ECSField.message]

    static func event(_ root: JSONNode, id: EventIdentifier, original: String, context: ParseContext) throws(ParseError)
        -> SecurityEvent
    {
        var event: SecurityEvent
        let timestamp = root["@timestamp"]?.text.flatMap { TimestampParser.parse($0) }
        if let winlog = root["winlog"], winlog.isObject,
            let eventID = winlog["event_id"]?.integer ?? root["event"]?["code"]?.integer
        {
            var record = WindowsEventRecord(eventID: Int(eventID))
            record.channel = winlog["channel"]?.text
            record.provider = winlog["provider_name"]?.text ?? root["event"]?["provider"]?.text
            record.computer = winlog["computer_name"]?.text ?? root["host"]?["name"]?.text
            record.recordID = winlog["record_id"]?.integer
            record.level = root["log"]?["level"]?.text
            record.userSID = winlog["user"]?["identifier"]?.text
            record.processID = winlog["process"]?["pid"]?.integer
            record.message = root["message"]?.text
            record.timestamp = timestamp
            for key in ["event_data", "user_data"] as [StaticString] {
                winlog[key]?.forEachMember { name, value in
                    if let text = EVTXJSON.textOrHashText(value), name != "xml_name" { record.addData(name, text) }
                }
            }
            event = WindowsEventNormalizer.makeEvent(record, id: id, original: original, format: .ecs)
        } else {
            event = SecurityEvent(id: id, timestamp: timestamp, original: original)
            event[ECSField.sourceFormat] = .string(LogFormat.ecs.name)
            event.set(ECSField.message, root["message"]?.text)
        }
        flatten(root, prefix: "", into: &event)
        if event[ECSField.eventCategory] == nil, let message = event.string(ECSField.message) {
            // Filebeat without its ingest pipeline ships the raw syslog line: read it as syslog.
            if let parsed = SyslogLine.parse(message, context: context) {
                AuthMessageInterpreter.interpret(parsed.program, parsed.message, into: &event)
                if event.timestamp == nil { event.timestamp = parsed.timestamp }
                event.setIfMissing(ECSField.hostName, parsed.host)
            }
        }
        if let category = event[ECSField.eventCategory], case .string(let single) = category {
            event[ECSField.eventCategory] = .strings([single])
        }
        WindowsEventNormalizer.addRelated(&event)
        return event
    }

    /// Copies leaf values into dotted fields that are not set yet. `winlog.event_data` is already mapped.
    private static func flatten(_ node: JSONNode, prefix: String, into event: inout SecurityEvent) {
        node.forEachMember { key, value in
            let name = prefix.isEmpty ? key : prefix + "." + key
            guard !reserved.contains(name), !name.hasPrefix("@metadata") else { return }
            switch value.kind {
            case .object:
                flatten(value, prefix: name, into: &event)
            case .array:
                guard event[name] == nil else { return }
                let texts = value.elements.compactMap(\.text)
                if !texts.isEmpty { event[name] = .strings(texts) }
            case .integer:
                if event[name] == nil, let number = value.integer { event[name] = .integer(number) }
            case .null:
                return
            default:
                if event[name] == nil, let text = value.text { event[name] = .string(text) }
            }
        }
    }
}
