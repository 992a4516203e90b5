public import SOCModel

/// Parses Windows event XML: `wevtutil qe /f:xml`, `Get-WinEvent | % ToXml()`, Event Viewer "Save as XML", and
/// the `EventData` XML column of Sentinel `SecurityEvent` rows.
public struct WindowsEventXMLParser: LogParser {
    /// `windows-xml`.
    public let format = LogFormat.windowsXML

    /// Creates a parser.
    public init() {}

    /// Parses one `<Event>` element.
    public mutating func parse(
        _ record: UnsafeRawBufferPointer,
        line: Int,
        context: inout ParseContext,
        into events: inout [SecurityEvent]
    ) throws(ParseError) {
        let root = try XMLElement.parse(record)
        guard root.localName == "Event" else { throw ParseError("expected an <Event> element, found <\(root.name)>") }
        let record = try WindowsEventXML.record(root, bytes: record, context: &context)
        var event = WindowsEventNormalizer.makeEvent(record.0, id: record.1, original: record.2, format: format)
        event.set(ECSField.logFilePath, context.path)
        events.append(event)
    }
}

enum WindowsEventXML {
    static func record(
        _ root: XMLElement,
        bytes: UnsafeRawBufferPointer,
        context: inout ParseContext
    ) throws(ParseError)
        -> (WindowsEventRecord, EventIdentifier, String)
    {
        guard let system = root.child("System") else { throw ParseError("missing <System>") }
        guard let eventID = system.child("EventID").flatMap({ Int($0.text.trimmingCharacters(in: " \n\r\t")) }) else {
            throw ParseError("missing or invalid <EventID>")
        }
        var record = WindowsEventRecord(eventID: eventID)
        record.channel = system.child("Channel")?.text
        record.provider = system.child("Provider")?.attribute("Name")
        record.computer = system.child("Computer")?.text
        record.recordID = system.child("EventRecordID").flatMap { Int64($0.text) }
        record.level = system.child("Level")?.text
        record.userSID = system.child("Security")?.attribute("UserID")
        record.processID = system.child("Execution")?.attribute("ProcessID").flatMap { Int64($0) }
        record.timestamp = system.child("TimeCreated")?.attribute("SystemTime").flatMap { TimestampParser.parse($0) }
        if let rendering = root.child("RenderingInfo") { record.message = rendering.child("Message")?.text }
        if let eventData = root.child("EventData") {
            for (name, value) in dataFields(of: eventData) { record.addData(name, value) }
        }
        if let userData = root.child("UserData") {
            for container in userData.children {
                for field in container.children { record.addData(String(field.localName), field.text) }
            }
        }
        return (record, context.identifier(for: bytes), String(decoding: bytes, as: UTF8.self))
    }

    /// `<Data Name="X">v</Data>` pairs; unnamed data are called `Data`, `Data1`, … in order.
    static func dataFields(of eventData: XMLElement) -> [(String, String)] {
        var fields: [(String, String)] = []
        var unnamed = 0
        for data in eventData.children {
            if let name = data.attribute("Name") {
                fields.append((name, data.text))
            } else {
                fields.append((unnamed == 0 ? String(data.localName) : "\(data.localName)\(unnamed)", data.text))
                unnamed += 1
            }
        }
        return fields
    }

    /// The data fields of an `EventData` XML string (Sentinel's `EventData` column); empty when it does not parse.
    static func dataFields(_ xml: String) -> [(String, String)] {
        var xml = xml
        return xml.withUTF8 { buffer in
            guard let root = try? XMLElement.parse(UnsafeRawBufferPointer(buffer)) else { return [] }
            let eventData = root.localName == "EventData" ? root : root.child("EventData")
            return eventData.map(dataFields(of:)) ?? []
        }
    }
}
