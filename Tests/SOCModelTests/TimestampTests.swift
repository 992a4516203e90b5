import SOCModel
import Testing

@Suite struct TimestampTests {
    @Test func rendersISO8601WithMillisecondsOrMicroseconds() {
        #expect(
            Timestamp(year: 2024, month: 2, day: 4, hour: 10, minute: 15, second: 23)?.iso8601
                == "2024-02-04T10:15:23.000Z"
        )
        #expect(Timestamp(year: 2024, month: 2, day: 4, microsecond: 123_000)?.iso8601 == "2024-02-04T00:00:00.123Z")
        #expect(Timestamp(year: 2024, month: 2, day: 4, microsecond: 123_456)?.iso8601 == "2024-02-04T00:00:00.123456Z")
        #expect(Timestamp(microsecondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(microsecondsSinceEpoch: -1).iso8601 == "1969-12-31T23:59:59.999999Z")
    }

    @Test func convertsCalendarDatesBothWays() {
        var day = Timestamp(year: 1970, month: 1, day: 1)!
        for _ in 0..<(366 * 60) {
            let c = day.components
            #expect(Timestamp(year: c.year, month: c.month, day: c.day) == day)
            day = Timestamp(microsecondsSinceEpoch: day.microsecondsSinceEpoch + 86_400_000_000)
        }
    }

    @Test func appliesTheUTCOffset() {
        let local = Timestamp(year: 2024, month: 2, day: 4, hour: 12, utcOffsetSeconds: 7200)
        #expect(local?.iso8601 == "2024-02-04T10:00:00.000Z")
    }

    @Test func rejectsImpossibleDates() {
        #expect(Timestamp(year: 2023, month: 2, day: 29) == nil)
        #expect(Timestamp(year: 2024, month: 2, day: 29) != nil)
        #expect(Timestamp(year: 1900, month: 2, day: 29) == nil)
        #expect(Timestamp(year: 2000, month: 2, day: 29) != nil)
        #expect(Timestamp(year: 2024, month: 13, day: 1) == nil)
        #expect(Timestamp(year: 2024, month: 4, day: 31) == nil)
        #expect(Timestamp(year: 2024, month: 1, day: 1, hour: 24) == nil)
    }
}
