import Foundation
import SOCModel
import SOCParsers

/// The `.evtx` part of ``Fuzzing``: seeds are the first chunk of real files, mutations know the file's structure
/// (chunk header fields, record sizes, template offsets), and every mutated file is read whole.
enum EVTXFuzzing {
    /// The file header and the first chunk of `file`, or `nil` when it is not an `.evtx` file.
    static func seed(_ file: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: EVTXFile.headerSize + EVTXFile.chunkSize) else { return nil }
        let bytes = Array(data)
        return bytes.withUnsafeBytes(EVTXFile.hasSignature) ? bytes : nil
    }

    /// Whether a seed's chunk holds few records (at most 16), so a million mutations of it read in minutes; the
    /// samples' many small captures are such seeds.
    static func isQuick(_ seed: [UInt8]) -> Bool {
        seed.withUnsafeBytes { bytes in
            let file = EVTXFile(bytes: bytes)
            return file.chunkCount == 1 && (1...16).contains(file.readChunk(0, recoverSlack: false).records.count)
        }
    }

    /// Reads a (mutated) file: every chunk, slack space too, each record through the normalizer. Whether any record
    /// was read.
    static func read(_ input: [UInt8]) -> Bool {
        input.withUnsafeBytes { bytes in
            let file = EVTXFile(bytes: bytes)
            var context = ParseContext(options: .init(referenceTime: Timestamp(secondsSinceEpoch: 1.7e9)), path: nil)
            var records = 0
            for index in 0..<file.chunkCount {
                let chunk = file.readChunk(index, recoverSlack: true)
                for record in chunk.records {
                    let recordBytes = UnsafeRawBufferPointer(
                        rebasing: bytes[record.offset..<(record.offset + record.size)]
                    )
                    _ = EVTXEvents.event(record, bytes: recordBytes, context: &context)
                    records += 1
                }
            }
            return records > 0
        }
    }

    /// Offsets of the fields of a chunk header worth corrupting: record numbers and identifiers, the last record's
    /// offset, the free space offset, both checksums.
    private static let chunkFields = [8, 16, 24, 32, 44, 48, 52, 124]

    /// A mutation of `seed`: bit flips, byte values, truncation, chunk header fields, record sizes, BinXML tokens
    /// and offsets, zeroed or copied ranges.
    static func mutate(_ seed: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        let chunk = EVTXFile.headerSize
        let rounds = 1 + Int(random.next() % 3)
        for _ in 0..<rounds {
            guard !bytes.isEmpty else { break }
            let position = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 9 {
            case 0:  // flip bits
                for _ in 0..<(1 + Int(random.next() % 8)) {
                    bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(1 << (random.next() % 8))
                }
            case 1:  // truncate
                bytes.removeSubrange(position...)
            case 2:  // corrupt a chunk header field
                let field = chunk + chunkFields[Int(random.next() % UInt64(chunkFields.count))]
                write(&bytes, at: field, interesting(&random))
            case 3:  // corrupt a record's size, or the copy of it at its end
                if let record = recordOffset(bytes, near: position) {
                    write(&bytes, at: record + 4, interesting(&random))
                }
            case 4:  // corrupt a BinXML token or offset near the start of a record
                if let record = recordOffset(bytes, near: position) {
                    let at = record + 24 + Int(random.next() % 64)
                    if random.next() % 2 == 0 {
                        if at < bytes.count { bytes[at] = UInt8(truncatingIfNeeded: random.next()) }
                    } else {
                        write(&bytes, at: at, interesting(&random))
                    }
                }
            case 5:  // zero a range
                let end = min(bytes.count, position + 1 + Int(random.next() % 512))
                for index in position..<end { bytes[index] = 0 }
            case 6:  // copy a range over another (a template or name pointing at the wrong bytes)
                let from = Int(random.next() % UInt64(bytes.count))
                let length = min(1 + Int(random.next() % 256), bytes.count - from, bytes.count - position)
                bytes.replaceSubrange(position..<(position + length), with: bytes[from..<(from + length)])
            case 7:  // the file header's chunk count and flags
                write(&bytes, at: 42, UInt32(truncatingIfNeeded: random.next() % 64))
                write(&bytes, at: 120, UInt32(truncatingIfNeeded: random.next() % 4))
            default:  // set a byte
                bytes[position] = [0x00, 0x01, 0x0C, 0x0E, 0x21, 0x41, 0x80, 0xFF][Int(random.next() % 8)]
            }
        }
        return bytes
    }

    private static func interesting(_ random: inout SplitMix64) -> UInt32 {
        let values: [UInt32] = [0, 1, 24, 28, 512, 0xFFFF, 0x1_0000, 0x1_0001, 0x7FFF_FFFF, 0xFFFF_FFFF]
        return random.next() % 3 == 0 ? UInt32(truncatingIfNeeded: random.next()) : values[Int(random.next() % 10)]
    }

    private static func write(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
        for index in 0..<4 where offset + index < bytes.count {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))
        }
    }

    /// The offset of the first record signature at or after `position` (or any, from the first chunk's records).
    private static func recordOffset(_ bytes: [UInt8], near position: Int) -> Int? {
        let start = max(position, EVTXFile.headerSize + 512)
        var index = start
        while index + 4 <= bytes.count {
            if bytes[index] == 0x2A && bytes[index + 1] == 0x2A && bytes[index + 2] == 0 && bytes[index + 3] == 0 {
                return index
            }
            index += 1
        }
        return start == EVTXFile.headerSize + 512 ? nil : recordOffset(bytes, near: 0)
    }
}
