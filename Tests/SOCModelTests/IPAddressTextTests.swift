import SOCModel
import Testing

@Suite struct IPAddressTextTests {
    @Test(
        "Accepts addresses",
        arguments: [
            "45.142.212.61", "0.0.0.0", "255.255.255.255", "::1", "::", "2001:db8::7", "fe80::1%eth0",
            "::ffff:10.0.0.1", "2001:0db8:0000:0000:0000:ff00:0042:8329",
        ]
    )
    func accepts(_ text: String) { #expect(IPAddressText.isIP(text)) }

    @Test(
        "Rejects everything else",
        arguments: [
            "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "-", "", "host.example", "1:2:3:4:5:6:7:8:9", "2001:db8:::1",
            "12345::", "a.b.c.d", "C:\\Windows",
        ]
    )
    func rejects(_ text: String) { #expect(!IPAddressText.isIP(text)) }
}
