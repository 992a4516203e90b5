import SOCModel
import Testing

@Suite struct EventIdentifierTests {
    @Test func isMurmurHash3OfTheRecord() {
        // Reference values of MurmurHash3_x64_128 with seed 0.
        #expect(EventIdentifier(record: "").hex == "00000000000000000000000000000000")
        #expect(EventIdentifier(record: "hello").hex == "cbd8a7b341bd9b025b1e906a48ae1d19")
        #expect(
            EventIdentifier(record: "The quick brown fox jumps over the lazy dog").hex
                == "e34bbc7bbc071b6c7a433ca9c49a9347"
        )
    }

    @Test func tellsRepeatedRecordsApartByOccurrence() {
        let first = EventIdentifier(record: "same line")
        let second = EventIdentifier(record: "same line", occurrence: 1)
        #expect(first != second)
        #expect(EventIdentifier(record: "same line", occurrence: 1) == second)
    }

    @Test func roundTripsThroughHexAndBytes() {
        let id = EventIdentifier(record: "Failed password for root from 10.0.0.1")
        #expect(EventIdentifier(hex: id.hex) == id)
        #expect(EventIdentifier(bytes: id.bytes) == id)
        #expect(EventIdentifier(hex: "xyz") == nil)
        #expect(EventIdentifier(bytes: [1, 2, 3]) == nil)
    }
}
