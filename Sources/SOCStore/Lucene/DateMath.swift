public import SOCModel

/// Elasticsearch date math: `now`, a date, or `DATE||`, followed by `+N<unit>`, `-N<unit>` and `/<unit>`
/// (units `y M w d h H m s`). Partial dates (`2024-05-02`) and rounding fill the missing part with the start of the
/// unit, or its end when the bound rounds up (`gt` and `lte`), as Elasticsearch does.
public enum DateMath {
    /// Resolves an expression.
    /// - Parameters:
    ///   - text: The expression, such as `now-1d/d`, `2024-05-01||+1d` or `1714550400000` (epoch milliseconds).
    ///   - now: What `now` is.
    ///   - roundUp: Whether missing parts and `/unit` round to the end of the unit (for `gt` and `lte` bounds).
    /// - Returns: The instant, or `nil` when the text is not a date, an amount does not fit in an `Int`, or the
    ///   instant is outside ``Timestamp/supportedRange`` (`now-99999999999999d` is an error, never a trap or `now-1d`).
    public static func resolve(_ text: String, now: Timestamp, roundUp: Bool) -> Timestamp? {
        var anchor: Timestamp
        var math: Substring
        if text.hasPrefix("now") {
            anchor = now
            math = text.dropFirst(3)
        } else if let bars = text.firstRange(of: "||") {
            guard let date = parseDate(String(text[..<bars.lowerBound]), roundUp: false) else { return nil }
            anchor = date
            math = text[bars.upperBound...]
        } else {
            return parseDate(text, roundUp: roundUp)
        }
        while let operation = math.first {
            math = math.dropFirst()
            if operation == "/" {
                guard let unit = math.first else { return nil }
                math = math.dropFirst()
                guard let rounded = round(anchor, unit: unit, up: roundUp) else { return nil }
                anchor = rounded
            } else if operation == "+" || operation == "-" {
                let digits = math.prefix { $0.isNumber }
                math = math.dropFirst(digits.count)
                guard let unit = math.first else { return nil }
                math = math.dropFirst()
                let amount: Int
                if digits.isEmpty {
                    amount = 1
                } else if let value = Int(digits) {
                    amount = value
                } else {
                    return nil  // too large, or digits that are not ASCII
                }
                guard let moved = add(anchor, operation == "+" ? amount : -amount, unit: unit) else { return nil }
                anchor = moved
            } else {
                return nil
            }
        }
        return anchor
    }

    /// A date as ISO 8601 (possibly partial: `2024`, `2024-05`, `2024-05-02`, `2024-05-02T10`) or epoch milliseconds.
    static func parseDate(_ text: String, roundUp: Bool) -> Timestamp? {
        if !text.isEmpty, text.allSatisfy(\.isNumber), text.count > 4 {
            guard let millis = Int64(text) else { return nil }
            let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
            return overflow
                ? nil
                : Timestamp.supportedRange.contains(Timestamp(microsecondsSinceEpoch: micros))
                    ? Timestamp(microsecondsSinceEpoch: micros) : nil
        }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" || $0 == " " })
        // Whole timestamps (with seconds, fractions or an offset) go to the general parser.
        if parts.count > 5 || text.contains("Z") || text.contains("+") || text.contains(".") {
            return TimestampLike.parse(text)
        }
        let numbers = parts.compactMap { Int($0) }
        guard numbers.count == parts.count, let year = numbers.first else { return nil }
        let month = numbers.count > 1 ? numbers[1] : (roundUp ? 12 : 1)
        let day = numbers.count > 2 ? numbers[2] : (roundUp ? Timestamp.daysInMonth(year: year, month: month) : 1)
        let hour = numbers.count > 3 ? numbers[3] : (roundUp ? 23 : 0)
        let minute = numbers.count > 4 ? numbers[4] : (roundUp ? 59 : 0)
        let second = roundUp ? 59 : 0
        return Timestamp(
            year: year,
            month: month,
            day: day,
            hour: hour,
            minute: minute,
            second: second,
            microsecond: roundUp ? 999_999 : 0
        )
    }

    private static func round(_ time: Timestamp, unit: Character, up: Bool) -> Timestamp? {
        let c = time.components
        let start: Timestamp?
        let next: Timestamp?
        switch unit {
        case "y":
            start = Timestamp(year: c.year, month: 1, day: 1)
            next = Timestamp(year: c.year + 1, month: 1, day: 1)
        case "M":
            start = Timestamp(year: c.year, month: c.month, day: 1)
            next =
                c.month == 12
                ? Timestamp(year: c.year + 1, month: 1, day: 1) : Timestamp(year: c.year, month: c.month + 1, day: 1)
        case "w":
            let day = Timestamp(year: c.year, month: c.month, day: c.day)
            // 1970-01-01 was a Thursday; weeks start on Monday.
            let days = (day?.microsecondsSinceEpoch ?? 0) / 86_400_000_000
            let weekday = ((days % 7) + 7 + 3) % 7
            start = Timestamp(microsecondsSinceEpoch: (days - weekday) * 86_400_000_000)
            next = start.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 7 * 86_400_000_000) }
        case "d":
            start = Timestamp(year: c.year, month: c.month, day: c.day)
            next = start.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 86_400_000_000) }
        case "h", "H":
            start = Timestamp(year: c.year, month: c.month, day: c.day, hour: c.hour)
            next = start.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 3_600_000_000) }
        case "m":
            start = Timestamp(year: c.year, month: c.month, day: c.day, hour: c.hour, minute: c.minute)
            next = start.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 60_000_000) }
        case "s":
            start = Timestamp(
                year: c.year,
                month: c.month,
                day: c.day,
                hour: c.hour,
                minute: c.minute,
                second: c.second
            )
            next = start.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch + 1_000_000) }
        default:
            return nil
        }
        guard let start, let next else { return nil }
        return up ? Timestamp(microsecondsSinceEpoch: next.microsecondsSinceEpoch - 1) : start
    }

    private static func add(_ time: Timestamp, _ amount: Int, unit: Character) -> Timestamp? {
        let micros: Int64
        switch unit {
        case "s": micros = 1_000_000
        case "m": micros = 60_000_000
        case "h", "H": micros = 3_600_000_000
        case "d": micros = 86_400_000_000
        case "w": micros = 7 * 86_400_000_000
        case "M", "y":
            let c = time.components
            // More than 10,000 years either way leaves the supported years whatever the anchor.
            guard abs(amount) <= (unit == "y" ? 10_000 : 120_000) else { return nil }
            let months = c.year * 12 + (c.month - 1) + (unit == "y" ? amount * 12 : amount)
            guard months >= 0 else { return nil }
            let year = months / 12
            let month = months % 12 + 1
            let day = min(c.day, Timestamp.daysInMonth(year: year, month: month))
            return Timestamp(
                year: year,
                month: month,
                day: day,
                hour: c.hour,
                minute: c.minute,
                second: c.second,
                microsecond: c.microsecond
            )
        default: return nil
        }
        let (offset, overflow) = Int64(amount).multipliedReportingOverflow(by: micros)
        return overflow ? nil : time.adding(microseconds: offset)
    }
}

/// Full ISO 8601 timestamps, for date math anchors (the parsers' timestamp reader lives in SOCParsers).
enum TimestampLike {
    static func parse(_ text: String) -> Timestamp? {
        // yyyy-MM-ddTHH:mm:ss[.fraction][Z|±HH:mm]
        var rest = Substring(text)
        func number(_ count: Int) -> Int? {
            let digits = rest.prefix(count)
            guard digits.count == count, digits.allSatisfy(\.isNumber) else { return nil }
            rest = rest.dropFirst(count)
            return Int(digits)
        }
        func eat(_ character: Character) -> Bool {
            guard rest.first == character else { return false }
            rest = rest.dropFirst()
            return true
        }
        guard let year = number(4), eat("-"), let month = number(2), eat("-"), let day = number(2) else { return nil }
        guard eat("T") || eat(" "), let hour = number(2), eat(":"), let minute = number(2) else {
            return rest.isEmpty ? Timestamp(year: year, month: month, day: day) : nil
        }
        var second = 0
        var micro = 0
        if eat(":"), let s = number(2) {
            second = s
            if eat(".") {
                let digits = rest.prefix { $0.isNumber }
                rest = rest.dropFirst(digits.count)
                micro = Int(String((digits + "000000").prefix(6))) ?? 0
            }
        }
        var offset = 0
        if eat("Z") {
        } else if let sign = rest.first, sign == "+" || sign == "-" {
            rest = rest.dropFirst()
            guard let hours = number(2) else { return nil }
            _ = eat(":")
            let minutes = number(2) ?? 0
            offset = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
        }
        guard rest.isEmpty else { return nil }
        return Timestamp(
            year: year,
            month: month,
            day: day,
            hour: hour,
            minute: minute,
            second: second,
            microsecond: micro,
            utcOffsetSeconds: offset
        )
    }
}
