#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The byte source of one input: a file or standard input, decompressed when it is gzip.
///
/// Gzip is recognized by its magic bytes, not the file name, so `.gz` files with other names and standard input
/// both work.
public enum InputSource: ByteSource {
    /// Uncompressed bytes.
    case plain(PrefixedSource<FileDescriptorSource>)
    /// Gzip-compressed bytes, decompressed while read.
    case gzip(GzipSource<PrefixedSource<FileDescriptorSource>>)
    /// Bytes in memory.
    case memory(MemorySource)

    /// The default limit on how many times its compressed size a gzip input may decompress to: real logs compress
    /// 10–60 times (JSON event logs the most), a decompression bomb about 1,000 times.
    public static let defaultMaximumDecompressionRatio = 100

    /// Opens a file, or standard input when `path` is `-`.
    /// - Parameters:
    ///   - path: The file, or `-`.
    ///   - maximumDecompressionRatio: For gzip input, the ratio at which reading stops with an error (see
    ///     ``GzipSource``); `nil` for no limit.
    /// - Throws: ``InputError`` when the file cannot be opened or read.
    public static func open(
        path: String,
        maximumDecompressionRatio: Int? = defaultMaximumDecompressionRatio
    ) throws(InputError) -> InputSource {
        var descriptorSource: FileDescriptorSource
        if path == "-" {
            descriptorSource = FileDescriptorSource(descriptor: 0, name: "standard input")
        } else {
            descriptorSource = try FileDescriptorSource(path: path)
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 2, alignment: 1)
        defer { scratch.deallocate() }
        var filled = 0
        while filled < 2 {
            let count = try descriptorSource.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[filled...]))
            if count == 0 { break }
            filled += count
        }
        let magic = Array(scratch[0..<filled])
        let prefixed = PrefixedSource(prefix: Array(magic[0..<filled]), base: descriptorSource)
        if filled == 2 && magic[0] == 0x1F && magic[1] == 0x8B {
            return .gzip(
                try GzipSource(
                    prefixed,
                    name: path == "-" ? "standard input" : path,
                    maximumRatio: maximumDecompressionRatio
                )
            )
        }
        return .plain(prefixed)
    }

    /// What was ignored at the end of a gzip input (zero padding or other bytes after the last member), for a
    /// warning; `nil` when nothing was.
    public var ignoredTrailer: String? {
        guard case .gzip(let source) = self, source.trailingBytes > 0 else { return nil }
        let bytes = source.trailingBytes == 1 ? "1 byte" : "\(source.trailingBytes) bytes"
        let what = source.trailingBytesAreZeros ? "zero padding" : "not gzip data"
        return "\(bytes) after the end of the gzip data ignored (\(what)); everything before them was read"
    }

    /// Whether the input is gzip-compressed.
    public var isCompressed: Bool {
        if case .gzip = self { return true }
        return false
    }

    /// Reads the next chunk.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        switch self {
        case .plain(var source):
            defer { self = .plain(source) }
            return try source.read(into: buffer)
        case .gzip(var source):
            defer { self = .gzip(source) }
            return try source.read(into: buffer)
        case .memory(var source):
            defer { self = .memory(source) }
            return try source.read(into: buffer)
        }
    }

    /// Closes the file (standard input stays open).
    public func close() {
        switch self {
        case .plain(let source): source.closeBase()
        case .gzip(let source): source.closeBase()
        case .memory: break
        }
    }
}

/// Serves some bytes already read, then the rest of another source.
public struct PrefixedSource<Base: ByteSource>: ByteSource {
    private var prefix: [UInt8]
    var base: Base

    /// Creates a source that yields `prefix` first.
    public init(prefix: [UInt8], base: Base) {
        self.prefix = prefix
        self.base = base
    }

    /// Reads the prefix, then the base.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if !prefix.isEmpty {
            let count = min(prefix.count, buffer.count)
            prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            prefix.removeFirst(count)
            return count
        }
        return try base.read(into: buffer)
    }
}

extension PrefixedSource where Base == FileDescriptorSource {
    func closeBase() {
        if base.descriptor > 2 { base.close() }
    }
}

extension GzipSource where Base == PrefixedSource<FileDescriptorSource> {
    func closeBase() { base.closeBase() }
}
