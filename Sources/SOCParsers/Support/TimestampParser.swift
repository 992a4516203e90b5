public import SOCModel

/// Reads the timestamp shapes security logs use, without `DateFormatter` (it is far too slow for ingest).
///
/// Supported, at the start of the text:
/// - ISO 8601 / RFC 3339: `2024-02-04T10:15:23.123Z`, `2024-02-04 10:15:23`, offsets `+02:00` or `+0200`;
/// - US portal form: `3/31/2022, 10:51:35.857 AM`, `7/8/2019 16:08`;
/// - RFC 3164 syslog: `Feb  4 10:15:23` (no year: the caller supplies one);
/// - Apache: `04/Feb/2024:10:15:23 +0000`;
/// - Unix epoch seconds: `1551485405.594`.
/// Times without an offset are taken as UTC.
public enum TimestampParser {
    /// A timestamp found at the start of some text, and how many bytes it used.
    public struct Match: Sendable {
        /// The instant.
        public var timestamp: Timestamp
        /// The number of UTF-8 bytes the timestamp spans.
        public var length: Int
        /// Whether the text had no year (RFC 3164), so the year was supplied.
        public var yearWasInferred: Bool
    }

    /// Parses a whole string as a timestamp; trailing text is not allowed except whitespace.
    public static func parse(_ text: String, year: Int? = nil) -> Timestamp? {
        var text = text
        return text.withUTF8 { bytes in
            guard let match = prefix(UnsafeRawBufferPointer(bytes), year: year) else { return nil }
            for index in match.length..<bytes.count where bytes[index] != 0x20 { return nil }
            return match.timestamp
        }
    }

    /// Parses a timestamp at the start of `bytes`.
    /// - Parameter year: The year for forms that have none (RFC 3164); without it those forms do not match.
    public static func prefix(_ bytes: UnsafeRawBufferPointer, year: Int? = nil, allowEpoch: Bool = true) -> Match? {
        var cursor = Cursor(bytes)
        if let match = iso8601(&cursor) { return match }
        cursor.position = 0
        if let match = usDateTime(&cursor) { return match }
        cursor.position = 0
        if let year, let match = rfc3164(&cursor, year: year) { return match }
        cursor.position = 0
        if let match = apache(&cursor) { return match }
        cursor.position = 0
        if allowEpoch, let match = epoch(&cursor) { return match }
        return nil
    }

    /// Parses the forms that start with a weekday, at the start of `bytes`: RFC 2822 mail dates
    /// (`Mon, 05 Feb 2024 14:30:00 +0100`) and C `ctime` (`Fri Jun 17 07:07:00 2005`). Log headers rarely use them,
    /// so ``prefix(_:year:allowEpoch:)`` does not try them; free text (mail headers, tool output) does.
    public static func weekdayPrefix(_ bytes: UnsafeRawBufferPointer) -> Match? {
        var c = Cursor(bytes)
        guard c.remaining >= 20, isWeekday(c[0], c[1], c[2]) else { return nil }
        c.position = 3
        if c.eat(UInt8(ascii: ",")) {
            guard c.eat(0x20), let day = c.digits(1...2), c.eat(0x20), c.remaining >= 3,
                let month = month(c[c.position], c[c.position + 1], c[c.position + 2])
            else { return nil }
            c.position += 3
            guard c.eat(0x20), let year = c.digits(4), c.eat(0x20), let hour = c.digits(2), c.eat(UInt8(ascii: ":")),
                let minute = c.digits(2), c.eat(UInt8(ascii: ":")), let second = c.digits(2)
            else { return nil }
            var offset = 0
            let beforeZone = c.position
            if c.eat(0x20), let zone = c.zoneOffset() { offset = zone } else { c.position = beforeZone }
            guard c.atBoundary,
                let timestamp = Timestamp(
                    year: year,
                    month: month,
                    day: day,
                    hour: hour,
                    minute: minute,
                    second: second,
                    utcOffsetSeconds: offset
                )
            else { return nil }
            return Match(timestamp: timestamp, length: c.position, yearWasInferred: false)
        }
        guard c.eat(0x20) else { return nil }
        var rest = Cursor(UnsafeRawBufferPointer(rebasing: bytes[c.position...]))
        guard let partial = rfc3164(&rest, year: 2000) else { return nil }
        c.position += partial.length
        guard c.eat(0x20), let year = c.digits(4), c.atBoundary else { return nil }
        let (_, month, day, hour, minute, second, micro) = partial.timestamp.components
        guard
            let timestamp = Timestamp(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                microsecond: micro
            )
        else { return nil }
        return Match(timestamp: timestamp, length: c.position, yearWasInferred: false)
    }

    private static func isWeekday(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        switch (a | 0x20, b | 0x20, c | 0x20) {
        case (0x6D, 0x6F, 0x6E), (0x74, 0x75, 0x65), (0x77, 0x65, 0x64), (0x74, 0x68, 0x75), (0x66, 0x72, 0x69),
            (0x73, 0x61, 0x74),
            (0x73, 0x75, 0x6E):
            return true  // mon tue wed thu fri sat sun
        default: return false
        }
    }

    /// The month number (1–12) of an English month abbreviation, case-insensitively.
    static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        switch (a | 0x20, b | 0x20, c | 0x20) {
        case (0x6A, 0x61, 0x6E): return 1  // jan
        case (0x66, 0x65, 0x62): return 2  // feb
        case (0x6D, 0x61, 0x72): return 3  // mar
        case (0x61, 0x70, 0x72): return 4  // apr
        case (0x6D, 0x61, 0x79): return 5  // may
        case (0x6A, 0x75, 0x6E): return 6  // jun
        case (0x6A, 0x75, 0x6C): return 7  // jul
        case (0x61, 0x75, 0x67): return 8  // aug
        case (0x73, 0x65, 0x70): return 9  // sep
        case (0x6F, 0x63, 0x74): return 10  // oct
        case (0x6E, 0x6F, 0x76): return 11  // nov
        case (0x64, 0x65, 0x63): return 12  // dec
        default: return nil
        }
    }

    private static func iso8601(_ c: inout Cursor) -> Match? {
        guard let year = c.digits(4), c.eat(UInt8(ascii: "-")) || c.eat(UInt8(ascii: "/")) || c.eat(UInt8(ascii: ".")),
            let month = c.digits(1...2),
            c.eat(UInt8(ascii: "-")) || c.eat(UInt8(ascii: "/")) || c.eat(UInt8(ascii: ".")),
            let day = c.digits(1...2)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var micro = 0
        var offset = 0
        let afterDate = c.position
        if c.eat(UInt8(ascii: "T")) || c.eat(UInt8(ascii: " ")) || c.eat(UInt8(ascii: "t")),
            let h = c.digits(2), c.eat(UInt8(ascii: ":")), let m = c.digits(2)
        {
            hour = h
            minute = m
            if c.eat(UInt8(ascii: ":")), let s = c.digits(2) {
                second = s
                if c.eat(UInt8(ascii: ".")) || c.eat(UInt8(ascii: ",")) { micro = c.fraction() ?? 0 }
            }
            let beforeZone = c.position
            _ = c.eat(UInt8(ascii: " "))
            if let zone = c.zoneOffset() { offset = zone } else { c.position = beforeZone }
        } else {
            c.position = afterDate
        }
        guard
            let timestamp = Timestamp(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                microsecond: micro,
                utcOffsetSeconds: offset
            ),
            c.atBoundary
        else { return nil }
        return Match(timestamp: timestamp, length: c.position, yearWasInferred: false)
    }

    private static func usDateTime(_ c: inout Cursor) -> Match? {
        guard let month = c.digits(1...2), c.eat(UInt8(ascii: "/")), let day = c.digits(1...2),
            c.eat(UInt8(ascii: "/")),
            let year = c.digits(4)
        else { return nil }
        _ = c.eat(UInt8(ascii: ","))
        guard c.eat(UInt8(ascii: " ")), var hour = c.digits(1...2), c.eat(UInt8(ascii: ":")), let minute = c.digits(2)
        else {
            return nil
        }
        var second = 0
        var micro = 0
        if c.eat(UInt8(ascii: ":")), let s = c.digits(2) {
            second = s
            if c.eat(UInt8(ascii: ".")) { micro = c.fraction() ?? 0 }
        }
        let beforeMeridiem = c.position
        if c.eat(UInt8(ascii: " ")), let pm = c.meridiem() {
            if hour == 12 { hour = 0 }
            if pm && hour < 12 { hour += 12 }
        } else {
            c.position = beforeMeridiem
        }
        guard
            let timestamp = Timestamp(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                microsecond: micro
            ),
            c.atBoundary
        else { return nil }
        return Match(timestamp: timestamp, length: c.position, yearWasInferred: false)
    }

    private static func rfc3164(_ c: inout Cursor, year: Int) -> Match? {
        guard c.remaining >= 15, let month = month(c[0], c[1], c[2]), c[3] == 0x20 else { return nil }
        c.position = 4
        _ = c.eat(0x20)
        guard let day = c.digits(1...2), c.eat(0x20), let hour = c.digits(2), c.eat(UInt8(ascii: ":")),
            let minute = c.digits(2), c.eat(UInt8(ascii: ":")), let second = c.digits(2)
        else { return nil }
        var micro = 0
        if c.eat(UInt8(ascii: ".")) { micro = c.fraction() ?? 0 }
        guard
            let timestamp = Timestamp(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                microsecond: micro
            ),
            c.atBoundary
        else { return nil }
        return Match(timestamp: timestamp, length: c.position, yearWasInferred: true)
    }

    private static func apache(_ c: inout Cursor) -> Match? {
        guard let day = c.digits(2), c.eat(UInt8(ascii: "/")), c.remaining >= 3,
            let month = month(c[c.position], c[c.position + 1], c[c.position + 2])
        else {
            return nil
        }
        c.position += 3
        guard c.eat(UInt8(ascii: "/")), let year = c.digits(4), c.eat(UInt8(ascii: ":")), let hour = c.digits(2),
            c.eat(UInt8(ascii: ":")), let minute = c.digits(2), c.eat(UInt8(ascii: ":")), let second = c.digits(2)
        else { return nil }
        var offset = 0
        let beforeZone = c.position
        if c.eat(0x20), let zone = c.zoneOffset() { offset = zone } else { c.position = beforeZone }
        guard
            let timestamp = Timestamp(
                year: year,
                month: month,
                day: day,
                hour: hour,
                minute: minute,
                second: second,
                utcOffsetSeconds: offset
            ),
            c.atBoundary
        else { return nil }
        return Match(timestamp: timestamp, length: c.position, yearWasInferred: false)
    }

    private static func epoch(_ c: inout Cursor) -> Match? {
        // 10 digits: 2001-09-09 to 2286; plausible for logs and not confused with ordinary numbers.
        guard let seconds = c.digits(10) else { return nil }
        var micro = 0
        if c.eat(UInt8(ascii: ".")) { micro = c.fraction() ?? 0 }
        guard c.atBoundary else { return nil }
        return Match(
            timestamp: Timestamp(microsecondsSinceEpoch: Int64(seconds) * 1_000_000 + Int64(micro)),
            length: c.position,
            yearWasInferred: false
        )
    }
}

/// A read position over bytes, with the small steps timestamp forms are made of.
struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    subscript(offset: Int) -> UInt8 { bytes[offset] }

    /// Whether the cursor is at the end or before a byte that cannot continue a timestamp.
    var atBoundary: Bool {
        guard position < bytes.count else { return true }
        let byte = bytes[position]
        return !isDigit(byte) && !((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }

    mutating func eat(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func digits(_ count: Int) -> Int? { digits(count...count) }

    mutating func digits(_ range: ClosedRange<Int>) -> Int? {
        var value = 0
        var used = 0
        while used < range.upperBound, position + used < bytes.count, isDigit(bytes[position + used]) {
            value = value * 10 + Int(bytes[position + used] - 0x30)
            used += 1
        }
        guard used >= range.lowerBound else { return nil }
        if used == range.upperBound, position + used < bytes.count, isDigit(bytes[position + used]) { return nil }
        position += used
        return value
    }

    /// Reads exactly `count` digits, whatever follows.
    mutating func fixedDigits(_ count: Int) -> Int? {
        guard remaining >= count else { return nil }
        var value = 0
        for index in 0..<count {
            let byte = bytes[position + index]
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        position += count
        return value
    }

    /// Reads fractional-second digits (any number) and returns microseconds.
    mutating func fraction() -> Int? {
        var micro = 0
        var used = 0
        while position < bytes.count, isDigit(bytes[position]) {
            if used < 6 { micro = micro * 10 + Int(bytes[position] - 0x30) }
            used += 1
            position += 1
        }
        guard used > 0 else { return nil }
        if used < 6 { for _ in used..<6 { micro *= 10 } }
        return micro
    }

    /// Reads `Z`, `UTC`, `GMT`, `+hh:mm`, `+hhmm` or `+hh`, returning the offset in seconds.
    mutating func zoneOffset() -> Int? {
        guard position < bytes.count else { return nil }
        let byte = bytes[position]
        if byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "z") {
            position += 1
            return 0
        }
        if remaining >= 3 {
            let a = bytes[position] | 0x20
            let b = bytes[position + 1] | 0x20
            let c = bytes[position + 2] | 0x20
            if (a, b, c) == (0x75, 0x74, 0x63) || (a, b, c) == (0x67, 0x6D, 0x74) {
                position += 3
                return 0
            }
        }
        guard byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") else { return nil }
        let start = position
        position += 1
        guard let hours = fixedDigits(2) else {
            position = start
            return nil
        }
        _ = eat(UInt8(ascii: ":"))
        let minutes = fixedDigits(2) ?? 0
        let offset = hours * 3600 + minutes * 60
        return byte == UInt8(ascii: "-") ? -offset : offset
    }

    /// Reads `AM` or `PM`; returns whether it was PM.
    mutating func meridiem() -> Bool? {
        guard remaining >= 2, bytes[position + 1] | 0x20 == 0x6D else { return nil }
        let first = bytes[position] | 0x20
        guard first == 0x61 || first == 0x70 else { return nil }
        position += 2
        return first == 0x70
    }
}
