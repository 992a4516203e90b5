import SOCModel
import Testing

/// The byte search the rule checks use agrees with `String.contains(_:)` on ASCII and UTF-8 text.
@Suite struct ByteSearchTests {
    @Test(arguments: [
        ("vssadmin delete shadows /all", "delete"), ("vssadmin", "vssadmin delete"), ("", ""), ("abc", ""),
        ("aaab", "aab"), ("café société", "société"), ("powershell -enc", "-enc "), ("x", "x"), ("xy", "yx"),
    ])
    func agreesWithContains(haystack: String, needle: String) {
        #expect(haystack.containsBytes(of: needle) == (needle.isEmpty || haystack.contains(needle)))
    }
}
