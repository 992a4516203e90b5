import SOCModel

/// One pass of indicator extraction over a refanged text (see ``IndicatorExtractor``).
///
/// URLs and e-mail addresses are found first and blanked out, so their parts are not found again as loose domains or
/// paths; then one left-to-right walk tries, at each token start, a CVE id, a Windows/UNC/Unix path, a timestamp,
/// an IPv4 address or CIDR block, an IPv6 address, a hash and a domain; finally user and host names are read from
/// the phrases and keys that introduce them.
struct IndicatorTextScanner {
    private let original: [UInt8]
    private var bytes: [UInt8]
    private(set) var found = IndicatorSet()

    /// Whether the text is a JSON document, where `\\` is one escaped backslash.
    private let isJSON: Bool

    init(_ bytes: [UInt8]) {
        original = bytes
        self.bytes = bytes
        isJSON = bytes.first(where: { $0 > 0x20 }).map { $0 == 0x7B || $0 == 0x5B } ?? false
    }

    mutating func run() {
        guard !bytes.isEmpty else { return }
        scanEmails()
        scanURLs()
        for span in emailSpans { blank(span) }
        scanTokens()
        scanSyslogHost()
        scanContextValues()
        scanDomainAccounts()
        scanSudoAndSu()
    }

    // MARK: URLs and e-mail addresses

    private static let schemes: Set<String> = [
        "http", "https", "ftp", "ftps", "sftp", "ws", "wss", "ldap", "ldaps", "rmi", "dns", "smb", "tftp", "ssh",
        "telnet", "irc", "nntp", "rtsp", "git",
    ]

    private mutating func scanURLs() {
        var index = 0
        while let separator = find(Array("://".utf8), from: index) {
            index = separator + 3
            var start = separator
            while start > 0, Self.isSchemeByte(bytes[start - 1]) { start -= 1 }
            let scheme = String(decoding: bytes[start..<separator], as: UTF8.self).lowercased()
            guard Self.schemes.contains(scheme) else { continue }
            var end = separator + 3
            while end < bytes.count, !Self.endsURL(bytes[end]) { end += 1 }
            end = trimTrailingPunctuation(start: separator + 3, end: end)
            guard let host = urlHost(from: separator + 3, to: end) else { continue }
            if let ip = IPAddress(host), IPAddressText.isIP(host) {
                found.ips.appendOnce(ip.isIPv4 ? host : host.lowercased())
            } else if Domains.isDomain(Array(host.utf8), strictCase: false) {
                found.domains.appendOnce(host.lowercased())
            }
            found.urls.appendOnce(String(decoding: bytes[start..<end], as: UTF8.self))
            blank(start..<end)
            index = end
        }
    }

    /// The host of the authority that starts at `start`: user info dropped, `[v6]` unwrapped, the port dropped.
    private func urlHost(from start: Int, to end: Int) -> String? {
        var authorityEnd = start
        while authorityEnd < end, ![0x2F, 0x3F, 0x23].contains(bytes[authorityEnd]) { authorityEnd += 1 }
        var hostStart = start
        if let at = bytes[start..<authorityEnd].lastIndex(of: 0x40) { hostStart = at + 1 }
        guard hostStart < authorityEnd else { return nil }
        if bytes[hostStart] == 0x5B {
            guard let close = bytes[hostStart..<authorityEnd].firstIndex(of: 0x5D) else { return nil }
            return String(decoding: bytes[(hostStart + 1)..<close], as: UTF8.self)
        }
        var hostEnd = hostStart
        while hostEnd < authorityEnd, bytes[hostEnd] != 0x3A { hostEnd += 1 }
        let host = bytes[hostStart..<hostEnd]
        guard !host.isEmpty,
            host.allSatisfy({ IndicatorExtractor.isAlphanumeric($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x5F })
        else { return nil }
        return String(decoding: host, as: UTF8.self)
    }

    /// E-mail spans, blanked once URLs have been read (an address may sit in a URL's query).
    private var emailSpans: [Range<Int>] = []

    private mutating func scanEmails() {
        var index = 0
        while index < bytes.count {
            guard original[index] == 0x40 else {
                index += 1
                continue
            }
            var localStart = index
            while localStart > 0, Self.isEmailLocalByte(original[localStart - 1]) { localStart -= 1 }
            while localStart < index, original[localStart] == 0x2E { localStart += 1 }
            var domainEnd = index + 1
            while domainEnd < original.count, Self.isHostByte(original[domainEnd]) { domainEnd += 1 }
            while domainEnd > index + 1, original[domainEnd - 1] == 0x2E || original[domainEnd - 1] == 0x2D {
                domainEnd -= 1
            }
            let local = original[localStart..<index]
            let domain = Array(original[(index + 1)..<domainEnd])
            defer { index = max(domainEnd, index + 1) }
            guard !local.isEmpty, !domain.isEmpty else { continue }
            if Domains.isDomain(domain, strictCase: false) {
                let address = String(decoding: original[localStart..<domainEnd], as: UTF8.self).lowercased()
                found.emails.appendOnce(address)
                found.domains.appendOnce(String(decoding: domain, as: UTF8.self).lowercased())
                emailSpans.append(localStart..<domainEnd)
            } else if local.contains(where: { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A }), !followsClockTime(localStart),
                domain[0] | 0x20 >= 0x61 && domain[0] | 0x20 <= 0x7A
                    || IPAddressText.isIP(String(decoding: domain, as: UTF8.self)),
                local.allSatisfy({ $0 != 0x2B && $0 != 0x25 })
            {
                // `jdoe@WORKSTATION1`, `root@10.0.0.5`: an account on a machine.
                addUser(String(decoding: local, as: UTF8.self))
                let host = String(decoding: domain, as: UTF8.self)
                if IPAddressText.isIPv4(host) {
                    found.ips.appendOnce(host)
                } else {
                    addHost(host)
                }
            }
        }
    }

    // MARK: The token walk

    private mutating func scanTokens() {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let previous: UInt8 = index > 0 ? bytes[index - 1] : 0x20
            if let end = windowsPath(at: index, previous: previous) ?? unixPath(at: index, previous: previous) {
                index = end
                continue
            }
            if byte == 0x3A, index + 2 < bytes.count, bytes[index + 1] == 0x3A, Self.startsToken(after: previous),
                let end = ipv6(at: index)
            {
                index = end  // `::1`, `::ffff:10.0.0.1`
                continue
            }
            guard IndicatorExtractor.isAlphanumeric(byte), Self.startsToken(after: previous) else {
                index += 1
                continue
            }
            if let end = cve(at: index) ?? timestamp(at: index) ?? ipv4(at: index) ?? ipv6(at: index)
                ?? hash(at: index) ?? domain(at: index, previous: previous)
            {
                index = end
                continue
            }
            while index < bytes.count, Self.isWordByte(bytes[index]) { index += 1 }
        }
    }

    private static let cveMarker = Array("cve-".utf8)

    private mutating func cve(at index: Int) -> Int? {
        guard IndicatorExtractor.matchesFolded(bytes, at: index, Self.cveMarker) else { return nil }
        var cursor = index + 4
        let yearStart = cursor
        while cursor < bytes.count, isDigit(bytes[cursor]) { cursor += 1 }
        guard cursor - yearStart == 4, cursor < bytes.count, bytes[cursor] == 0x2D else { return nil }
        cursor += 1
        let numberStart = cursor
        while cursor < bytes.count, isDigit(bytes[cursor]) { cursor += 1 }
        guard cursor - numberStart >= 4, !followsWord(cursor) else { return nil }
        found.cves.appendOnce(String(decoding: bytes[index..<cursor], as: UTF8.self).uppercased())
        return cursor
    }

    private mutating func timestamp(at index: Int) -> Int? {
        let match = bytes.withUnsafeBytes { buffer in
            let rest = UnsafeRawBufferPointer(rebasing: buffer[index...])
            return isDigit(bytes[index])
                ? TimestampParser.prefix(rest, year: nil, allowEpoch: false) : TimestampParser.weekdayPrefix(rest)
        }
        guard let match, bytes[index..<(index + match.length)].contains(0x3A), !followsWord(index + match.length)
        else { return nil }
        found.timestamps.appendOnce(IndicatorExtractor.compactISO8601(match.timestamp))
        return index + match.length
    }

    private mutating func ipv4(at index: Int) -> Int? {
        guard isDigit(bytes[index]) else { return nil }
        var end = index
        while end < bytes.count, isDigit(bytes[end]) || bytes[end] == 0x2E { end += 1 }
        var addressEnd = end
        while addressEnd > index, bytes[addressEnd - 1] == 0x2E { addressEnd -= 1 }
        let address = String(decoding: bytes[index..<addressEnd], as: UTF8.self)
        guard IPAddressText.isIPv4(address), !followsWord(addressEnd), !followsWord(end), !afterVersionWord(index)
        else { return nil }
        if let prefixEnd = cidrPrefix(after: addressEnd, maximum: 32) {
            found.ips.appendOnce(String(decoding: bytes[index..<prefixEnd], as: UTF8.self))
            return prefixEnd
        }
        found.ips.appendOnce(address)
        return addressEnd
    }

    /// Where the last IPv6 candidate run ended: a run is read once, so `a:a:a:…` costs linear time.
    private var ipv6RunEnd = 0

    private mutating func ipv6(at index: Int) -> Int? {
        guard index >= ipv6RunEnd else { return nil }
        var end = index
        var colons = 0
        while end < bytes.count, isHexDigit(bytes[end]) || bytes[end] == 0x3A || bytes[end] == 0x2E {
            if bytes[end] == 0x3A { colons += 1 }
            end += 1
        }
        ipv6RunEnd = end
        guard colons >= 2 else { return nil }
        // A trailing single colon (`fe80::1:` before a port or in prose) is not part of the address.
        while end > index,
            bytes[end - 1] == 0x2E || (bytes[end - 1] == 0x3A && (end - 2 < index || bytes[end - 2] != 0x3A))
        {
            end -= 1
        }
        let text = String(decoding: bytes[index..<end], as: UTF8.self)
        guard IPAddressText.isIPv6(text), !followsWord(end) else { return nil }
        // `52:54:00:65:43:21:08:00`: eight two-digit groups are a hardware address, not an IPv6 one.
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        if !text.contains("::"), groups.allSatisfy({ $0.utf8.count == 2 }) { return nil }
        if let prefixEnd = cidrPrefix(after: end, maximum: 128) {
            found.ips.appendOnce(String(decoding: bytes[index..<prefixEnd], as: UTF8.self).lowercased())
            return prefixEnd
        }
        found.ips.appendOnce(text.lowercased())
        return end
    }

    private func cidrPrefix(after end: Int, maximum: Int) -> Int? {
        guard end + 1 < bytes.count, bytes[end] == 0x2F else { return nil }
        var cursor = end + 1
        var value = 0
        while cursor < bytes.count, isDigit(bytes[cursor]), cursor - end <= 3 {
            value = value * 10 + Int(bytes[cursor] - 0x30)
            cursor += 1
        }
        guard cursor > end + 1, value <= maximum, !followsWord(cursor) else { return nil }
        return cursor
    }

    private mutating func hash(at index: Int) -> Int? {
        var end = index
        while end < bytes.count, isHexDigit(bytes[end]) { end += 1 }
        let run = bytes[index..<end]
        guard HashKind(hexLength: run.count) != nil, !followsWord(end), run.contains(where: isDigit),
            run.contains(where: { !isDigit($0) }), !Self.isHexEncodedText(run)
        else { return nil }
        found.hashes.appendOnce(String(decoding: run, as: UTF8.self).lowercased())
        return end
    }

    private mutating func domain(at index: Int, previous: UInt8) -> Int? {
        guard previous != 0x24, previous != 0x25 else { return nil }  // `$env.x`, `%var%.x`
        var end = index
        while end < bytes.count, Self.isHostByte(bytes[end]) { end += 1 }
        let runEnd = end
        while end > index, [0x2E, 0x2D, 0x5F].contains(bytes[end - 1]) { end -= 1 }
        if runEnd < bytes.count, bytes[runEnd] == 0x28 || bytes[runEnd] == 0x5C { return nil }  // `os.system(`, `a.b\`
        guard bytes[index..<end].contains(0x2E) else { return nil }  // a domain has a dot: most words end here
        let name = Array(bytes[index..<end])
        guard Domains.isDomain(name) else { return nil }
        found.domains.appendOnce(String(decoding: name, as: UTF8.self).lowercased())
        return runEnd
    }

    private mutating func windowsPath(at index: Int, previous: UInt8) -> Int? {
        let byte = bytes[index]
        let isDrive =
            byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A && index + 2 < bytes.count && bytes[index + 1] == 0x3A
            && bytes[index + 2] == 0x5C && !IndicatorExtractor.isAlphanumeric(previous)
        let uncStart = isJSON ? 4 : 2  // JSON writes `\\\\server` for `\\server`
        let isUNC =
            byte == 0x5C && index + uncStart < bytes.count
            && bytes[index..<(index + uncStart)].allSatisfy { $0 == 0x5C } && Self.startsUnixPath(after: previous)
            && (IndicatorExtractor.isAlphanumeric(bytes[index + uncStart]) || bytes[index + uncStart] == 0x3F
                || bytes[index + uncStart] == 0x2E)
        guard isDrive || isUNC else { return nil }
        var end = index + 2
        while end < bytes.count, !Self.endsPath(bytes[end]) { end += 1 }
        let pathEnd = trimTrailingPunctuation(start: index + 3, end: end)
        var path: [UInt8] = []
        // JSON escapes every backslash: `C:\\Windows\\x` is `C:\Windows\x`.
        let escaped =
            isUNC
            ? bytes[index..<min(pathEnd, index + 4)].elementsEqual([0x5C, 0x5C, 0x5C, 0x5C])
            : bytes[index..<pathEnd].starts(with: [byte, 0x3A, 0x5C, 0x5C])
        var cursor = index
        while cursor < pathEnd {
            path.append(bytes[cursor])
            cursor += escaped && bytes[cursor] == 0x5C && cursor + 1 < pathEnd && bytes[cursor + 1] == 0x5C ? 2 : 1
        }
        guard path.count > 3 else { return end }
        found.paths.appendOnce(String(decoding: path, as: UTF8.self))
        return end
    }

    private static let unixRoots: Set<String> = [
        "etc", "var", "usr", "bin", "sbin", "tmp", "home", "root", "opt", "dev", "proc", "lib", "lib64", "mnt", "srv",
        "run", "boot", "sys", "media", "private", "Users", "Library", "Applications", "System",
    ]

    private mutating func unixPath(at index: Int, previous: UInt8) -> Int? {
        guard bytes[index] == 0x2F, index + 1 < bytes.count, Self.startsUnixPath(after: previous) else { return nil }
        let next = bytes[index + 1]
        guard IndicatorExtractor.isAlphanumeric(next) || next == 0x2E || next == 0x5F || next == 0x7E else {
            return nil
        }
        var end = index + 1
        while end < bytes.count, !Self.endsPath(bytes[end]), bytes[end] != 0x5B, bytes[end] != 0x28 { end += 1 }
        let pathEnd = trimTrailingPunctuation(start: index + 1, end: end)
        let path = bytes[index..<pathEnd]
        let segments = path.split(separator: 0x2F)
        guard let first = segments.first else { return end }
        let firstSegment = String(decoding: first, as: UTF8.self)
        guard segments.count >= 2 || Self.unixRoots.contains(firstSegment), firstSegment != "subscriptions" else {
            return end
        }
        found.paths.appendOnce(String(decoding: path, as: UTF8.self))
        return end
    }

    // MARK: Accounts and hosts from their context

    /// `Dec 10 06:55:46 LabSZ sshd[24200]: …` or `2024-02-04T10:15:23Z web01 sshd[1]: …`: the host after the header.
    /// Also the relayed form of Thunderbird and BGL logs, `- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 …`,
    /// where the timestamp is further in and the host is written `name/name` or `source@name`.
    private mutating func scanSyslogHost() {
        var start = 0
        var isRFC5424 = false
        if original.first == 0x3C, let close = original.prefix(6).firstIndex(of: 0x3E) {
            start = close + 1
            // RFC 5424: `<34>1 2024-02-04T22:14:15.003Z host app - - …`
            if start + 1 < original.count, isDigit(original[start]), original[start + 1] == 0x20 {
                start += 2
                isRFC5424 = true
            }
        }
        if let host = hostAfterTimestamp(at: start, relayedOnly: false, needsProgram: !isRFC5424) {
            addHost(host)
            return
        }
        var index = start + 1
        while index < min(original.count, 80) {
            defer { index += 1 }
            guard original[index - 1] == 0x20, original[index] | 0x20 >= 0x61, original[index] | 0x20 <= 0x7A,
                let host = hostAfterTimestamp(at: index, relayedOnly: true, needsProgram: false)
            else { continue }
            addHost(host)
            return
        }
    }

    /// - Parameter needsProgram: Whether, after an ISO timestamp, the host must be followed by a program tag
    ///   (`sshd[1]:`, `kernel:`), as rsyslog writes them; a BSD timestamp is always followed by the host.
    private func hostAfterTimestamp(at start: Int, relayedOnly: Bool, needsProgram: Bool) -> String? {
        guard start < original.count else { return nil }
        let match = original.withUnsafeBytes { buffer in
            TimestampParser.prefix(UnsafeRawBufferPointer(rebasing: buffer[start...]), year: 2000, allowEpoch: false)
        }
        guard let match, !relayedOnly || match.yearWasInferred else { return nil }
        var cursor = start + match.length
        guard cursor < original.count, original[cursor] == 0x20 else { return nil }
        while cursor < original.count, original[cursor] == 0x20 { cursor += 1 }
        let tokenStart = cursor
        while cursor < original.count, original[cursor] > 0x20 { cursor += 1 }
        guard cursor < original.count else { return nil }
        var token = original[tokenStart..<cursor]
        if let slash = token.firstIndex(of: 0x2F), token[token.index(after: slash)...].elementsEqual(token[..<slash]) {
            token = token[..<slash]
        } else if let at = token.firstIndex(of: 0x40) {
            token = token[token.index(after: at)...]
        } else if relayedOnly {
            return nil
        }
        if needsProgram, !match.yearWasInferred {
            var programEnd = cursor + 1
            while programEnd < original.count, original[programEnd] > 0x20 { programEnd += 1 }
            let program = original[min(cursor + 1, programEnd)..<programEnd]
            guard let first = program.first, IndicatorExtractor.isAlphanumeric(first),
                program.last == 0x3A || program.contains(0x5B)
            else { return nil }
        }
        guard !token.isEmpty, token.allSatisfy(Self.isHostByte) else { return nil }
        let host = String(decoding: token, as: UTF8.self)
        return IPAddressText.isIP(host) ? nil : host
    }

    /// `proseHost` is a host named in a sentence (`on host WS-01`): the next word, unless it is an ordinary word.
    /// `bareHost` (`dump on MSEDGEWIN10 at …`) and `proseUser` (`by IEUser`, `user 'admin'`, `account svc_sql`) need
    /// more: a name that looks like a machine's, or an account name where a sentence's clause ends.
    private enum ContextKind { case user, host, proseHost, loginUser, bareHost, proseUser }

    /// Phrases and keys that introduce an account or a machine name, matched without regard to case.
    private static let contexts: [(marker: [UInt8], kind: ContextKind)] = [
        ("for invalid user ", .user), ("for illegal user ", .user), ("invalid user ", .user),
        ("illegal user ", .user), ("for user ", .user), ("authentication failures for ", .user),
        ("net user ", .user), ("net  user ", .user), ("net1 user ", .user), ("ctladdr=", .user),
        ("\"sudoer\":", .user), ("/user:", .user), ("subjectusername:", .user), ("targetusername:", .user),
        ("failed for ", .user), ("'su ", .user), ("\"sudoto\":", .user), ("\"vmname\":", .host),
        ("authenticating user ", .user), ("by user ", .user),
        ("password for ", .loginUser), ("publickey for ", .loginUser), ("none for ", .loginUser),
        ("keyboard-interactive/pam for ", .loginUser), ("user=", .user), ("ruser=", .user), ("acct=", .user),
        ("username=", .user), ("username:", .user), ("user name:", .user), ("account name:", .user),
        ("logon account:", .user), ("\"targetusername\":", .user), ("\"subjectusername\":", .user),
        ("\"user.name\":", .user), ("\"username\":", .user), ("\"user\":", .user), ("\"accountname\":", .user),
        ("\"targetaccount\":", .user), ("rhost=", .host), ("shost=", .host), ("dhost=", .host), ("host=", .host),
        ("hostname=", .host), ("hostname:", .host), ("computer:", .host), ("\"computer\":", .host),
        ("\"computername\":", .host), ("\"workstationname\":", .host), ("workstation name:", .host),
        ("\"hostname\":", .host), ("\"host.name\":", .host), ("\"computer_name\":", .host),
        ("on host ", .proseHost), ("from host ", .proseHost), ("to host ", .proseHost),
        (" on ", .bareHost), (" to ", .bareHost), (" by ", .proseUser), (" user ", .proseUser),
        (" account ", .proseUser),
    ].map { (Array($0.utf8), $1) }

    /// ``contexts`` by the lower-cased first byte of their marker, so one pass over the text tries only the markers
    /// that can start at each position.
    private static let contextsByFirstByte: [[(marker: [UInt8], kind: ContextKind)]] = {
        var table = Array(repeating: [(marker: [UInt8], kind: ContextKind)](), count: 256)
        for context in contexts { table[Int(context.marker[0])].append(context) }
        return table
    }()

    private mutating func scanContextValues() {
        for position in original.indices {
            let byte = original[position]
            let candidates = Self.contextsByFirstByte[Int(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)]
            for (marker, kind) in candidates where IndicatorExtractor.matchesFolded(original, at: position, marker) {
                // `user=` must not be the tail of `ruser=` or `xuser=`.
                if position > 0, IndicatorExtractor.isAlphanumeric(marker[0]),
                    IndicatorExtractor.isAlphanumeric(original[position - 1])
                {
                    continue
                }
                let from = position + marker.count
                guard let value = readValue(at: from, skippingBlanks: marker.last != 0x3D) else { continue }
                switch kind {
                case .host:
                    if !IPAddressText.isIP(value) { addHost(value) }
                case .proseHost:
                    if !IPAddressText.isIP(value), !Self.proseWords.contains(value.lowercased()) { addHost(value) }
                case .user:
                    addUser(value)
                case .bareHost:
                    let end = valueEnd(from: from, value: value)
                    if Self.looksLikeMachineName(value), endsClause(at: end) { addHost(value) }
                case .proseUser:
                    let quoted = from < original.count && (original[from] == 0x27 || original[from] == 0x22)
                    let end = valueEnd(from: from, value: value) + (quoted ? 1 : 0)
                    guard quoted || endsClause(at: end), Self.looksLikeAccountName(value) else { continue }
                    addUser(value)
                case .loginUser:
                    // `Failed password for root from 1.2.3.4`; `for invalid user` is read by its own marker.
                    guard value.lowercased() != "invalid", value.lowercased() != "illegal" else { continue }
                    guard IndicatorExtractor.matchesFolded(original, at: from + value.utf8.count, Self.fromMarker)
                    else { continue }
                    addUser(value)
                }
            }
        }
    }

    private static let fromMarker = Array(" from ".utf8)

    /// Where a value read at `from` ends in the text.
    private func valueEnd(from: Int, value: String) -> Int {
        var cursor = from
        if cursor < original.count, original[cursor] == 0x27 || original[cursor] == 0x22 { cursor += 1 }
        return cursor + value.utf8.count
    }

    /// Whether a clause of a sentence ends at `position`: the end of the text, a comma or semicolon, a full stop,
    /// or one of the words that start the next clause (`at`, `on`, `from`, `via`, `to`, `as`, `with`).
    private func endsClause(at position: Int) -> Bool {
        guard position < original.count else { return true }
        switch original[position] {
        case 0x2C, 0x3B, 0x29, 0x0A, 0x0D: return true
        case 0x2E: return position + 1 == original.count || original[position + 1] == 0x20
        case 0x20:
            return Self.clauseWords.contains { IndicatorExtractor.matchesFolded(original, at: position, $0) }
        default: return false
        }
    }

    private static let clauseWords = [
        " at ", " on ", " from ", " via ", " to ", " as ", " with ", " in ", " by ", " was ", " is ", " has ", " then ",
    ].map {
        Array($0.utf8)
    }

    /// A machine's name, as prose gives it bare: letters and digits together (`DC01`, `MSEDGEWIN10`, `WS-042`), or a
    /// dotted name whose first label is one (`PC04.example.corp`) — never a date, a number, a version or a word.
    static func looksLikeMachineName(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count >= 3, bytes.count <= 253, bytes.allSatisfy(isHostByte),
            let first = bytes.first, IndicatorExtractor.isAlphanumeric(first), !IPAddressText.isIP(value)
        else { return false }
        let label = bytes.prefix { $0 != 0x2E }
        let letters = label.filter { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }.count
        let digits = label.filter { $0 >= 0x30 && $0 <= 0x39 }.count
        guard letters >= 2, digits >= 1 else { return false }
        // Not a CVE, an ATT&CK technique or a Windows update (`CVE-2021-44228`, `T1003`, `KB5001234`).
        let upper = value.uppercased()
        if upper.hasPrefix("CVE-") || (upper.hasPrefix("KB") && upper.dropFirst(2).allSatisfy(\.isNumber)) {
            return false
        }
        // An upper-case letter, as Windows names are given, or a dotted name; `x86` or `v2` alone is no machine.
        return bytes.contains { $0 >= 0x41 && $0 <= 0x5A } || bytes.contains(0x2E)
    }

    /// An account name as prose gives it: starts with a letter, no spaces, and not an ordinary word.
    static func looksLikeAccountName(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, first.properties.isAlphabetic, value.utf8.count >= 2,
            value.utf8.count <= 64, !value.contains(" "), !value.contains(".")
        else { return false }
        return !proseWords.contains(value.lowercased()) && !accountProseWords.contains(value.lowercased())
    }

    /// Words that follow "by", "user" or "account" in prose without naming an account.
    private static let accountProseWords: Set<String> = [
        "user", "users", "account", "accounts", "default", "design", "policy", "rule", "rules", "process", "service",
        "system", "group", "domain", "host", "itself", "remote", "local", "administrator's", "someone", "whom",
        "logged", "logon", "login", "name", "names", "id", "sid", "type", "was", "were", "has", "had", "not",
        "failed", "locked", "disabled", "enabled", "created", "deleted", "changed", "added", "removed", "lockout",
        "microsoft", "windows", "firewall", "defender", "antivirus", "sysmon", "kernel", "pam", "sshd",
        "request", "requests", "input", "interaction", "action", "agent", "mode", "session", "sessions", "analyst",
        "analysts", "operator", "attacker", "attackers", "malware", "script", "scanner", "hand", "mistake",
    ]

    /// Words that follow "on host" in prose without being a host's name.
    private static let proseWords: Set<String> = [
        "a", "an", "the", "that", "this", "which", "and", "or", "is", "was", "with", "for", "to", "from", "at", "in",
        "on",
        "name", "named", "machine", "system", "unknown",
    ]

    /// `CORP\jdoe`, `NT AUTHORITY\SYSTEM`, `DESKTOP-1\admin$`: a domain-qualified account.
    private mutating func scanDomainAccounts() {
        var index = 0
        while index < original.count {
            guard original[index] == 0x5C else {
                index += 1
                continue
            }
            var separatorEnd = index + 1
            // JSON's `CORP\\jdoe`
            if separatorEnd < original.count, original[separatorEnd] == 0x5C { separatorEnd += 1 }
            defer { index = separatorEnd }
            var left = index
            while left > 0, Self.isAccountByte(original[left - 1]) { left -= 1 }
            let domain = String(decoding: original[left..<index], as: UTF8.self)
            guard domain.utf8.count > 1, left == 0 || !Self.isPathByte(original[left - 1]),
                !Self.registryHives.contains(domain.uppercased())
            else { continue }
            var right = separatorEnd
            while right < original.count, Self.isAccountByte(original[right]) || original[right] == 0x24 { right += 1 }
            guard right > separatorEnd, right == original.count || !Self.isPathByte(original[right]) else { continue }
            let name = String(decoding: original[separatorEnd..<right], as: UTF8.self)
            guard !name.contains("."), name.first?.isLetter == true || name.first?.isNumber == true else { continue }
            addUser(name)
        }
    }

    private static let registryHives: Set<String> = [
        "HKLM", "HKCU", "HKU", "HKCR", "HKCC", "HKEY_LOCAL_MACHINE", "HKEY_CURRENT_USER", "HKEY_USERS",
        "HKEY_CLASSES_ROOT", "REGISTRY", "MACHINE", "SOFTWARE", "SYSTEM32", "WINDOWS", "DEVICE",
    ]

    /// `sudo:    bob : TTY=pts/0 ; …` and `su: (to root) bob on pts/0`.
    private mutating func scanSudoAndSu() {
        // `session opened for user root by peteb(uid=0)`; crond's `(root) CMD (…)`.
        var from = 0
        while let marker = findFolded(Array("(uid=".utf8), in: original, from: from) {
            from = marker + 5
            var start = marker
            while start > 0, Self.isAccountByte(original[start - 1]) { start -= 1 }
            if start < marker, start >= 4, original[(start - 4)..<start].elementsEqual(Array(" by ".utf8)) {
                addUser(String(decoding: original[start..<marker], as: UTF8.self))
            }
        }
        if let marker = findFolded(Array(") cmd (".utf8), in: original, from: 0),
            let open = original[..<marker].lastIndex(of: 0x28)
        {
            addUser(String(decoding: original[(open + 1)..<marker], as: UTF8.self))
        }
        if let marker = findFolded(Array(" : tty=".utf8), in: original, from: 0) {
            var start = marker
            while start > 0, Self.isAccountByte(original[start - 1]) { start -= 1 }
            if start < marker { addUser(String(decoding: original[start..<marker], as: UTF8.self)) }
        }
        if let marker = findFolded(Array("(to ".utf8), in: original, from: 0),
            let close = original[(marker + 4)...].firstIndex(of: 0x29)
        {
            addUser(String(decoding: original[(marker + 4)..<close], as: UTF8.self))
            if let by = readValue(at: close + 1) { addUser(by) }
        }
    }

    /// The value after a marker: blanks skipped, quoted (`'admin'`, `"admin"`) or up to a separator.
    private func readValue(at position: Int, skippingBlanks: Bool = true) -> String? {
        var cursor = position
        while skippingBlanks, cursor < original.count, original[cursor] == 0x20 || original[cursor] == 0x09 {
            cursor += 1
        }
        // `\"root\"`
        if cursor + 1 < original.count, original[cursor] == 0x5C, original[cursor + 1] == 0x22 { cursor += 1 }
        guard cursor < original.count else { return nil }
        var start = cursor
        var end: Int
        if original[cursor] == 0x27 || original[cursor] == 0x22 {
            let quote = original[cursor]
            start += 1
            end = start
            while end < original.count, end - start <= 256, original[end] != quote, original[end] != 0x0A { end += 1 }
        } else {
            end = start
            while end < original.count, end - start <= 256, !Self.endsValue(original[end]) { end += 1 }
        }
        while end > start, original[end - 1] == 0x2E || original[end - 1] == 0x3A || original[end - 1] == 0x5C {
            end -= 1
        }
        guard end > start, end - start <= 256 else { return nil }
        var value = Array(original[start..<end])
        if let slash = value.lastIndex(of: 0x5C) { value = Array(value[(slash + 1)...]) }  // `CORP\jdoe`
        return value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
    }

    private mutating func addUser(_ name: String) {
        var name = name
        // `jdoe@corp.example.com` names the account `jdoe`.
        if let at = name.firstIndex(of: "@"), Domains.isDomain(Array(name[name.index(after: at)...].utf8)) {
            name = String(name[..<at])
        }
        let lowered = name.lowercased()
        guard !name.isEmpty, !SecurityEvent.isPlaceholder(name), !IPAddressText.isIP(name),
            !["unknown", "(unknown)", "null", "none", "n/a", "from", "user", "invalid", "illegal"].contains(lowered),
            name.first != "(", name.first != "$", !name.contains("="), !Self.isHexEncodedText(Array(name.utf8)[...])
        else { return }
        found.users.appendOnce(name)
    }

    private mutating func addHost(_ name: String) {
        let host = name.lowercased()
        guard !host.isEmpty, !SecurityEvent.isPlaceholder(host), host != "localhost", host != "unknown",
            host.utf8.allSatisfy(Self.isHostByte), host.first != "."
        else { return }
        found.hosts.appendOnce(host)
        if Domains.isDomain(Array(host.utf8)) { found.domains.appendOnce(host) }
    }

    // MARK: Helpers

    private mutating func blank(_ range: Range<Int>) {
        for index in range { bytes[index] = 0x20 }
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private func findFolded(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + needle.count <= haystack.count {
            if IndicatorExtractor.matchesFolded(haystack, at: index, needle) { return index }
            index += 1
        }
        return nil
    }

    /// Whether the byte at `index` continues a word, so a match ending there is only part of a longer token.
    private func followsWord(_ index: Int) -> Bool {
        index < bytes.count && (IndicatorExtractor.isAlphanumeric(bytes[index]) || bytes[index] == 0x5F)
    }

    /// Whether `hh:mm:ss ` ends just before `index` (the relayed header `Nov 9 12:01:31 src@eadmin1 …`).
    private func followsClockTime(_ index: Int) -> Bool {
        guard index >= 9, original[index - 1] == 0x20 else { return false }
        let clock = original[(index - 9)..<(index - 1)]
        return clock.enumerated().allSatisfy { offset, byte in offset == 2 || offset == 5 ? byte == 0x3A : isDigit(byte)
        }
    }

    /// `version 1.2.3.4`, `build 10.0.0.1`: a dotted version, not an address.
    private func afterVersionWord(_ index: Int) -> Bool {
        var end = index
        while end > 0, bytes[end - 1] == 0x20 { end -= 1 }
        var start = end
        while start > 0, IndicatorExtractor.isAlphanumeric(bytes[start - 1]) { start -= 1 }
        let word = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
        return ["version", "ver", "build", "v", "release", "firmware"].contains(word)
    }

    /// Drops the punctuation that ends a sentence or closes a bracket opened before the span.
    private func trimTrailingPunctuation(start: Int, end: Int) -> Int {
        var end = end
        var parentheses = 0  // opened minus closed, within the span
        var brackets = 0
        for byte in bytes[start..<end] {
            switch byte {
            case 0x28: parentheses += 1
            case 0x29: parentheses -= 1
            case 0x5B: brackets += 1
            case 0x5D: brackets -= 1
            default: break
            }
        }
        while end > start {
            let last = bytes[end - 1]
            if [0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x27, 0x22].contains(last) {
                end -= 1
            } else if last == 0x5C, end < bytes.count, bytes[end] == 0x22 {
                end -= 1  // JSON's `\"` closes the string; the backslash is not part of the value
            } else if last == 0x29, parentheses < 0 {
                parentheses += 1
                end -= 1
            } else if last == 0x5D, brackets < 0 {
                brackets += 1
                end -= 1
            } else {
                break
            }
        }
        return end
    }

    /// auditd writes `cmd=`, `acct=` and `proctitle=` values as hex when they contain blanks: hex whose bytes are all
    /// printable ASCII is text, not a hash or a name.
    private static func isHexEncodedText(_ run: ArraySlice<UInt8>) -> Bool {
        guard run.count >= 8, run.count % 2 == 0, run.allSatisfy(isHexDigit) else { return false }
        func nibble(_ byte: UInt8) -> UInt8 { isDigit(byte) ? byte - 0x30 : (byte | 0x20) - 0x61 + 10 }
        var index = run.startIndex
        while index < run.endIndex {
            let value = nibble(run[index]) << 4 | nibble(run[index + 1])
            guard value >= 0x20 && value < 0x7F else { return false }
            index += 2
        }
        return true
    }
    private static func isWordByte(_ byte: UInt8) -> Bool {
        IndicatorExtractor.isAlphanumeric(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D || byte >= 0x80
    }
    private static func isHostByte(_ byte: UInt8) -> Bool {
        IndicatorExtractor.isAlphanumeric(byte) || byte == 0x2E || byte == 0x2D || byte == 0x5F
    }
    private static func isSchemeByte(_ byte: UInt8) -> Bool { IndicatorExtractor.isAlphanumeric(byte) || byte == 0x2B }
    private static func isEmailLocalByte(_ byte: UInt8) -> Bool {
        IndicatorExtractor.isAlphanumeric(byte) || [0x2E, 0x5F, 0x25, 0x2B, 0x2D].contains(byte)
    }
    private static func isAccountByte(_ byte: UInt8) -> Bool {
        IndicatorExtractor.isAlphanumeric(byte) || byte == 0x2D || byte == 0x5F || byte == 0x2E
    }
    private static func isPathByte(_ byte: UInt8) -> Bool { byte == 0x5C || byte == 0x2F || byte == 0x3A }
    /// A token can start after a blank, punctuation or a quote, but not inside a dotted or hyphenated word.
    private static func startsToken(after byte: UInt8) -> Bool {
        !(IndicatorExtractor.isAlphanumeric(byte) || [0x2E, 0x5F, 0x2D, 0x40, 0x24, 0x2F, 0x5C, 0x7E].contains(byte))
    }
    private static func startsUnixPath(after byte: UInt8) -> Bool {
        byte <= 0x20 || [0x22, 0x27, 0x3D, 0x28, 0x5B, 0x2C, 0x3A, 0x3E, 0x60, 0x7B].contains(byte)
    }
    private static func endsURL(_ byte: UInt8) -> Bool {
        byte <= 0x20 || [0x22, 0x27, 0x3C, 0x3E, 0x60, 0x7C, 0x5E, 0x7B, 0x7D, 0x5C].contains(byte) || byte == 0x7F
    }
    private static func endsPath(_ byte: UInt8) -> Bool {
        byte <= 0x20 || [0x22, 0x27, 0x2C, 0x3B, 0x3C, 0x3E, 0x7C, 0x60, 0x7D].contains(byte) || byte == 0x7F
    }
    private static func endsValue(_ byte: UInt8) -> Bool {
        byte <= 0x20 || [0x2C, 0x3B, 0x29, 0x5D, 0x22, 0x27, 0x7D, 0x3E, 0x26].contains(byte)
    }
}
