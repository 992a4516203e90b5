import SOCModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to standard error, and knowing whether a person is watching.
enum Terminal {
    /// Whether standard error is a terminal (progress lines are drawn only then).
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// Whether standard output is a terminal (reports are shown as plain text then, as Markdown otherwise).
    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

    /// The terminal's width ($COLUMNS, else the window's, else 100), at least 40.
    static var columns: Int {
        if let text = getenv("COLUMNS").map({ String(cString: $0) }), let columns = Int(text), columns >= 40 {
            return columns
        }
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 { return Int(size.ws_col) }
        return 100
    }

    /// Prints human-readable output whose values may come from logs: each line with its control characters shown
    /// as visible symbols, so log content never sends an escape sequence to the terminal.
    static func show(_ text: String) {
        print(
            text.split(separator: "\n", omittingEmptySubsequences: false).map { DisplayText.visible(String($0)) }
                .joined(separator: "\n")
        )
    }

    /// Writes `text` to standard error as is.
    static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    /// A number with thousands separators: `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }
}
