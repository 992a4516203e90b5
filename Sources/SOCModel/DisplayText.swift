/// Text from logs made safe and readable for a person: control characters shown as visible symbols (a terminal never
/// receives an escape sequence from log content), and long text cut at a word boundary.
///
/// ```swift
/// DisplayText.visible("a\u{1B}]0;PWNED\u{07}b")        // "a␛]0;PWNED␇b"
/// DisplayText.clipped("set VIRUSTOTAL_API_KEY to use it", to: 20)   // "set…"
/// ```
public enum DisplayText {
    /// `text` on one line with every control character visible: C0 controls as their Unicode control pictures
    /// (`␊` for a line feed, `␛` for escape), DEL as `␡`, C1 controls and the bidirectional overrides as `<U+XXXX>`.
    public static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsShowing) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F:
                output.append(Unicode.Scalar(0x2400 + scalar.value) ?? "?")
            case 0x7F:
                output.append("\u{2421}")
            default:
                if needsShowing(scalar) {
                    output.append(contentsOf: "<U+\(String(scalar.value, radix: 16, uppercase: true))>".unicodeScalars)
                } else {
                    output.append(scalar)
                }
            }
        }
        return String(output)
    }

    /// Whether a scalar is a control or a formatting character that could move the cursor or reorder text.
    static func needsShowing(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` cut to at most `maximum` characters at a word boundary, with `…` when cut. A single word longer than
    /// most of the room is cut inside it rather than leaving almost nothing.
    public static func clipped(_ text: String, to maximum: Int) -> String {
        guard text.count > maximum else { return text }
        guard maximum > 1 else { return "…" }
        let room = text.prefix(maximum - 1)
        if let space = room.lastIndex(where: { $0 == " " }),
            room.distance(from: room.startIndex, to: space) >= maximum / 2
        {
            return String(room[..<space]).trimmingTrailingPunctuation() + "…"
        }
        return String(room) + "…"
    }

    /// `text` wrapped at word boundaries into lines of at most `width` characters (a longer word gets a line of its
    /// own, cut where it must be).
    public static func wrapped(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = Substring(word)
            if line.isEmpty, word.count > width {
                while word.count > width {
                    lines.append(String(word.prefix(width)))
                    word = word.dropFirst(width)
                }
                line = String(word)
            } else if line.count + 1 + word.count <= width || line.isEmpty {
                line += (line.isEmpty ? "" : " ") + word
            } else {
                lines.append(line)
                line = ""
                while word.count > width {
                    lines.append(String(word.prefix(width)))
                    word = word.dropFirst(width)
                }
                line = String(word)
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }
}

extension String {
    fileprivate func trimmingTrailingPunctuation() -> String {
        var text = Substring(self)
        while let last = text.last, ",;:(-".contains(last) || last == " " { text = text.dropLast() }
        return String(text)
    }
}
