import CCRC32
import CZlib
import Testing

/// The folded CRC-32 EVTX checks chunks with must equal zlib's for every length, alignment and starting value:
/// the folding handles 64-byte blocks, then 16-byte ones, then hands the tail to zlib.
struct CRC32Tests {
    @Test func foldingEqualsZlibForEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var mismatches: [String] = []
        bytes.withUnsafeBytes { buffer in
            for length in Array(0...300) + [511, 512, 4096, 65_024, 65_535, 69_000] {
                for start in [0, 1, 3, 8] {
                    let base = buffer.baseAddress! + start
                    let seed = length % 3 == 0 ? 0 : UInt32.random(in: 0...UInt32.max, using: &generator)
                    let expected = UInt32(
                        truncatingIfNeeded: crc32(uLong(seed), base.assumingMemoryBound(to: Bytef.self), uInt(length))
                    )
                    let folded = socagent_crc32(seed, base, length)
                    if folded != expected { mismatches.append("length \(length) at +\(start)") }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func aKnownValue() {
        // The CRC-32 check value: "123456789" → 0xCBF43926.
        let text = Array("123456789".utf8)
        #expect(text.withUnsafeBytes { socagent_crc32(0, $0.baseAddress!, $0.count) } == 0xCBF4_3926)
        // Long enough to take the folded path, against zlib's own answer for a run of one byte.
        let run = [UInt8](repeating: 0x61, count: 1000)
        let expected = run.withUnsafeBytes {
            UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), 1000))
        }
        #expect(run.withUnsafeBytes { socagent_crc32(0, $0.baseAddress!, $0.count) } == expected)
    }
}
