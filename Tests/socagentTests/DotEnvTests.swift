import Foundation
import SOCAnalystKit
import Testing

/// `.env` values: quotes are removed and comments after a value are not part of it.
@Suite struct DotEnvTests {
    @Test func quotedAndCommentedValuesAreReadAsWritten() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dotenv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        SINGLE='v' # comment
        DOUBLE="v 2"   # another
        ESCAPED="a \\"quoted\\" word"
        BARE=value # trailing comment
        HASH=abc#def
        export EXPORTED='x'
        UNCLOSED='open
        EMPTY=
        # COMMENTED=yes
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let values = AnalystEnvironment.dotEnv(at: path)
        #expect(values["SINGLE"] == "v")
        #expect(values["DOUBLE"] == "v 2")
        #expect(values["ESCAPED"] == #"a "quoted" word"#)
        #expect(values["BARE"] == "value")
        #expect(values["HASH"] == "abc#def")
        #expect(values["EXPORTED"] == "x")
        #expect(values["UNCLOSED"] == "'open")
        #expect(values["EMPTY"] == "")
        #expect(values["COMMENTED"] == nil)
    }
}
