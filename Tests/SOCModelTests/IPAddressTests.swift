import SOCModel
import Testing

/// Which addresses are public: IPv6 forms that carry a non-public IPv4 address are not.
@Suite struct IPAddressTests {
    @Test(arguments: [
        "::127.0.0.1", "::10.0.0.1", "::8.8.8.8", "::ffff:127.0.0.1", "::1", "::", "2002:7f00:1::", "2002:c0a8:101::1",
        "2002:a00:1::", "64:ff9b::a00:1", "64:ff9b::127.0.0.1", "64:ff9b::c0a8:1", "64:ff9b:1::808:808",
    ])
    func anAddressCarryingANonPublicIPv4IsPrivate(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.isPrivate, "\(text)")
    }

    @Test(arguments: ["8.8.8.8", "2002:808:808::1", "64:ff9b::808:808", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
    func aPublicAddressStaysPublic(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(!address.isPrivate, "\(text)")
    }

    @Test func readsTheEmbeddedIPv4() {
        #expect(IPAddress("2002:7f00:1::")?.embeddedIPv4 == IPAddress("127.0.0.1"))
        #expect(IPAddress("64:ff9b::a00:1")?.embeddedIPv4 == IPAddress("10.0.0.1"))
        #expect(IPAddress("2001:db8::1")?.embeddedIPv4 == nil)
    }
}
