public import Foundation
import SOCReports
import SOCThreatIntel

/// socagent's settings as the environment gives them: the process environment over the `KEY=value` lines of `.env`
/// in the working directory, read once. Every command, the library API and the tests resolve their settings here,
/// with one precedence: a flag, then the process environment, then `.env`, then the default.
///
/// ```swift
/// let environment = AnalystEnvironment.current()
/// environment.storeLocation(flag: nil)   // $SOCAGENT_STORE, $ELK_HOST or socagent.db
/// ```
///
/// ## Configuration keys
/// - `SOCAGENT_STORE`, `ELK_HOST`: the event store (a SQLite path or a cluster URL); `ELK_USERNAME`/`ELK_PASSWORD`,
///   `ELK_API_KEY`, `ELK_CA_FILE`, `ELK_INDEX_PATTERNS` for a cluster.
/// - `SOCAGENT_REPORT_DIR`: the reports folder (`./reports`).
/// - `SOCAGENT_CACHE_DIR` (or `XDG_CACHE_HOME`): where `intel.db` and the compiled rules (`rules/`) live
///   (`~/.cache/socagent`).
/// - `ANTHROPIC_API_KEY`, `ANTHROPIC_MODEL`, `ANTHROPIC_BASE_URL`; `OPENAI_BASE_URL`, `OPENAI_MODEL`, `OPENAI_API_KEY`.
/// - `ABUSEIPDB_API_KEY`, `ABUSEIPDB_BASE_URL`, `ABUSEIPDB_DAILY_LIMIT`; `VIRUSTOTAL_API_KEY`, `VIRUSTOTAL_BASE_URL`,
///   `VIRUSTOTAL_PER_MINUTE`, `VIRUSTOTAL_PER_DAY`; `NVD_API_KEY`, `NVD_BASE_URL`.
public struct AnalystEnvironment: Sendable {
    /// Every variable, the process environment's over `.env`'s.
    public let values: [String: String]

    /// Settings from explicit values (tests, embedding programs).
    public init(values: [String: String]) {
        self.values = values
    }

    /// The process environment over `.env` in `directory` (the working directory by default); an empty variable in
    /// the process environment counts as unset, so `.env` can still give it.
    public static func current(directory: String = FileManager.default.currentDirectoryPath) -> AnalystEnvironment {
        var values = dotEnv(at: directory + "/.env")
        for (key, value) in ProcessInfo.processInfo.environment where !value.isEmpty { values[key] = value }
        return AnalystEnvironment(values: values)
    }

    /// A variable's value; an empty value counts as unset.
    public subscript(name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Where events are: the flag, else `SOCAGENT_STORE`, else `ELK_HOST`, else `socagent.db`.
    public func storeLocation(flag: String?) -> String { StoreLocation.resolve(flag: flag, environment: self) }

    /// The reports folder: the flag, else `SOCAGENT_REPORT_DIR`, else `./reports`.
    public func reportDirectory(flag: String?) -> String { ReportStore.resolve(flag: flag, environment: values) }

    /// The intel database: `$SOCAGENT_CACHE_DIR/intel.db`, else `~/.cache/socagent/intel.db`.
    public var intelDatabasePath: String { IntelDatabase.defaultPath(environment: values) }

    /// Reads `KEY=value` lines; `#` comments, blank lines, `export ` prefixes and quotes are allowed.
    ///
    /// A quoted value ends at its closing quote, and anything after it (`KEY='v' # comment`) is ignored; an
    /// unquoted value ends before a ` #` comment. A `#` not preceded by whitespace is part of the value.
    public static func dotEnv(at path: String) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            values[key] = dotEnvValue(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        return values
    }

    /// The value of one `.env` assignment: the inside of its quotes, or the text before a ` #` comment.
    static func dotEnvValue(_ text: String) -> String {
        if let quote = text.first, quote == "\"" || quote == "'" {
            var inside = ""
            var escaped = false
            for character in text.dropFirst() {
                if escaped {
                    if character != quote && character != "\\" { inside.append("\\") }
                    inside.append(character)
                    escaped = false
                } else if character == "\\" && quote == "\"" {
                    escaped = true
                } else if character == quote {
                    return inside
                } else {
                    inside.append(character)
                }
            }
            return text  // no closing quote: the text as written
        }
        var value = Substring(text)
        if let comment = value.firstRange(of: " #") ?? value.firstRange(of: "\t#") {
            value = value[..<comment.lowerBound]
        }
        return value.trimmingCharacters(in: .whitespaces)
    }
}
