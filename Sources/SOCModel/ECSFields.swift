/// The fields of one event: dotted ECS names to values, kept in insertion order.
///
/// A small open-addressing hash table with a fast hash over the name's UTF-8 (seeded per process), with each name's
/// hash kept beside it. It is several times cheaper than `Dictionary<String, FieldValue>` for the few dozen fields an
/// event has (this is the ingest hot path), and iterates in insertion order, so documents render identically on
/// every run.
public struct ECSFields: Sequence, Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private struct Entry: Sendable {
        var key: String
        var value: FieldValue
        var hash: UInt32
    }
    private var entries: [Entry] = []
    private var slots: [Int32]

    /// Creates an empty set of fields with room for about `capacity` of them before growing.
    public init(capacity: Int = 40) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        entries.reserveCapacity(capacity)
    }

    /// Creates fields from a literal.
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        self.init(capacity: elements.count)
        for (key, value) in elements { self[key] = value }
    }

    /// The number of fields.
    public var count: Int { entries.count }

    /// Whether there are no fields.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value of a field; setting `nil` removes it.
    public subscript(key: String) -> FieldValue? {
        get {
            let (index, _, _) = find(key)
            return index >= 0 ? entries[index].value : nil
        }
        set {
            let (index, slot, hash) = find(key)
            if let newValue {
                if index >= 0 {
                    entries[index].value = newValue
                } else {
                    insert(key, newValue, hash: hash, slot: slot)
                }
            } else if index >= 0 {
                entries.remove(at: index)
                rebuild(size: slots.count)
            }
        }
    }

    /// The value of a field named by a ``FieldKey``, whose hash was computed once.
    public subscript(key: FieldKey) -> FieldValue? {
        let mask = slots.count - 1
        var slot = Int(key.hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return nil }
            if entries[index].hash == key.hash, entries[index].key == key.name { return entries[index].value }
            slot = (slot + 1) & mask
        }
    }

    /// Calls `body` with each field in insertion order (cheaper than iterating the sequence).
    public func forEach(_ body: (String, FieldValue) throws -> Void) rethrows {
        for entry in entries { try body(entry.key, entry.value) }
    }

    /// Calls `body` with each field's key (its hash already computed) and value, in insertion order: for code that
    /// looks each field up in a table of its own.
    public func forEachKeyed(_ body: (FieldKey, FieldValue) throws -> Void) rethrows {
        for entry in entries { try body(FieldKey(name: entry.key, hash: entry.hash), entry.value) }
    }

    /// Sets a field only when it has no value yet; returns whether it was set.
    @discardableResult
    public mutating func setIfAbsent(_ key: String, _ value: FieldValue) -> Bool {
        let (index, slot, hash) = find(key)
        guard index < 0 else { return false }
        insert(key, value, hash: hash, slot: slot)
        return true
    }

    /// Whether a field named by these UTF-8 bytes is present, without making a `String` of them.
    public func contains(utf8 name: UnsafeBufferPointer<UInt8>) -> Bool {
        find(bytes: name).index >= 0
    }

    /// Iterates `(key, value)` pairs in insertion order.
    public func makeIterator() -> some IteratorProtocol<(key: String, value: FieldValue)> {
        entries.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
    }

    /// The names, in insertion order.
    public var names: [String] { entries.map(\.key) }

    /// Fields are equal when they have the same names with the same values, in any order.
    public static func == (lhs: ECSFields, rhs: ECSFields) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs where rhs[key] != value { return false }
        return true
    }

    /// Hashes the count (order-independent, consistent with `==`).
    public func hash(into hasher: inout Hasher) { hasher.combine(count) }

    /// The fields as `name: value` pairs.
    public var description: String {
        "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }

    // MARK: - Table

    private func find(_ key: String) -> (index: Int, slot: Int, hash: UInt32) {
        if let result = key.utf8.withContiguousStorageIfAvailable({ find(bytes: $0) }) { return result }
        var copy = key
        copy.makeContiguousUTF8()
        return copy.utf8.withContiguousStorageIfAvailable { find(bytes: $0) } ?? (-1, 0, 0)
    }

    private func find(bytes: UnsafeBufferPointer<UInt8>) -> (index: Int, slot: Int, hash: UInt32) {
        let hash = ECSFields.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let index = Int(slots[slot])
            if index < 0 { return (-1, slot, hash) }
            if entries[index].hash == hash, ECSFields.equal(entries[index].key, bytes) { return (index, slot, hash) }
            slot = (slot + 1) & mask
        }
    }

    private static func equal(_ key: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        key.utf8.withContiguousStorageIfAvailable { stored in
            stored.count == bytes.count && (bytes.isEmpty || memcmpBytes(stored, bytes))
        } ?? key.utf8.elementsEqual(bytes)
    }

    private mutating func insert(_ key: String, _ value: FieldValue, hash: UInt32, slot: Int) {
        var slot = slot
        if (entries.count + 1) * 2 > slots.count {
            rebuild(size: slots.count * 2)
            let mask = slots.count - 1
            slot = Int(hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
        }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(key: key, value: value, hash: hash))
    }

    private mutating func rebuild(size: Int) {
        slots = Array(repeating: -1, count: size)
        let mask = size - 1
        for (index, entry) in entries.enumerated() {
            var slot = Int(entry.hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// A fast hash over 8-byte words (multiply and rotate), seeded once per process: field names come from log
    /// content, and a fixed hash would let a crafted record fill one probe chain with colliding names.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var state: UInt64 = seed ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return UInt32(truncatingIfNeeded: state) }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            state = (state ^ word) &* 0xBF58_476D_1CE4_E5B9
            state = state ^ (state >> 29)
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        state = (state ^ tail) &* 0x94D0_49BB_1331_11EB
        state ^= state >> 32
        return UInt32(truncatingIfNeeded: state)
    }

    /// This process's hash seed.
    private static let seed = UInt64.random(in: .min ... .max) | 1
}

/// A field name with its hash computed once, for code that looks the same fields up in every event.
public struct FieldKey: Sendable, Hashable {
    /// The dotted ECS name.
    public let name: String
    let hash: UInt32

    /// Creates a key for `name`.
    public init(_ name: String) {
        self.name = name
        var copy = name
        self.hash = copy.withUTF8 { ECSFields.hash($0) }
    }

    init(name: String, hash: UInt32) {
        self.name = name
        self.hash = hash
    }

    /// Keys are equal when their names are.
    public static func == (lhs: FieldKey, rhs: FieldKey) -> Bool { lhs.hash == rhs.hash && lhs.name == rhs.name }

    /// Feeds the precomputed hash only (equal names have equal hashes), so a dictionary keyed by fields does not
    /// hash the name again.
    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

@inline(__always)
private func memcmpBytes(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let left = lhs.baseAddress, let right = rhs.baseAddress else { return lhs.count == rhs.count }
    var index = 0
    let count = lhs.count
    while index + 8 <= count {
        if UnsafeRawPointer(left).loadUnaligned(fromByteOffset: index, as: UInt64.self)
            != UnsafeRawPointer(right).loadUnaligned(fromByteOffset: index, as: UInt64.self)
        {
            return false
        }
        index += 8
    }
    while index < count {
        if left[index] != right[index] { return false }
        index += 1
    }
    return true
}
