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

    @Test func anIPv4BlockIsPiecesOfCanonicalText() throws {
        func pieces(_ text: String) throws -> [IPMatcher.CanonicalText]? {
            try #require(IPMatcher(text)).canonicalText()
        }
        #expect(try pieces("10.0.0.0/8") == [.prefix("10.")])
        #expect(try pieces("192.168.1.0/24") == [.prefix("192.168.1.")])
        #expect(try pieces("203.0.113.7") == [.exact("203.0.113.7")])
        #expect(try pieces("172.16.0.0/12") == (16...31).map { .prefix("172.\($0).") })
        #expect(try pieces("172.20.0.0/12") == (16...31).map { .prefix("172.\($0).") }, "host bits are ignored")
        #expect(try pieces("10.1.2.128/25") == (128...255).map { .exact("10.1.2.\($0)") })
        #expect(try pieces("128.0.0.0/1") == (128...255).map { .prefix("\($0).") })
        #expect(try pieces("::ffff:10.0.0.0/104") == [.prefix("10.")], "IPv4-mapped blocks are IPv4 blocks")
        #expect(try pieces("0.0.0.0/0") == nil, "all of IPv4 is every row: no ranges")
        #expect(try pieces("2001:db8::/32") == nil)
        #expect(try #require(IPMatcher("10.1.2.0/30")).canonicalText(limit: 2) == nil)
        // Every address the pieces describe is in the block, and every address of the block is described.
        let block = try #require(IPMatcher("172.16.0.0/12"))
        let described = try #require(block.canonicalText())
        for text in ["172.15.255.255", "172.16.0.0", "172.24.1.9", "172.31.255.255", "172.32.0.0", "172.160.0.1"] {
            let inPieces = described.contains { piece in
                switch piece {
                case .exact(let address): address == text
                case .prefix(let prefix): text.hasPrefix(prefix)
                }
            }
            #expect(inPieces == block.matches(text), "\(text)")
        }
    }

    @Test func readsTheEmbeddedIPv4() {
        #expect(IPAddress("2002:7f00:1::")?.embeddedIPv4 == IPAddress("127.0.0.1"))
        #expect(IPAddress("64:ff9b::a00:1")?.embeddedIPv4 == IPAddress("10.0.0.1"))
        #expect(IPAddress("2001:db8::1")?.embeddedIPv4 == nil)
    }
}
