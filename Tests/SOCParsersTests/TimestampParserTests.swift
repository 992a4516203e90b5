import SOCModel
import SOCParsers
import Testing

@Suite struct TimestampParserTests {
    @Test(
        "Reads the timestamp forms logs use",
        arguments: [
            ("2024-02-04T10:15:23Z", "2024-02-04T10:15:23.000Z"),
            ("2024-02-04T10:15:23.1234567Z", "2024-02-04T10:15:23.123456Z"),
            ("2024-02-04 10:15:23", "2024-02-04T10:15:23.000Z"),
            ("2024-02-04T12:15:23+02:00", "2024-02-04T10:15:23.000Z"),
            ("2024-02-04T05:15:23.5-0500", "2024-02-04T10:15:23.500Z"),
            ("2019-01-15 05:24:24.010", "2019-01-15T05:24:24.010Z"),
            ("3/31/2022, 10:51:35.857 AM", "2022-03-31T10:51:35.857Z"),
            ("3/31/2022, 12:05:00.000 AM", "2022-03-31T00:05:00.000Z"),
            ("3/31/2022, 2:51:35.857 PM", "2022-03-31T14:51:35.857Z"),
            ("7/8/2019 16:08", "2019-07-08T16:08:00.000Z"),
            ("04/Feb/2024:10:15:23 +0100", "2024-02-04T09:15:23.000Z"),
            ("1551485405.594", "2019-03-02T00:10:05.594Z"),
            ("2024-02-29", "2024-02-29T00:00:00.000Z"),
        ]
    )
    func parses(_ testCase: (String, String)) {
        #expect(TimestampParser.parse(testCase.0)?.iso8601 == testCase.1)
    }

    @Test func needsAYearForSyslogTimestamps() {
        #expect(TimestampParser.parse("Feb  4 10:15:23") == nil)
        #expect(TimestampParser.parse("Feb  4 10:15:23", year: 2023)?.iso8601 == "2023-02-04T10:15:23.000Z")
        #expect(TimestampParser.parse("Dec 31 23:59:59", year: 2023)?.iso8601 == "2023-12-31T23:59:59.000Z")
    }

    @Test(
        "Rejects impossible dates and trailing text",
        arguments: [
            "2023-02-29 10:00:00", "2024-13-01", "2024-02-04T25:00:00Z", "2024-02-04x", "hello", "12345",
            "2024-02-04T10:15:23Zjunk",
        ]
    )
    func rejects(_ text: String) {
        #expect(TimestampParser.parse(text) == nil)
    }

    @Test func infersTheYearSoThatNoEventIsInTheFuture() {
        let now = Timestamp(year: 2026, month: 1, day: 15)!
        let context = ParseContext(options: .init(referenceTime: now), path: nil)
        #expect(context.inferredYear(month: 12, day: 10) == 2025)
        #expect(context.inferredYear(month: 1, day: 14) == 2026)
        let fixed = ParseContext(options: .init(year: 2019, referenceTime: now), path: nil)
        #expect(fixed.inferredYear(month: 12, day: 10) == 2019)
    }
}
