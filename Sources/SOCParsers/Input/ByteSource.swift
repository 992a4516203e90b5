#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something bytes are read from in chunks: a file, standard input, a decompressor or memory.
public protocol ByteSource {
    /// Fills up to `buffer.count` bytes and returns how many were read; 0 means the end of the input.
    /// - Throws: ``InputError`` when the underlying read fails.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int
}

/// An error reading input: a missing file, a permission problem, a corrupt compressed stream.
public struct InputError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for people, naming the path but never file content.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Reads a file descriptor with `read(2)`. Closes it when ``close()`` is called.
public struct FileDescriptorSource: ByteSource {
    /// The descriptor read from.
    public let descriptor: Int32
    private let path: String

    /// Opens `path` for reading.
    /// - Throws: ``InputError`` naming the path and the system's reason.
    public init(path: String) throws(InputError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InputError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.path = path
    }

    /// Reads an already open descriptor, such as 0 for standard input.
    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.path = name
    }

    /// Reads the next chunk.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InputError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Closes the descriptor.
    public func close() { _ = Glibc.close(descriptor) }
}

/// Serves bytes held in memory, for tests and small inputs.
public struct MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0

    /// Creates a source over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Creates a source over the UTF-8 of `text`.
    public init(_ text: String) { self.bytes = Array(text.utf8) }

    /// Copies the next chunk.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<position + count]))
        }
        position += count
        return count
    }
}
