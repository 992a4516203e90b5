public import SOCModel

/// Extracts indicators of compromise from free text and from events.
///
/// Finds IPv4/IPv6 addresses and CIDR blocks, domains, URLs, e-mail addresses, MD5/SHA-1/SHA-256 hashes, CVE ids,
/// user and host names from their context (`for user 'admin'`, `for invalid user X`, `DOMAIN\user`, `user@host`,
/// `rhost=`, a syslog header), timestamps (normalized to ISO 8601 UTC) and absolute file paths. Defanged forms
/// (`hxxp://`, `1.2.3[.]4`, `example[.]com`, `user[@]example[.]com`) are refanged first.
///
/// The text is attacker-controlled: it is only ever scanned, byte by byte, in time linear in its length.
public enum IndicatorExtractor {
    /// Extracts the indicators in `text`.
    public static func extract(_ text: String) -> IndicatorSet {
        var scanner = IndicatorTextScanner(Array(refang(text).utf8))
        scanner.run()
        return scanner.found
    }

    /// Extracts the indicators of an event: its ECS fields (addresses, accounts, host, hashes, executables,
    /// domains, URL, time) and whatever its message and command lines mention.
    public static func extract(from event: SecurityEvent) -> IndicatorSet {
        var found = IndicatorSet()
        func values(_ fields: [String]) -> [String] { fields.flatMap { event.fields[$0]?.stringValues ?? [] } }
        for ip in values([ECSField.sourceIP, ECSField.destinationIP, ECSField.hostIP, ECSField.relatedIP])
        where IPAddress(ip) != nil {
            found.ips.appendOnce(ip.lowercased())
        }
        for domain in values([ECSField.dnsQuestionName, ECSField.destinationDomain, ECSField.sourceDomain])
        where Domains.isDomain(Array(domain.utf8)) {
            found.domains.appendOnce(domain.lowercased())
        }
        for url in values([ECSField.urlOriginal]) { found.formUnion(extract(url)) }
        for hash in values([
            ECSField.relatedHash, ECSField.processHashMD5, ECSField.processHashSHA1, ECSField.processHashSHA256,
            ECSField.fileHashMD5, ECSField.fileHashSHA1, ECSField.fileHashSHA256,
        ]) where HashKind(hexLength: hash.utf8.count) != nil && hash.allSatisfy(\.isHexDigit) {
            found.hashes.appendOnce(hash.lowercased())
        }
        for user in values([ECSField.userName, ECSField.userTargetName, ECSField.relatedUser])
        where !SecurityEvent.isPlaceholder(user) {
            found.users.appendOnce(user)
        }
        for host in values([ECSField.hostName, ECSField.winlogComputerName, ECSField.relatedHosts])
        where !SecurityEvent.isPlaceholder(host) {
            found.hosts.appendOnce(host.lowercased())
        }
        if let timestamp = event.timestamp { found.timestamps.appendOnce(compactISO8601(timestamp)) }
        for path in values([ECSField.processExecutable, ECSField.processParentExecutable, ECSField.filePath])
        where path.hasPrefix("/") || path.hasPrefix("\\\\")
            || (path.utf8.count > 2 && path.utf8.dropFirst().first == 0x3A)
        {
            found.paths.appendOnce(path)
        }
        for text in values([ECSField.message, ECSField.processCommandLine, ECSField.processParentCommandLine]) {
            var more = extract(text)
            more.timestamps = []  // the event's own time is authoritative
            found.formUnion(more)
        }
        return found
    }

    /// Undoes the common defanging conventions: `hxxp`/`hxxps`/`fxp` → `http`/`https`/`ftp`; `[.]`, `(.)`,
    /// `{.}`, `[dot]`, `(dot)` → `.`; `[:]` → `:`; `[://]` → `://`; `[/]` → `/`; `[@]`, `(@)`, `[at]`, `(at)` → `@`.
    public static func refang(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == 0x5B || $0 == 0x28 || $0 == 0x7B || $0 | 0x20 == 0x78 }) else {
            return text
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        outer: while index < bytes.count {
            let byte = bytes[index] | 0x20
            guard byte == 0x5B || byte == 0x28 || byte == 0x7B || byte == 0x68 || byte == 0x66 else {
                output.append(bytes[index])
                index += 1
                continue
            }
            for (pattern, replacement) in Self.defangings where matchesFolded(bytes, at: index, pattern) {
                // A scheme is refanged only when it is one: `hxxp` followed by `:` or `[:`.
                if pattern.first == 0x68 || pattern.first == 0x66 {
                    let after = index + pattern.count
                    guard after < bytes.count, bytes[after] == 0x3A || bytes[after] == 0x5B else { continue }
                    guard index == 0 || !isAlphanumeric(bytes[index - 1]) else { continue }
                }
                output += replacement
                index += pattern.count
                continue outer
            }
            output.append(bytes[index])
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Defanged spellings and what they stand for (matched without regard to case).
    private static let defangings: [(pattern: [UInt8], replacement: [UInt8])] = [
        ("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("(dot)", "."), ("{dot}", "."),
        ("[:]", ":"), ("[://]", "://"), ("[/]", "/"), ("[@]", "@"), ("(@)", "@"), ("{@}", "@"), ("[at]", "@"),
        ("(at)", "@"), ("hxxps", "https"), ("hxxp", "http"), ("hxtp", "http"), ("fxp", "ftp"),
    ].map { (Array($0.utf8), Array($1.utf8)) }

    /// ISO 8601 UTC without a fraction when the instant has none (`2024-02-04T10:15:23Z`).
    public static func compactISO8601(_ timestamp: Timestamp) -> String {
        let text = timestamp.iso8601
        return timestamp.microsecondsSinceEpoch % 1_000_000 == 0 ? String(text.dropLast(5)) + "Z" : text
    }

    static func matchesFolded(_ bytes: [UInt8], at index: Int, _ pattern: [UInt8]) -> Bool {
        guard index + pattern.count <= bytes.count else { return false }
        for offset in 0..<pattern.count {
            let byte = bytes[index + offset]
            let folded = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            if folded != pattern[offset] { return false }
        }
        return true
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
    }
}
