import SOCParsers
import Testing

@Suite struct JSONScannerTests {
    private func scan<T>(_ text: String, _ body: (JSONNode) throws -> T) throws -> T {
        var scanner = JSONScanner()
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { buffer in try scanner.withRoot(of: buffer, body) }
    }

    private func error(_ text: String) -> JSONSyntaxError? { error(bytes: Array(text.utf8)) }

    private func error(bytes: [UInt8]) -> JSONSyntaxError? {
        var scanner = JSONScanner()
        return bytes.withUnsafeBytes { buffer -> JSONSyntaxError? in
            do {
                _ = try scanner.scan(buffer)
                return nil
            } catch let failure as JSONSyntaxError {
                return failure
            } catch {
                return nil
            }
        }
    }

    @Test func readsNestedMembersNumbersAndLiterals() throws {
        let json =
            #"{"Event":{"System":{"EventID":4625,"Level":0.5,"On":true,"Off":false,"None":null},"List":["a",1,{"b":"c"}]}}"#
        try scan(json) { root in
            #expect(root["Event"]?["System"]?["EventID"]?.text == "4625")
            #expect(root["Event"]?["System"]?["EventID"]?.integer == 4625)
            #expect(root["Event"]?["System"]?["Level"]?.text == "0.5")
            #expect(root["Event"]?["System"]?["On"]?.text == "true")
            #expect(root["Event"]?["System"]?["None"]?.isNull == true)
            #expect(root["Event"]?["Missing"] == nil)
            let list = root["Event"]?["List"]?.elements ?? []
            #expect(list.count == 3)
            #expect(list[2]["b"]?.text == "c")
            #expect(root["Event"]?.member("List")?.isArray == true)
        }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        try scan(#"{"k\u0065y":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00"}"#) { root in
            #expect(root["key"]?.text == "a\"b\\c/d\n\té😀")
        }
    }

    @Test func keepsRawUTF8() throws {
        try scan(#"{"user":"Jörg 東京"}"#) { root in #expect(root["user"]?.text == "Jörg 東京") }
    }

    @Test(
        "Rejects malformed JSON with the offset of the problem",
        arguments: [
            (#"{"a":1,}"#, 7, "expected a quoted member name"),
            (#"{"a" 1}"#, 5, "expected ':'"),
            (#"{"a":tru}"#, 5, "invalid literal"),
            (#"{"a":"x}"#, 5, "unterminated string"),
            (#"{"a":"\q"}"#, 6, "invalid escape"),
            (#"{"a":01}"#, 6, "unexpected"),
            (#"{"a":1} x"#, 8, "after the JSON value"),
            ("{\"a\":\"\u{01}\"}", 6, "control character"),
            (#"{"a":[1,2}"#, 9, "expected ',' or ']'"),
            (#"{"a":-}"#, 6, "expected a digit"),
        ]
    )
    func rejectsMalformed(_ testCase: (String, Int, String)) {
        let failure = error(testCase.0)
        #expect(failure?.offset == testCase.1, "\(testCase.0): \(String(describing: failure))")
        #expect(failure?.reason.contains(testCase.2) == true, "\(testCase.0): \(String(describing: failure))")
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let failure = error(bytes: bytes)
        #expect(failure?.offset == 7)
        #expect(failure?.reason.contains("UTF-8") == true)
    }

    @Test func rejectsHostileNestingWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(error(deep)?.reason.contains("nesting deeper") == true)
    }

    @Test func rejectsEmptyInput() {
        #expect(error("")?.reason.contains("empty") == true)
        #expect(error("   ")?.reason.contains("end of input") == true)
    }

    @Test func scansManyDocumentsWithOneScanner() throws {
        var scanner = JSONScanner()
        for index in 0..<1000 {
            let bytes = Array(#"{"i":\#(index),"s":"x"}"#.utf8)
            let value = try bytes.withUnsafeBytes { try scanner.withRoot(of: $0) { $0["i"]?.integer } }
            #expect(value == Int64(index))
        }
    }
}
