import SOCModel
import SOCParsers
import Testing

/// `message repeated N times` counts are believed only when positive and bounded.
@Suite struct AuthMessageInterpreterTests {
    private func interpret(_ message: String) -> SecurityEvent {
        var event = SecurityEvent(id: EventIdentifier(record: message), timestamp: nil, original: message)
        AuthMessageInterpreter.interpret("sshd", message, into: &event)
        return event
    }

    @Test func aBelievableRepeatCountIsKept() {
        let event = interpret("message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]")
        #expect(event[ECSField.repeatCount] == .integer(3))
        #expect(event.outcome == "failure")
        #expect(event.string(ECSField.sourceIP) == "1.2.3.4")
    }

    @Test(arguments: ["-1000", "0", "9223372036854775807", "99999999999999999999999", "1000001"])
    func anUnbelievableRepeatCountCountsTheLineOnce(_ count: String) {
        let event = interpret("message repeated \(count) times: [ Failed password for root from 1.2.3.4 port 22 ssh2]")
        #expect(event[ECSField.repeatCount] == nil)
        #expect(event.outcome == "failure")  // the inner message is still read: one failed attempt
        #expect(event.string(ECSField.sourceIP) == "1.2.3.4")
    }
}
