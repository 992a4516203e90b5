import SOCModel

/// Numbers identical records within one input so each keeps its own ``EventIdentifier``, in bounded memory.
///
/// The first time a record's bytes occur it gets their plain hash; the *n*th repeat gets the hash with occurrence
/// number *n*, as before (so stores keep deduplicating what earlier versions ingested). Re-reading the same input
/// gives the same identifiers, so re-ingesting a file adds nothing.
///
/// Memory is bounded: the records seen are remembered as 64-bit fingerprints in an open-addressing table of at most
/// ``maximumRecords`` entries (16 MiB), and repeat counts for at most ``maximumRepeatedRecords`` distinct records.
/// Past either bound, a record that may have been seen is told apart by its position in the input instead
/// (``EventIdentifier/init(record:position:)``): still unique, still the same on a re-read, so nothing is lost
/// (before, a window of 65,536 records was forgotten and a later copy of a record took the first one's identifier).
/// A fingerprint collision only ever makes a first occurrence look like a repeat, which is harmless in the same way.
struct RecordOccurrences: Sendable {
    /// Distinct records remembered exactly (at a load factor of one half).
    static let maximumRecords = 1 << 20
    /// Distinct repeated records whose occurrence numbers are counted.
    static let maximumRepeatedRecords = 1 << 16

    /// Fingerprints (the high half of the first identifier, 0 mapped to 1); 0 is an empty slot.
    private var slots = [UInt64](repeating: 0, count: 1 << 12)
    private var count = 0
    /// The next occurrence number of each record seen more than once.
    private var repeats: [EventIdentifier: Int] = [:]
    /// How many records have been numbered: the position of the next one.
    private var position = 0

    /// The identifier for the next record, whose plain hash is `first`.
    mutating func identifier(_ first: EventIdentifier, record: UnsafeRawBufferPointer) -> EventIdentifier {
        defer { position += 1 }
        switch insert(first.high == 0 ? 1 : first.high) {
        case .inserted:
            return first
        case .full:
            return EventIdentifier(record: record, position: position)
        case .present:
            if let occurrence = repeats[first] {
                repeats[first] = occurrence + 1
                return EventIdentifier(record: record, occurrence: occurrence)
            }
            guard repeats.count < Self.maximumRepeatedRecords else {
                return EventIdentifier(record: record, position: position)
            }
            repeats[first] = 2
            return EventIdentifier(record: record, occurrence: 1)
        }
    }

    private enum Insertion { case inserted, present, full }

    /// Adds `fingerprint` unless it is there or the table is at its bound.
    private mutating func insert(_ fingerprint: UInt64) -> Insertion {
        var mask = slots.count - 1
        // The fingerprint is already a well-mixed hash: its low bits pick the slot.
        var slot = Int(truncatingIfNeeded: fingerprint) & mask
        while slots[slot] != 0 {
            if slots[slot] == fingerprint { return .present }
            slot = (slot + 1) & mask
        }
        guard count < Self.maximumRecords else { return .full }
        if (count + 1) * 2 > slots.count {
            grow()
            mask = slots.count - 1
            slot = Int(truncatingIfNeeded: fingerprint) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
        }
        slots[slot] = fingerprint
        count += 1
        return .inserted
    }

    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for fingerprint in slots where fingerprint != 0 {
            var slot = Int(truncatingIfNeeded: fingerprint) & mask
            while larger[slot] != 0 { slot = (slot + 1) & mask }
            larger[slot] = fingerprint
        }
        slots = larger
    }
}
