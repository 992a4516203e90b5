/// A small, safe XML reader for Windows event XML.
///
/// It builds a tree of elements with attributes and text. There is no DTD support at all (a `<!DOCTYPE` is an
/// error), so external entities and entity expansion attacks cannot happen; only the five predefined entities and
/// numeric character references are decoded. Nesting is limited.
struct XMLElement {
    var name: String
    var attributes: [(name: String, value: String)] = []
    var children: [XMLElement] = []
    var text = ""

    /// The local name (without a namespace prefix).
    var localName: Substring {
        guard let colon = name.firstIndex(of: ":") else { return Substring(name) }
        return name[name.index(after: colon)...]
    }

    func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

    func child(_ name: String) -> XMLElement? { children.first { $0.localName == name } }

    /// Parses one element (and anything before it: a declaration, comments, whitespace).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> XMLElement {
        var reader = XMLReader(bytes: bytes)
        return try reader.document()
    }
}

private struct XMLReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    let maximumDepth = 64

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func error(_ reason: String) -> ParseError { ParseError.at(offset: position, in: bytes, reason) }

    mutating func document() throws(ParseError) -> XMLElement {
        while true {
            skipWhitespace()
            if starts(with: "<?") {
                try skip(past: "?>")
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<!") {
                throw error("DTDs and declarations are not accepted in event XML")
            } else {
                break
            }
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "<") else { throw error("expected an element") }
        return try element(depth: 0)
    }

    mutating func element(depth: Int) throws(ParseError) -> XMLElement {
        guard depth < maximumDepth else { throw error("XML nested deeper than \(maximumDepth) levels") }
        position += 1  // <
        var element = XMLElement(name: try name())
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated start tag <\(element.name)>") }
            if starts(with: "/>") {
                position += 2
                return element
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                break
            }
            let attributeName = try name()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
                throw error("expected '=' after attribute \(attributeName)")
            }
            position += 1
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'")
            else {
                throw error("expected a quoted attribute value")
            }
            let quote = bytes[position]
            position += 1
            let start = position
            while position < bytes.count && bytes[position] != quote { position += 1 }
            guard position < bytes.count else { throw error("unterminated attribute value") }
            element.attributes.append((attributeName, try decode(start, position)))
            position += 1
        }
        var text = ""
        while true {
            let start = position
            while position < bytes.count && bytes[position] != UInt8(ascii: "<") { position += 1 }
            if position > start { text += try decode(start, position) }
            guard position < bytes.count else { throw error("unterminated element <\(element.name)>") }
            if starts(with: "</") {
                position += 2
                let closing = try name()
                guard closing == element.name else { throw error("</\(closing)> does not close <\(element.name)>") }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw error("expected '>'") }
                position += 1
                element.text = text
                return element
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<![CDATA[") {
                position += 9
                let start = position
                try skip(past: "]]>")
                text += String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position - 3]), as: UTF8.self)
            } else if starts(with: "<!") || starts(with: "<?") {
                throw error("declarations are not accepted inside event XML")
            } else {
                element.children.append(try self.element(depth: depth + 1))
            }
        }
    }

    mutating func name() throws(ParseError) -> String {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "=")
            {
                break
            }
            position += 1
        }
        guard position > start else { throw error("expected a name") }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    func starts(with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        for index in 0..<count where bytes[position + index] != text.utf8Start[index] { return false }
        return true
    }

    mutating func skip(past terminator: StaticString) throws(ParseError) {
        while position < bytes.count {
            if starts(with: terminator) {
                position += terminator.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw error("unterminated \(terminator) section")
    }

    /// Decodes text between `start` and `end`: validates UTF-8 and expands entity and character references.
    func decode(_ start: Int, _ end: Int) throws(ParseError) -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw ParseError.at(offset: start, in: bytes, "invalid UTF-8 in XML text")
        }
        guard text.contains("&") else { return text }
        var output = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            output += rest[..<ampersand]
            guard let semicolon = rest[ampersand...].firstIndex(of: ";") else {
                throw error("unterminated entity reference")
            }
            let entity = rest[rest.index(after: ampersand)..<semicolon]
            switch entity {
            case "lt": output += "<"
            case "gt": output += ">"
            case "amp": output += "&"
            case "quot": output += "\""
            case "apos": output += "'"
            default:
                let scalarValue: UInt32?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalarValue = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    scalarValue = UInt32(entity.dropFirst())
                } else {
                    throw error("unknown entity &\(entity); (only the predefined entities are accepted)")
                }
                guard let value = scalarValue, let scalar = Unicode.Scalar(value) else {
                    throw error("invalid character reference")
                }
                output.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        output += rest
        return output
    }
}
