import SOCModel
import SOCStore
import Testing

/// Date math and queries with numbers too large for any clock are errors, never traps or a different window.
@Suite struct DateMathTests {
    private let now = Timestamp(year: 2024, month: 2, day: 4, hour: 10)!

    @Test(arguments: [
        "now-99999999999999d", "now-99999999999999999999999d", "now+99999999999999w", "now-9999999999999999999h",
        "now-99999999999999999y", "now-20000y", "now+99999M", "99999999999999999", "9223372036854775807",
        "now-\u{0663}d",
    ])
    func anExpressionOutsideTheSupportedYearsIsNoDate(_ text: String) {
        #expect(DateMath.resolve(text, now: now, roundUp: false) == nil, "\(text)")
        #expect(DateMath.resolve(text, now: now, roundUp: true) == nil, "\(text)")
    }

    @Test func ordinaryExpressionsStillResolve() {
        #expect(DateMath.resolve("now-1d", now: now, roundUp: false)?.iso8601 == "2024-02-03T10:00:00.000Z")
        #expect(DateMath.resolve("now-1y/y", now: now, roundUp: false)?.iso8601 == "2023-01-01T00:00:00.000Z")
        #expect(DateMath.resolve("1707040800000", now: now, roundUp: false) == now)
        #expect(DateMath.resolve("now-2024y", now: now, roundUp: false)?.components.year == 0)
    }

    @Test(arguments: [
        "@timestamp:[now-99999999999999d TO now]", "@timestamp:>now-99999999999999999999999d",
        "@timestamp:[* TO 99999999999999999]", "event.created:<now+99999999999999999999w", "root~99999999999999999999",
        "root~1.2.3", "root~3", "root^" + String(repeating: "9", count: 400),
    ])
    func aQueryWithAnImpossibleNumberIsASyntaxError(_ text: String) {
        #expect(throws: LuceneSyntaxError.self, "\(text)") { try LuceneParser.parse(text) }
    }

    @Test func windowsClampInsteadOfTrapping() {
        #expect(TimeRange.last(hours: 99_999_999_999, before: now).start == nil)
        #expect(TimeRange.last(hours: .nan, before: now).start == nil)
        #expect(TimeRange.last(hours: 24, before: now).start?.iso8601 == "2024-02-03T10:00:00.000Z")
    }
}
