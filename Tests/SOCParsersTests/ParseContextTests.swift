import SOCModel
import SOCParsers
import Testing

/// Identical records anywhere in one input stay different events; reading the same input again gives the same
/// identifiers.
@Suite struct ParseContextTests {
    private static let options = ParseContext.Options(
        year: 2024,
        referenceTime: Timestamp(year: 2024, month: 12, day: 31)!
    )

    /// Identifiers for `records`, read in order by one context.
    private func identifiers(_ records: [String]) -> [EventIdentifier] {
        var context = ParseContext(options: Self.options, path: "auth.log")
        return records.map { record in
            var copy = record
            return copy.withUTF8 { context.identifier(for: UnsafeRawBufferPointer($0)) }
        }
    }

    @Test func aRecordRepeatedAfter65536OthersIsStillANewEvent() {
        let line = "Feb  4 10:15:23 host sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2"
        let records = [line] + (0..<65_536).map { "distinct line \($0)" } + [line, line]
        let ids = identifiers(records)
        #expect(Set(ids).count == records.count)
        #expect(ids[0] == EventIdentifier(record: line))
        #expect(ids[65_537] == EventIdentifier(record: line, occurrence: 1))
        #expect(ids[65_538] == EventIdentifier(record: line, occurrence: 2))
        #expect(identifiers(records) == ids)  // re-ingesting the same input adds nothing
    }

    @Test func pastTheMemoryBoundRepeatsAreToldApartByPosition() {
        // More distinct records than are remembered exactly, with a repeat of an early and of a late one.
        let count = (1 << 20) + 1000
        var records = (0..<count).map { "r\($0)" }
        records += ["r5", "r\(count - 1)", "r\(count - 1)"]
        let ids = identifiers(records)
        #expect(Set(ids).count == records.count)
        #expect(ids[count] == EventIdentifier(record: "r5", occurrence: 1))
        #expect(identifiers(records) == ids)
    }
}
