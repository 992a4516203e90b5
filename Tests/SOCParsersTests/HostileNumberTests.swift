import Foundation
import SOCModel
import SOCParsers
import Testing

/// Numbers in log content that do not fit (huge, NaN, infinite, negative) are a per-record error or a field left
/// out, never a trap; the records around them are kept.
@Suite struct HostileNumberTests {
    @Test(arguments: ["1e300", "nan", "inf", "-inf", "-1e300", "99999999999999999999"])
    func anAuditTimestampThatIsNoInstantRejectsOnlyItsRecord(_ seconds: String) throws {
        let good = "type=USER_LOGIN msg=audit(1551485405.594:1): pid=1 acct=\"root\" res=failed"
        let bad = "type=USER_LOGIN msg=audit(\(seconds):2): pid=1 acct=\"root\" res=failed"
        let (events, summary) = try Support.read(
            text: [good, bad, good].joined(separator: "\n") + "\n",
            format: .auditd
        )
        #expect(events.count == 2)
        #expect(summary.rejected == 1)
        #expect(summary.errors.first?.line == 2)
        #expect(summary.errors.first?.reason.contains("invalid audit timestamp") == true)
    }

    @Test func hugeSyslogPIDsAreLeftOut() throws {
        let line =
            "Feb  4 10:15:23 host sshd[99999999999999999999999]: Failed password for root from 1.2.3.4 port 22 ssh2"
        let (events, summary) = try Support.read(text: line + "\n", format: .syslog)
        #expect(summary.rejected == 0)
        #expect(events.count == 1)
        #expect(events.first?[ECSField.processPID] == nil)
        #expect(events.first?.outcome == "failure")
    }

    @Test func timestampsRefuseSecondsOutsideTheSupportedYears() {
        #expect(Timestamp(checkedSecondsSinceEpoch: .nan) == nil)
        #expect(Timestamp(checkedSecondsSinceEpoch: .infinity) == nil)
        #expect(Timestamp(checkedSecondsSinceEpoch: 1e300) == nil)
        #expect(Timestamp(checkedSecondsSinceEpoch: 253_402_300_800) == nil)  // year 10000
        #expect(Timestamp(checkedSecondsSinceEpoch: 1_551_485_405.594)?.iso8601 == "2019-03-02T00:10:05.594Z")
        #expect(Timestamp(secondsSinceEpoch: .nan) == Timestamp.supportedRange.lowerBound)
        #expect(Timestamp(secondsSinceEpoch: 1e300) == Timestamp.supportedRange.upperBound)
        #expect(Timestamp.supportedRange.upperBound.adding(microseconds: 1) == nil)
        #expect(Timestamp.supportedRange.lowerBound.adding(microseconds: .min) == nil)
        #expect(Timestamp.supportedRange.lowerBound.adding(hours: .nan) == nil)
        #expect(Timestamp.supportedRange.lowerBound.adding(hours: 1e20) == nil)
    }
}
