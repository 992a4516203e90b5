import SOCModel

/// One substitution value of a template instance: its type and where its bytes are in the chunk.
struct BinXMLSubstitution {
    var type: UInt8
    var offset: Int
    var size: Int
}

/// Walks a record's BinXML (template instances, their compiled templates and substitution values) and fills a
/// ``WindowsEventRecord`` straight from it, with the meaning evtx-rs's JSON view gives each element: no XML tree is
/// built, and a value is only turned into text when the record needs it.
///
/// One builder serves one chunk: names and templates are cached by their chunk offset.
struct EVTXRecordBuilder {
    /// The deepest element nesting and embedded-fragment nesting accepted.
    static let maximumDepth = 64
    static let maximumFragmentNesting = 8

    let chunk: UnsafeRawBufferPointer
    private var compiler = BinXMLCompiler()
    private var templates: [UInt32: BinXMLTemplate] = [:]
    /// Template offsets that could not be compiled, with why: a damaged chunk is not compiled again for each record.
    private var brokenTemplates: [UInt32: BinXMLError] = [:]
    /// The substitution values of the template instances being walked, innermost last.
    private var values: [BinXMLSubstitution] = []
    private var sink = RecordSink()

    init(chunk: UnsafeRawBufferPointer) {
        self.chunk = chunk
        values.reserveCapacity(64)
    }

    /// The record whose BinXML is `range` of the chunk.
    mutating func build(_ range: Range<Int>) throws(BinXMLError) -> WindowsEventRecord {
        sink.reset()
        values.removeAll(keepingCapacity: true)
        var cursor = BinXMLCursor(chunk, at: range.lowerBound, end: range.upperBound)
        try walkFragment(&cursor, nesting: 0)
        return try sink.finish()
    }

    /// Walks one fragment: a header, then a template instance or plain elements, until its end.
    private mutating func walkFragment(_ cursor: inout BinXMLCursor, nesting: Int) throws(BinXMLError) {
        guard nesting <= EVTXRecordBuilder.maximumFragmentNesting else {
            throw BinXMLError("embedded BinXML nested more than \(EVTXRecordBuilder.maximumFragmentNesting) deep")
        }
        while cursor.remaining > 0 {
            let token = cursor.bytes[cursor.position]
            switch token & 0xBF {
            case BinXMLToken.endOfFragment:
                cursor.position += 1
                return
            case BinXMLToken.fragmentHeader:
                try cursor.skip(4)
            case BinXMLToken.templateInstance:
                try cursor.skip(1)
                try walkTemplateInstance(&cursor, nesting: nesting)
            default:
                let ops = try compiler.compile(&cursor, inTemplate: false)
                try walk(ops, base: values.count, count: 0, nesting: nesting)
                return
            }
        }
    }

    private mutating func walkTemplateInstance(_ cursor: inout BinXMLCursor, nesting: Int) throws(BinXMLError) {
        try cursor.skip(1)  // unknown
        _ = try cursor.u32()  // template identifier
        let definition = try cursor.u32()
        if Int(definition) == cursor.position {
            // The definition is written here, in the first record that uses it: skip over it.
            try cursor.skip(20)
            let size = Int(try cursor.u32())
            try cursor.skip(size)
        }
        let template = try self.template(at: definition)
        let count = Int(try cursor.u32())
        guard count <= cursor.remaining / 4 else {
            throw BinXMLError("substitution count \(count) larger than the record at offset \(cursor.position)")
        }
        let base = values.count
        var valueOffset = cursor.position + count * 4
        for index in 0..<count {
            let descriptor = cursor.position + index * 4
            let size = Int(chunk.le16(descriptor))
            let type = chunk[descriptor + 2]
            values.append(BinXMLSubstitution(type: type, offset: valueOffset, size: size))
            valueOffset += size
        }
        guard valueOffset <= cursor.end else {
            throw BinXMLError("substitution values run past the end of the record at offset \(cursor.position)")
        }
        cursor.position = valueOffset
        defer { values.removeSubrange(base...) }
        try walk(template.ops, base: base, count: count, nesting: nesting)
    }

    /// The compiled template defined at `offset` in the chunk, compiled on first use.
    private mutating func template(at offset: UInt32) throws(BinXMLError) -> BinXMLTemplate {
        if let template = templates[offset] { return template }
        if let error = brokenTemplates[offset] { throw error }
        do throws(BinXMLError) {
            var header = BinXMLCursor(chunk, at: Int(offset), end: chunk.count)
            try header.skip(20)  // next template offset, GUID
            let size = Int(try header.u32())
            var body = BinXMLCursor(chunk, at: header.position, end: header.position + size)
            try body.need(size)
            let template = BinXMLTemplate(ops: try compiler.compile(&body, inTemplate: true))
            templates[offset] = template
            return template
        } catch {
            let failure = BinXMLError("template at offset \(offset): \(error.reason)")
            brokenTemplates[offset] = failure
            throw failure
        }
    }

    private mutating func walk(_ ops: [BinXMLOp], base: Int, count: Int, nesting: Int) throws(BinXMLError) {
        for op in ops {
            switch op {
            case .open(let name): try sink.open(name)
            case .attribute(let name): sink.attribute(name)
            case .closeStart: sink.closeStart()
            case .closeEmpty: try sink.end()
            case .end: try sink.end()
            case .text(let text): sink.text(text)
            case .substitution(let index, let optional):
                guard index < count else {
                    if !optional { sink.null() }
                    continue
                }
                let value = values[base + index]
                if value.type == BinXMLValueType.null {
                    if !optional { sink.null() }
                } else if value.type == BinXMLValueType.binXML {
                    var inner = BinXMLCursor(chunk, at: value.offset, end: value.offset + value.size)
                    try walkFragment(&inner, nesting: nesting + 1)
                } else if sink.wantsValue {
                    sink.value(
                        type: value.type,
                        UnsafeRawBufferPointer(rebasing: chunk[value.offset..<(value.offset + value.size)])
                    )
                }
            }
        }
    }
}

/// Builds a ``WindowsEventRecord`` from element events, as the EVTX-JSON reader reads evtx-rs's JSON view:
/// `System` children by name, `EventData` children by their `Name` attribute (unnamed `Data` joined with commas,
/// repeated names numbered `_1`, `_2`), `UserData`'s grandchildren by element name.
private struct RecordSink {
    private enum AttributeTarget { case none, provider, systemTime, processID, userID, dataName }

    private var record = WindowsEventRecord(eventID: 0)
    private var eventIDText: String?
    private var kinds: [BinXMLNameKind] = []
    private var captureDepth = -1
    private var captureKind = BinXMLNameKind.other
    private var captureName = ""
    private var captureDataName: String?
    private var captureText: String?
    private var attribute = AttributeTarget.none
    private var inAttribute = false
    private var attributeText: String?
    private var eventDataText: String?
    private var unnamedDataIndex: Int?
    private var containerNames: [String] = []

    init() { kinds.reserveCapacity(16) }

    mutating func reset() {
        record = WindowsEventRecord(eventID: 0)
        record.eventData.reserveCapacity(24)
        eventIDText = nil
        kinds.removeAll(keepingCapacity: true)
        captureDepth = -1
        inAttribute = false
        attribute = .none
        eventDataText = nil
        unnamedDataIndex = nil
        containerNames.removeAll(keepingCapacity: true)
    }

    /// Whether the next value is needed at all (values nobody reads are never decoded).
    var wantsValue: Bool {
        if inAttribute { return attribute != .none }
        let depth = kinds.count
        if captureDepth >= 0 { return depth - 1 == captureDepth }
        return depth == 2 && kinds[1] == .eventData
    }

    mutating func open(_ name: BinXMLName) throws(BinXMLError) {
        finishAttribute()
        let depth = kinds.count
        guard depth < EVTXRecordBuilder.maximumDepth else {
            throw BinXMLError("elements nested more than \(EVTXRecordBuilder.maximumDepth) deep")
        }
        if captureDepth < 0 {
            if depth == 2 && kinds[1] == .system {
                startCapture(name, depth: depth)
            } else if depth == 2 && kinds[1] == .eventData {
                startCapture(name, depth: depth)
            } else if depth == 3 && kinds[1] == .userData {
                startCapture(name, depth: depth)
            } else if (depth == 1 && name.kind == .eventData) || (depth == 2 && kinds[1] == .userData) {
                containerNames.removeAll(keepingCapacity: true)
                unnamedDataIndex = nil
            }
        }
        kinds.append(name.kind)
    }

    private mutating func startCapture(_ name: BinXMLName, depth: Int) {
        captureDepth = depth
        captureKind = name.kind
        captureName = name.text
        captureDataName = nil
        captureText = nil
    }

    mutating func attribute(_ name: BinXMLName) {
        finishAttribute()
        inAttribute = true
        attributeText = nil
        let element = kinds.last ?? .other
        let depth = kinds.count - 1
        switch (element, name.kind) {
        case (.provider, .nameAttribute) where captureDepth == depth: attribute = .provider
        case (.timeCreated, .systemTime) where captureDepth == depth: attribute = .systemTime
        case (.execution, .processID) where captureDepth == depth: attribute = .processID
        case (.security, .userID) where captureDepth == depth: attribute = .userID
        case (.data, .nameAttribute) where captureDepth == depth && kinds.count >= 2 && kinds[1] == .eventData:
            attribute = .dataName
        default: attribute = .none
        }
    }

    mutating func closeStart() { finishAttribute() }

    mutating func text(_ text: String) {
        guard wantsValue else { return }
        append(text)
    }

    /// A null value: nothing to add, but a null still makes an element's content present in evtx-rs's view.
    mutating func null() {}

    mutating func value(type: UInt8, _ bytes: UnsafeRawBufferPointer) {
        if inAttribute, attribute == .systemTime, type == BinXMLValueType.fileTime, bytes.count == 8 {
            let microseconds = EVTXText.microseconds(fileTime: bytes.le64(0))
            if microseconds < 253_402_300_800_000_000 {
                record.timestamp = Timestamp(microsecondsSinceEpoch: microseconds)
                attribute = .none
                return
            }
        }
        guard let text = EVTXText.render(type: type, bytes) else { return }
        append(text)
    }

    private mutating func append(_ text: String) {
        if inAttribute {
            attributeText = attributeText.map { $0 + text } ?? text
        } else if captureDepth >= 0 {
            captureText = captureText.map { $0 + text } ?? text
        } else {
            eventDataText = eventDataText.map { $0 + text } ?? text
        }
    }

    private mutating func finishAttribute() {
        guard inAttribute else { return }
        inAttribute = false
        let text = attributeText
        switch attribute {
        case .none: break
        case .provider: record.provider = text
        case .systemTime: record.timestamp = text.flatMap { TimestampParser.parse($0) }
        case .processID: record.processID = text.flatMap(parseInteger)
        case .userID: record.userSID = text
        case .dataName: captureDataName = text
        }
        attribute = .none
    }

    mutating func end() throws(BinXMLError) {
        finishAttribute()
        guard !kinds.isEmpty else { throw BinXMLError("end of an element that was not started") }
        let closed = kinds.removeLast()
        let depth = kinds.count
        if depth == captureDepth {
            captureDepth = -1
            finishCapture()
        } else if depth == 1, closed == .eventData, let text = eventDataText {
            eventDataText = nil
            record.addData("Data", text)
        }
    }

    private mutating func finishCapture() {
        let value = captureText
        if kinds.count == 2 && kinds[1] == .system {
            switch captureKind {
            case .eventID: eventIDText = value
            case .level: record.level = value
            case .eventRecordID: record.recordID = value.flatMap(parseInteger)
            case .channel: record.channel = value
            case .computer: record.computer = value
            default: break
            }
            return
        }
        if captureKind == .data && captureDataName == nil {
            // evtx-rs gathers unnamed `Data` into one `#text` list, an empty element as "".
            let value = value ?? ""
            if let index = unnamedDataIndex {
                record.eventData[index].value += "," + value
            } else {
                unnamedDataIndex = record.eventData.count
                record.addData("Data", value)
            }
            return
        }
        let name = uniqueName(captureKind == .data ? captureDataName ?? captureName : captureName)
        if let value { record.addData(name, value) }
    }

    /// `name`, or `name_1`, `name_2`… when the container already has it (evtx-rs's JSON keys).
    private mutating func uniqueName(_ name: String) -> String {
        guard containerNames.contains(name) else {
            containerNames.append(name)
            return name
        }
        var number = 1
        while containerNames.contains(name + "_" + String(number)) { number += 1 }
        let unique = name + "_" + String(number)
        containerNames.append(unique)
        return unique
    }

    mutating func finish() throws(BinXMLError) -> WindowsEventRecord {
        finishAttribute()
        guard let text = eventIDText, let eventID = Int(text) else {
            throw BinXMLError("missing or invalid Event.System.EventID")
        }
        record.eventID = eventID
        return record
    }
}
