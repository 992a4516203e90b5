/// The stable identity of an event: a 128-bit hash of its original record.
///
/// Ingesting the same record twice gives the same identifier, so stores keep one copy. Identical records that occur
/// more than once in one input are told apart by their occurrence number (see ``init(record:occurrence:)``).
public struct EventIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The high 64 bits.
    public var high: UInt64
    /// The low 64 bits.
    public var low: UInt64

    /// Creates an identifier from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Hashes the bytes of an original record.
    ///
    /// - Parameters:
    ///   - record: The record's bytes as read (without the line terminator).
    ///   - occurrence: 0 for the first time these bytes occur in an input, 1 for the second, and so on.
    public init(record: UnsafeRawBufferPointer, occurrence: Int = 0) {
        let (h1, h2) = MurmurHash3.hash128(record, seed: UInt64(truncatingIfNeeded: occurrence) &* 0x9E37_79B9)
        self.init(high: h1, low: h2)
    }

    /// Hashes the bytes of a record repeated in an input, told apart by its position (the 0-based count of records
    /// before it) where the input is too large to count its occurrences; never equal to an occurrence-numbered
    /// identifier of the same bytes (negative occurrence numbers are reserved for this).
    public init(record: UnsafeRawBufferPointer, position: Int) {
        self.init(record: record, occurrence: -1 - max(0, position))
    }

    /// Hashes the UTF-8 bytes of an original record.
    public init(record: String, occurrence: Int = 0) {
        var copy = record
        self = copy.withUTF8 { EventIdentifier(record: UnsafeRawBufferPointer($0), occurrence: occurrence) }
    }

    /// Parses the 32-character lowercase hexadecimal form.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 32, let high = UInt64(hex.prefix(16), radix: 16),
            let low = UInt64(hex.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }

    /// The identifier as 32 lowercase hexadecimal characters.
    public var hex: String {
        let h = String(high, radix: 16)
        let l = String(low, radix: 16)
        return String(repeating: "0", count: 16 - h.count) + h + String(repeating: "0", count: 16 - l.count) + l
    }

    /// The hexadecimal form.
    public var description: String { hex }

    /// The 16 bytes, big-endian, for compact storage.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// Rebuilds an identifier from ``bytes``; `nil` unless there are exactly 16.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }
}

/// MurmurHash3 x64 128-bit (Austin Appleby, public domain): fast, well distributed, stable across platforms.
enum MurmurHash3 {
    static func hash128(_ data: UnsafeRawBufferPointer, seed: UInt64) -> (UInt64, UInt64) {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5
        let c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1 = seed
        var h2 = seed
        let length = data.count
        let blocks = length / 16
        for block in 0..<blocks {
            var k1 = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: block * 16, as: UInt64.self))
            var k2 = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: block * 16 + 8, as: UInt64.self))
            k1 &*= c1
            k1 = rotl(k1, 31)
            k1 &*= c2
            h1 ^= k1
            h1 = rotl(h1, 27)
            h1 &+= h2
            h1 = h1 &* 5 &+ 0x52dc_e729
            k2 &*= c2
            k2 = rotl(k2, 33)
            k2 &*= c1
            h2 ^= k2
            h2 = rotl(h2, 31)
            h2 &+= h1
            h2 = h2 &* 5 &+ 0x3849_5ab5
        }
        let tail = blocks * 16
        var k1: UInt64 = 0
        var k2: UInt64 = 0
        let rest = length & 15
        if rest > 8 {
            for i in stride(from: rest - 1, through: 8, by: -1) { k2 ^= UInt64(data[tail + i]) << (UInt64(i - 8) * 8) }
            k2 &*= c2
            k2 = rotl(k2, 33)
            k2 &*= c1
            h2 ^= k2
        }
        if rest > 0 {
            for i in stride(from: min(rest, 8) - 1, through: 0, by: -1) {
                k1 ^= UInt64(data[tail + i]) << (UInt64(i) * 8)
            }
            k1 &*= c1
            k1 = rotl(k1, 31)
            k1 &*= c2
            h1 ^= k1
        }
        h1 ^= UInt64(length)
        h2 ^= UInt64(length)
        h1 &+= h2
        h2 &+= h1
        h1 = fmix(h1)
        h2 = fmix(h2)
        h1 &+= h2
        h2 &+= h1
        return (h1, h2)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) private static func fmix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
