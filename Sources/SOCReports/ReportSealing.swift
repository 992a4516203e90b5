public import Crypto
public import Foundation

/// How report files are kept: as JSON, or sealed in an authenticated encryption envelope.
///
/// The envelope (version 1) is `SOCR` (4 bytes), a version byte `0x01`, an algorithm byte `0x01` (AES-256-GCM), a
/// 12-byte random nonce, the ciphertext of the report's JSON, and the 16-byte GCM tag. The six header bytes are the
/// associated data, so a changed header fails like a changed ciphertext. A reader with the key reads sealed and plain
/// files alike; without it, a sealed file is a clear error, never garbage.
public enum ReportSealing: Sendable {
    /// Plain JSON.
    case none
    /// Sealed with this 256-bit key.
    case key(SymmetricKey)
    /// A key was given but cannot be used: every write and every sealed read fails with this reason.
    case invalid(String)

    /// The envelope's first bytes.
    static let magic: [UInt8] = Array("SOCR".utf8)
    static let version: UInt8 = 1
    static let aesGCM: UInt8 = 1
    static var header: [UInt8] { magic + [version, aesGCM] }

    /// The sealing a key text asks for: 64 hex digits or base64 of 32 bytes (whitespace around it ignored).
    public static func from(keyText: String, source: String) -> ReportSealing {
        let text = keyText.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count == 64, let bytes = hexBytes(text) { return .key(SymmetricKey(data: bytes)) }
        if let data = Data(base64Encoded: text), data.count == 32 { return .key(SymmetricKey(data: data)) }
        return .invalid("\(source) is not a 256-bit key: give 64 hex digits or the base64 of 32 bytes")
    }

    /// The sealing from `--report-key-file` (its contents), else `SOCAGENT_REPORT_KEY`, else none.
    public static func resolve(keyFile: String?, environment: [String: String]) -> ReportSealing {
        if let keyFile {
            guard let text = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
                return .invalid("cannot read the report key file \(keyFile)")
            }
            return from(keyText: text, source: "the report key file \(keyFile)")
        }
        if let text = environment["SOCAGENT_REPORT_KEY"], !text.isEmpty {
            return from(keyText: text, source: "SOCAGENT_REPORT_KEY")
        }
        return .none
    }

    /// Whether `data` is a sealed report.
    public static func isSealed(_ data: Data) -> Bool { data.starts(with: magic) }

    /// The bytes to write for a report's JSON.
    func seal(_ json: Data) throws -> Data {
        switch self {
        case .none: return json
        case .invalid(let reason): throw ReportStore.Failure(description: reason)
        case .key(let key):
            let header = Self.header
            let box = try AES.GCM.seal(json, using: key, nonce: AES.GCM.Nonce(), authenticating: header)
            return Data(header) + Data(box.nonce) + box.ciphertext + box.tag
        }
    }

    /// A report's JSON from the bytes read at `path`: plain JSON as it is, a sealed file opened with the key.
    func open(_ data: Data, path: String) throws -> Data {
        guard Self.isSealed(data) else { return data }
        let key: SymmetricKey
        switch self {
        case .none:
            throw ReportStore.Failure(
                description: "\(path) is encrypted; set SOCAGENT_REPORT_KEY or give --report-key-file to read it"
            )
        case .invalid(let reason): throw ReportStore.Failure(description: reason)
        case .key(let value): key = value
        }
        let header = Self.header
        guard data.count >= header.count + 12 + 16, Array(data.prefix(header.count)) == header else {
            throw ReportStore.Failure(
                description: "\(path) is an encrypted report of an unknown version or algorithm, or is cut short"
            )
        }
        do {
            let body = data.dropFirst(header.count)
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: body.prefix(12)),
                ciphertext: body.dropFirst(12).dropLast(16),
                tag: body.suffix(16)
            )
            return try AES.GCM.open(box, using: key, authenticating: header)
        } catch {
            throw ReportStore.Failure(
                description:
                    "cannot decrypt \(path): the key is not the one it was written with, or the file was altered"
            )
        }
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = hexValue(high), let l = hexValue(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
