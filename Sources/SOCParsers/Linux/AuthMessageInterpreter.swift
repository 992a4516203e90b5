public import SOCModel

/// Reads the messages of Linux authentication programs (sshd, PAM, sudo, su, useradd, groupadd, …) into ECS
/// fields. Shared by the syslog parser, Sentinel `Syslog` rows and Filebeat documents without a pipeline.
///
/// Each sshd authentication attempt is one event with `event.outcome`; PAM's `authentication failure` line for the
/// same attempt is marked `event.action: pam_auth_failure` and carries the same `process.pid`, so queries can count
/// an attempt once. Connection housekeeping (`Connection closed`, `Received disconnect`) is `network`, not
/// `authentication`.
public enum AuthMessageInterpreter {
    /// Sets fields on `event` from a program name and its message; leaves the event unchanged when nothing matches.
    ///
    /// `message repeated N times: [ … ]` is read as the inner message with `socagent.repeat_count` N when N is in
    /// ``ECSField/repeatCountRange``. Any other N (`-1000`, `9223372036854775807`, `0`) is not believed: the line
    /// is kept and read as one occurrence of the inner message, with no repeat count.
    public static func interpret(_ program: String, _ message: String, into event: inout SecurityEvent) {
        var message = Substring(message)
        // "message repeated 3 times: [ Failed password for root from … ]"
        let countText = message.dropFirst(17).prefix { $0 != " " }
        if message.hasPrefix("message repeated "), let open = message.firstIndex(of: "["), isInteger(countText) {
            if let count = Int64(countText), ECSField.repeatCountRange.contains(count) {
                event[ECSField.repeatCount] = .integer(count)
            }
            message = message[message.index(after: open)...].drop { $0 == " " }
            if message.hasSuffix("]") { message = message.dropLast() }
        }
        let lowerProgram = program.lowercased()
        if message.hasPrefix("pam_unix(") || message.hasPrefix("pam_") || lowerProgram.contains("pam_unix") {
            pam(lowerProgram, message, into: &event)
        } else if lowerProgram.hasPrefix("sshd") {
            sshd(message, into: &event)
        } else if lowerProgram == "sudo" {
            sudo(message, into: &event)
        } else if lowerProgram == "su" {
            su(message, into: &event)
        } else if ["useradd", "adduser", "groupadd", "userdel", "groupdel", "usermod", "passwd", "chpasswd", "gpasswd"]
            .contains(lowerProgram)
        {
            accountManagement(lowerProgram, message, into: &event)
        } else if lowerProgram.hasPrefix("systemd-logind"), message.hasPrefix("New session ") {
            categorize(&event, "session", "start", "session_opened", "success")
            event.set(
                ECSField.userName,
                word(after: " of user ", in: message).map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
            )
        }
    }

    private static func sshd(_ message: Substring, into event: inout SecurityEvent) {
        event[ECSField.eventModule] = .string("system")
        if message.hasPrefix("Failed ") || message.hasPrefix("Accepted ") {
            // "Failed password for [invalid user ]X from IP port P ssh2", "Accepted publickey for X from IP port P ssh2: RSA …"
            let success = message.hasPrefix("Accepted ")
            let method = word(after: success ? "Accepted " : "Failed ", in: message)
            categorize(&event, "authentication", "start", "ssh_login", success ? "success" : "failure")
            event.set("system.auth.ssh.method", method)
            if let forRange = message.firstRange(of: " for ") {
                var rest = message[forRange.upperBound...]
                if rest.hasPrefix("invalid user ") {
                    rest = rest.dropFirst(13)
                    event["system.auth.ssh.invalid_user"] = .string("true")
                }
                // The user name may contain spaces; it ends at the last " from ".
                if let from = rest.ranges(of: " from ").last {
                    event.set(ECSField.userName, String(rest[..<from.lowerBound]))
                    setAddressAndPort(String(rest[from.upperBound...]), into: &event)
                }
            }
            if !success { event.set(ECSField.eventReason, method.map { "failed \($0)" }) }
        } else if message.hasPrefix("Invalid user ") || message.hasPrefix("Illegal user ") {
            // "Invalid user X from IP [port P]": the attempt itself is counted by its "Failed …" line.
            categorize(&event, "authentication", "info", "ssh_invalid_user", nil)
            let rest = message.dropFirst(13)
            if let from = rest.ranges(of: " from ").last {
                event.set(ECSField.userName, String(rest[..<from.lowerBound]))
                setAddressAndPort(String(rest[from.upperBound...]), into: &event)
            } else {
                event.set(ECSField.userName, String(rest))
            }
        } else if message.hasPrefix("input_userauth_request: invalid user ") {
            categorize(&event, "authentication", "info", "ssh_invalid_user", nil)
            event.set(ECSField.userName, word(after: "invalid user ", in: message))
        } else if message.contains("POSSIBLE BREAK-IN ATTEMPT") {
            categorize(&event, "intrusion_detection", "info", "ssh_possible_breakin", nil)
            // "reverse mapping checking getaddrinfo for HOST [IP] failed …" or "Address IP maps to HOST, but …"
            if let open = message.firstIndex(of: "["), let close = message[open...].firstIndex(of: "]") {
                WindowsEventNormalizer.setIP(
                    &event,
                    ECSField.sourceIP,
                    String(message[message.index(after: open)..<close])
                )
                event.set(ECSField.sourceDomain, word(after: "getaddrinfo for ", in: message))
            } else if message.hasPrefix("Address ") {
                WindowsEventNormalizer.setIP(&event, ECSField.sourceIP, word(after: "Address ", in: message))
                event.set(
                    ECSField.sourceDomain,
                    word(after: " maps to ", in: message).map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
                )
            }
        } else if message.hasPrefix("error: maximum authentication attempts exceeded for ") {
            categorize(&event, "authentication", "info", "ssh_max_attempts_exceeded", nil)
            let rest = message.dropFirst(52)
            var user = rest
            if user.hasPrefix("invalid user ") { user = user.dropFirst(13) }
            if let from = user.ranges(of: " from ").last {
                event.set(ECSField.userName, String(user[..<from.lowerBound]))
                setAddressAndPort(String(user[from.upperBound...]), into: &event)
            }
        } else if message.hasPrefix("Received disconnect from ") || message.hasPrefix("Disconnected from ")
            || message.hasPrefix("Connection closed by ") || message.hasPrefix("Connection reset by ")
            || message.hasPrefix("Did not receive identification string from ") || message.hasPrefix("Connection from ")
            || message.hasPrefix("Timeout before authentication for ")
        {
            categorize(
                &event,
                "network",
                message.hasPrefix("Connection from ") ? "start" : "end",
                "ssh_connection",
                nil
            )
            var rest = message.drop { $0 != " " }.dropFirst()
            // Skip the words before the address: "closed by [authenticating|invalid] user X", "disconnect from", …
            let words = rest.split(separator: " ")
            if let address = words.first(where: { IPAddressText.isIP($0.hasSuffix(":") ? $0.dropLast() : $0) }) {
                WindowsEventNormalizer.setIP(
                    &event,
                    ECSField.sourceIP,
                    String(address.hasSuffix(":") ? address.dropLast() : address)
                )
                if let index = words.firstIndex(of: address), index + 2 < words.count, words[index + 1] == "port" {
                    let port = words[index + 2].prefix { $0.isNumber }
                    if let value = Int64(port) { event[ECSField.sourcePort] = .integer(value) }
                }
            }
            if let user = rest.firstRange(of: " user ") {
                rest = rest[user.upperBound...]
                event.set(ECSField.userName, rest.split(separator: " ").first.map(String.init))
            }
        }
    }

    private static func pam(_ program: String, _ message: Substring, into event: inout SecurityEvent) {
        // "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=root"
        var service = program
        if message.hasPrefix("pam_unix("), let colon = message.firstIndex(of: ":"),
            let close = message.firstIndex(of: ")")
        {
            service = String(message[message.index(message.startIndex, offsetBy: 9)..<min(colon, close)])
        } else if let paren = program.firstIndex(of: "(") {
            service = String(program[..<paren])
        }
        event.set("system.auth.pam.service", service)
        if message.contains("authentication failure") {
            let more = message.firstRange(of: " more authentication failure") != nil
            categorize(
                &event,
                "authentication",
                "start",
                more ? "pam_auth_failures_summary" : "pam_auth_failure",
                "failure"
            )
            event.set(ECSField.userName, keyValue("user", in: message))
            let host = keyValue("rhost", in: message)
            if let host, IPAddressText.isIP(host) {
                WindowsEventNormalizer.setIP(&event, ECSField.sourceIP, host)
            } else {
                event.set(ECSField.sourceDomain, host)
            }
            event.set(ECSField.eventReason, "authentication failure")
        } else if message.contains("session opened for user ") {
            categorize(&event, "session", "start", "session_opened", "success")
            event.set(ECSField.userName, word(after: "session opened for user ", in: message))
            if let by = word(after: " by ", in: message), let paren = by.firstIndex(of: "(") {
                event.set("user.effective.name", by[..<paren].isEmpty ? nil : String(by[..<paren]))
            }
        } else if message.contains("session closed for user ") {
            categorize(&event, "session", "end", "session_closed", "success")
            event.set(ECSField.userName, word(after: "session closed for user ", in: message))
        } else if message.contains("password changed for ") {
            categorize(&event, "iam", "change", "password_changed", "success")
            event.set(ECSField.userName, word(after: "password changed for ", in: message))
        } else if message.contains("check pass; user unknown") {
            categorize(&event, "authentication", "info", "pam_user_unknown", nil)
        }
    }

    private static func sudo(_ message: Substring, into event: inout SecurityEvent) {
        // "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls"
        guard let colon = message.firstRange(of: " : ") else { return }
        let user = message[..<colon.lowerBound].trimmingCharacters(in: " ")
        let rest = message[colon.upperBound...]
        event.set(ECSField.userName, user)
        event.set("user.effective.name", keyValue("USER", in: rest, separator: ";"))
        event.set(ECSField.processCommandLine, keyValue("COMMAND", in: rest, separator: ";"))
        event.set(ECSField.processWorkingDirectory, keyValue("PWD", in: rest, separator: ";"))
        if rest.contains("incorrect password attempt") {
            categorize(&event, "authentication", "start", "sudo_auth_failure", "failure")
            event.set(ECSField.eventReason, "incorrect password")
        } else if rest.contains("NOT in sudoers") || rest.contains("command not allowed")
            || rest.contains("NOT allowed")
        {
            categorize(&event, "process", "denied", "sudo", "failure")
            event.set(
                ECSField.eventReason,
                rest.contains("NOT in sudoers") ? "user not in sudoers" : "command not allowed"
            )
        } else if rest.contains("COMMAND=") {
            categorize(&event, "process", "start", "sudo", "success")
        }
    }

    private static func su(_ message: Substring, into event: inout SecurityEvent) {
        // "FAILED su for root by alice", "FAILED SU (to root) alice on pts/0", "(to root) alice on pts/0", "Successful su for root by alice"
        let failed = message.hasPrefix("FAILED")
        if message.contains(" for "), let by = word(after: " by ", in: message) {
            event.set(ECSField.userName, by)
            event.set("user.effective.name", word(after: " for ", in: message))
        } else if let to = message.firstRange(of: "(to ") {
            let after = message[to.upperBound...]
            event.set("user.effective.name", after.prefix { $0 != ")" }.description)
            event.set(ECSField.userName, word(after: ") ", in: after))
        } else {
            return
        }
        categorize(&event, "authentication", "start", "su", failed ? "failure" : "success")
    }

    private static func accountManagement(_ program: String, _ message: Substring, into event: inout SecurityEvent) {
        switch program {
        case "useradd", "adduser":
            guard message.hasPrefix("new user: ") else { return }
            categorize(&event, "iam", "creation", "user_created", "success")
            event[ECSField.eventType] = .strings(["user", "creation"])
            event.set(ECSField.userName, keyValue("name", in: message, separator: ","))
        case "groupadd":
            guard message.hasPrefix("new group: ") else { return }
            categorize(&event, "iam", "creation", "group_created", "success")
            event[ECSField.eventType] = .strings(["group", "creation"])
            event.set(ECSField.groupName, keyValue("name", in: message, separator: ","))
        case "userdel":
            guard message.hasPrefix("delete user") else { return }
            categorize(&event, "iam", "deletion", "user_deleted", "success")
            event.set(ECSField.userName, quoted(in: message))
        case "usermod", "gpasswd":
            guard message.hasPrefix("add '") || message.hasPrefix("add ") else { return }
            categorize(&event, "iam", "change", "user_added_to_group", "success")
            let names = message.split(separator: "'")
            if names.count >= 4 {
                event.set(ECSField.userName, String(names[1]))
                event.set(ECSField.groupName, String(names[3]))
            }
        default:
            if message.contains("password changed") || message.contains("password for") {
                categorize(&event, "iam", "change", "password_changed", "success")
            }
        }
    }

    // MARK: - Helpers

    private static func categorize(
        _ event: inout SecurityEvent,
        _ category: String,
        _ type: String,
        _ action: String,
        _ outcome: String?
    ) {
        event[ECSField.eventCategory] = .strings([category])
        event[ECSField.eventType] = .strings([type])
        event[ECSField.eventAction] = .string(action)
        if let outcome { event[ECSField.eventOutcome] = .string(outcome) }
    }

    /// `IP port P …` or `IP` → `source.ip` / `source.port`.
    private static func setAddressAndPort(_ text: String, into event: inout SecurityEvent) {
        let words = text.split(separator: " ")
        guard let address = words.first else { return }
        WindowsEventNormalizer.setIP(&event, ECSField.sourceIP, String(address))
        if words.count >= 3, words[1] == "port", let port = Int64(words[2].prefix { $0.isNumber }) {
            event[ECSField.sourcePort] = .integer(port)
        }
    }

    /// The word after `marker`, up to the next space.
    static func word(after marker: String, in text: Substring) -> String? {
        guard let range = text.firstRange(of: marker) else { return nil }
        let word = text[range.upperBound...].prefix { $0 != " " }
        return word.isEmpty ? nil : String(word)
    }

    /// The value of `key=value` in text such as PAM's `rhost=1.2.3.4  user=root` or sudo's `USER=root ;`.
    static func keyValue(_ key: String, in text: Substring, separator: Character = " ") -> String? {
        var search = text[...]
        while let range = search.firstRange(of: key + "=") {
            let before = range.lowerBound == text.startIndex ? " " : text[text.index(before: range.lowerBound)]
            if before == " " || before == ";" || before == "," || before == "\t" {
                let value = text[range.upperBound...].prefix { $0 != separator && (separator != " " || $0 != "\t") }
                let trimmed = value.trimmingCharacters(in: " ")
                return trimmed.isEmpty ? nil : trimmed
            }
            search = text[range.upperBound...]
        }
        return nil
    }

    private static func quoted(in text: Substring) -> String? {
        let parts = text.split(separator: "'")
        return parts.count >= 2 ? String(parts[1]) : nil
    }

    /// Whether `text` is an optional `-` and ASCII digits, however many.
    private static func isInteger(_ text: Substring) -> Bool {
        let digits = text.first == "-" ? text.dropFirst() : text
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

}
