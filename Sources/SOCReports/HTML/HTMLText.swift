/// Escaping for text placed in HTML and SVG: log content is attacker-controlled, so every string from a report,
/// an alert or an event goes through here (or through a Mustache `{{variable}}`, which escapes the same way).
public enum HTMLText {
    /// `text` with `& < > " '` replaced by character references, and control characters (but tab and line feed)
    /// shown as the replacement character, so nothing in it can open a tag, close an attribute or hide text.
    public static func escape(_ text: some StringProtocol) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            case "\t", "\n": output.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    output += "\u{FFFD}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output
    }

    /// The MITRE ATT&CK page of a technique id (`T1110.001` → `https://attack.mitre.org/techniques/T1110/001/`),
    /// or nil when `id` is not a technique id.
    public static func attackURL(_ id: String) -> String? {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0].count == 5, parts[0].first == "T",
            parts[0].dropFirst().allSatisfy(\.isASCII), parts[0].dropFirst().allSatisfy(\.isNumber),
            parts.count == 1 || (parts[1].count == 3 && parts[1].allSatisfy { $0.isASCII && $0.isNumber })
        else { return nil }
        return "https://attack.mitre.org/techniques/" + parts.joined(separator: "/") + "/"
    }
}
