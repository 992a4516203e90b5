import CZlib

/// Decompresses a gzip (or zlib) stream read from another source, including concatenated gzip members.
public struct GzipSource<Base: ByteSource>: ByteSource {
    var base: Base
    private let name: String
    private let state: InflateState
    private var inputEnd = false
    /// The compressed input ended inside a member: the next read reports it.
    private var truncated = false

    /// Wraps `base`, which yields compressed bytes.
    /// - Parameter name: The path, used in error messages.
    public init(_ base: Base, name: String) throws(InputError) {
        self.base = base
        self.name = name
        guard let state = InflateState() else { throw InputError("cannot start gzip decompression for \(name)") }
        self.state = state
    }

    /// Decompresses the next chunk. A stream cut short gives what it decompressed before the cut, then the error.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if truncated { throw InputError("\(name): the gzip stream ends early (truncated file)") }
        guard let output = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return 0 }
        state.stream.next_out = output
        state.stream.avail_out = UInt32(buffer.count)
        while state.stream.avail_out > 0 {
            if state.stream.avail_in == 0 {
                if inputEnd { break }
                let count = try base.read(into: state.input)
                if count == 0 {
                    inputEnd = true
                    if !state.finishedMember {
                        truncated = true
                        if state.stream.avail_out == UInt32(buffer.count) {
                            throw InputError("\(name): the gzip stream ends early (truncated file)")
                        }
                    }
                    break
                }
                state.stream.next_in = state.input.baseAddress?.assumingMemoryBound(to: UInt8.self)
                state.stream.avail_in = UInt32(count)
            }
            let result = inflate(&state.stream, Z_NO_FLUSH)
            if result == Z_STREAM_END {
                state.finishedMember = true
                // Another gzip member may follow (concatenated .gz files).
                if state.stream.avail_in > 0 || !inputEnd {
                    inflateReset(&state.stream)
                }
                if state.stream.avail_in == 0 && inputEnd { break }
                continue
            }
            guard result == Z_OK || result == Z_BUF_ERROR else {
                let message = state.stream.msg.map { String(cString: $0) } ?? "error \(result)"
                throw InputError("\(name): corrupt gzip data (\(message))")
            }
            if result == Z_OK { state.finishedMember = false }
            if result == Z_BUF_ERROR && state.stream.avail_in > 0 { break }
        }
        return buffer.count - Int(state.stream.avail_out)
    }
}

/// The zlib stream, in a class so its address stays fixed while zlib holds pointers into it.
private final class InflateState {
    var stream = z_stream()
    var finishedMember = true
    /// Compressed bytes waiting for zlib.
    let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    init?() {
        // 15 + 32: a zlib or gzip header, detected automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return nil
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }
}
