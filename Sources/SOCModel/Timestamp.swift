/// A point in time with microsecond precision, stored as microseconds since 1970-01-01T00:00:00Z.
///
/// Logs carry timestamps in many shapes; parsers convert them all to a `Timestamp`, and the event
/// document renders it as ISO 8601 UTC (`2024-02-04T10:15:23.000Z`).
///
/// ```swift
/// let t = Timestamp(year: 2024, month: 2, day: 4, hour: 10, minute: 15, second: 23)
/// t?.iso8601  // "2024-02-04T10:15:23.000Z"
/// ```
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since the Unix epoch, UTC.
    public var microsecondsSinceEpoch: Int64

    /// Creates a timestamp from microseconds since the Unix epoch.
    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Creates a timestamp from seconds since the Unix epoch, such as a clock's reading.
    ///
    /// Values outside ``supportedRange`` (and NaN) are clamped to its ends; for seconds read from log content, use
    /// ``init(checkedSecondsSinceEpoch:)``, which refuses them instead.
    public init(secondsSinceEpoch: Double) {
        self =
            Timestamp(checkedSecondsSinceEpoch: secondsSinceEpoch)
            ?? (secondsSinceEpoch > 0 ? Timestamp.supportedRange.upperBound : Timestamp.supportedRange.lowerBound)
    }

    /// Creates a timestamp from seconds since the Unix epoch, or returns `nil` when the value is not finite or the
    /// instant is outside ``supportedRange`` (years 0 to 9999).
    public init?(checkedSecondsSinceEpoch seconds: Double) {
        let micros = (seconds * 1_000_000).rounded()
        // Within ±2^62 the conversion is exact enough and cannot trap; the range check is on the integer.
        guard micros.isFinite, abs(micros) < 0x1p62,
            Timestamp.supportedRange.contains(Timestamp(microsecondsSinceEpoch: Int64(micros)))
        else { return nil }
        self.microsecondsSinceEpoch = Int64(micros)
    }

    /// The instants a timestamp may name: 0000-01-01T00:00:00Z through 9999-12-31T23:59:59.999999Z, the years the
    /// calendar initializer and ISO 8601 text accept. Arithmetic that leaves it is an error, never a trap.
    public static let supportedRange =
        Timestamp(
            microsecondsSinceEpoch: -62_167_219_200_000_000
        )...Timestamp(
            microsecondsSinceEpoch: 253_402_300_799_999_999
        )

    /// This instant moved by `hours` (negative for earlier), or `nil` when `hours` is not finite or the result would
    /// leave ``supportedRange``.
    public func adding(hours: Double) -> Timestamp? {
        let micros = (hours * 3_600_000_000).rounded()
        // Beyond ±2^62 µs (146,000 years) the move leaves the supported range whatever the start.
        guard micros.isFinite, abs(micros) < 0x1p62 else { return nil }
        return adding(microseconds: Int64(micros))
    }

    /// This instant moved by `microseconds`, or `nil` when the result would leave ``supportedRange``.
    public func adding(microseconds: Int64) -> Timestamp? {
        let (sum, overflow) = microsecondsSinceEpoch.addingReportingOverflow(microseconds)
        let moved = Timestamp(microsecondsSinceEpoch: sum)
        guard !overflow, Timestamp.supportedRange.contains(moved) else { return nil }
        return moved
    }

    /// Creates a timestamp from calendar fields in UTC, or returns `nil` when a field is out of range.
    ///
    /// - Parameters:
    ///   - microsecond: The fraction of the second, in microseconds.
    ///   - utcOffsetSeconds: The offset of the given wall-clock time from UTC (`+02:00` is 7200).
    public init?(
        year: Int,
        month: Int,
        day: Int,
        hour: Int = 0,
        minute: Int = 0,
        second: Int = 0,
        microsecond: Int = 0,
        utcOffsetSeconds: Int = 0
    ) {
        guard (1...12).contains(month), (1...Timestamp.daysInMonth(year: year, month: month)).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (0..<1_000_000).contains(microsecond), (0...9999).contains(year)
        else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(utcOffsetSeconds)
        self.microsecondsSinceEpoch = seconds * 1_000_000 + Int64(microsecond)
    }

    /// Seconds since the Unix epoch, with the fraction.
    public var secondsSinceEpoch: Double { Double(microsecondsSinceEpoch) / 1_000_000 }

    /// The calendar fields of this instant in UTC.
    public var components: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int) {
        let (seconds, micros) = microsecondsSinceEpoch.floorDividedAndModulo(1_000_000)
        let (days, secondOfDay) = seconds.floorDividedAndModulo(86_400)
        let (year, month, day) = Timestamp.civilFromDays(days)
        let s = Int(secondOfDay)
        return (year, month, day, s / 3600, (s / 60) % 60, s % 60, Int(micros))
    }

    /// ISO 8601 in UTC with milliseconds, or microseconds when the instant has them.
    public var iso8601: String {
        let c = components
        var text = ""
        text.reserveCapacity(27)
        Self.append(c.year, width: 4, to: &text)
        text.append("-")
        Self.append(c.month, width: 2, to: &text)
        text.append("-")
        Self.append(c.day, width: 2, to: &text)
        text.append("T")
        Self.append(c.hour, width: 2, to: &text)
        text.append(":")
        Self.append(c.minute, width: 2, to: &text)
        text.append(":")
        Self.append(c.second, width: 2, to: &text)
        text.append(".")
        if c.microsecond % 1000 == 0 {
            Self.append(c.microsecond / 1000, width: 3, to: &text)
        } else {
            Self.append(c.microsecond, width: 6, to: &text)
        }
        text.append("Z")
        return text
    }

    /// ISO 8601 in UTC with exactly milliseconds (`2024-02-04T10:15:23.661Z`): one precision for people.
    public var iso8601Milliseconds: String {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch - ((microsecondsSinceEpoch % 1000) + 1000) % 1000)
            .iso8601
    }

    /// The ISO 8601 form.
    public var description: String { iso8601 }

    /// Orders timestamps chronologically.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in `month` (1–12) of `year`.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text.append(String(repeating: "0", count: width - digits.count)) }
        text.append(digits)
    }
}

extension Int64 {
    /// Floor division and the matching non-negative remainder.
    fileprivate func floorDividedAndModulo(_ divisor: Int64) -> (Int64, Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
