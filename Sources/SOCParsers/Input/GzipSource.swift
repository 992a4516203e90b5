import CZlib

/// Decompresses a gzip (or zlib) stream read from another source, including concatenated gzip members.
///
/// Bytes after the last member that do not start another one (zero padding from tape or block devices, garbage)
/// end the stream as `gzip -d` does: what decompressed is kept and ``trailingBytes`` says how much was ignored.
///
/// Output is bounded by ``maximumRatio``: a stream that decompresses to more than that many times the compressed
/// bytes it consumed (past the first ``ratioFloorBytes``) stops with an ``InputError`` after what it gave so far,
/// so a 20 KB decompression bomb cannot become millions of events.
public struct GzipSource<Base: ByteSource>: ByteSource {
    var base: Base
    private let name: String
    private let state: InflateState
    private var inputEnd = false
    /// The largest ratio of decompressed to compressed bytes accepted; `nil` for no limit.
    public let maximumRatio: Int?
    /// The decompressed bytes always allowed, whatever the ratio (a small file of very repetitive lines).
    public static var ratioFloorBytes: Int { 1 << 20 }

    /// Wraps `base`, which yields compressed bytes.
    /// - Parameters:
    ///   - name: The path, used in error messages.
    ///   - maximumRatio: The decompression ratio at which reading stops with an error; `nil` for no limit.
    public init(
        _ base: Base,
        name: String,
        maximumRatio: Int? = InputSource.defaultMaximumDecompressionRatio
    ) throws(InputError) {
        self.base = base
        self.name = name
        self.maximumRatio = maximumRatio.map { max(1, $0) }
        guard let state = InflateState() else { throw InputError("cannot start gzip decompression for \(name)") }
        self.state = state
    }

    /// How many bytes after the end of the last gzip member were ignored (0 when there were none).
    public var trailingBytes: Int { state.trailingBytes }
    /// Whether the ignored trailing bytes were all zeros (padding).
    public var trailingBytesAreZeros: Bool { state.trailerIsZeros }

    /// Decompresses the next chunk. A stream cut short, or one past the ratio limit, gives what it decompressed
    /// before, then the error.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        if let failure = state.failure { throw failure }
        guard let output = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0, !state.ended
        else { return 0 }
        state.stream.next_out = output
        state.stream.avail_out = UInt32(clamping: buffer.count)
        let capacity = Int(state.stream.avail_out)
        while state.stream.avail_out > 0 {
            if state.stream.avail_in == 0 {
                if inputEnd { break }
                guard try refill(keeping: 0) else {
                    if !state.finishedMember {
                        state.failure = InputError("\(name): the gzip stream ends early (truncated file)")
                    }
                    break
                }
            }
            if state.awaitingMember {
                // Another member must start with the gzip magic; anything else is a trailer.
                if state.stream.avail_in < 2, !inputEnd { _ = try refill(keeping: Int(state.stream.avail_in)) }
                guard state.stream.avail_in >= 2, let next = state.stream.next_in, next[0] == 0x1F, next[1] == 0x8B
                else {
                    try skipTrailer()
                    break
                }
                inflateReset(&state.stream)
                state.awaitingMember = false
            }
            let result = inflate(&state.stream, Z_NO_FLUSH)
            if result == Z_STREAM_END {
                state.finishedMember = true
                state.awaitingMember = true
                continue
            }
            guard result == Z_OK || result == Z_BUF_ERROR else {
                let message = state.stream.msg.map { String(cString: $0) } ?? "error \(result)"
                throw InputError("\(name): corrupt gzip data (\(message))")
            }
            if result == Z_OK { state.finishedMember = false }
            if result == Z_BUF_ERROR && state.stream.avail_in > 0 { break }
        }
        let produced = capacity - Int(state.stream.avail_out)
        state.decompressedBytes += produced
        if let maximumRatio, state.decompressedBytes > Self.ratioFloorBytes {
            let consumed = max(1, state.compressedBytes - Int(state.stream.avail_in))
            if state.decompressedBytes / consumed > maximumRatio {
                state.ended = true
                state.failure = InputError(
                    "\(name): stopped after \(state.decompressedBytes >> 20) MiB from \(consumed >> 10) KiB of gzip "
                        + "data: more than \(maximumRatio) times its compressed size, which real logs never are "
                        + "(a decompression bomb?); raise the limit (socagent ingest --max-decompression-ratio) "
                        + "to read it"
                )
            }
        }
        if produced == 0, let failure = state.failure { throw failure }
        return produced
    }

    /// Reads more compressed bytes after the `keeping` unconsumed ones; `false` at the end of the input.
    private mutating func refill(keeping: Int) throws(InputError) -> Bool {
        if keeping > 0, let next = state.stream.next_in, let start = state.input.baseAddress {
            UnsafeMutableRawPointer(start).copyMemory(from: next, byteCount: keeping)
        }
        let count = try base.read(into: UnsafeMutableRawBufferPointer(rebasing: state.input[keeping...]))
        state.stream.next_in = state.input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        state.stream.avail_in = UInt32(keeping + count)
        state.compressedBytes += count
        if count == 0 { inputEnd = true }
        return count > 0
    }

    /// Counts (and drops) everything left: the bytes after the last member.
    private mutating func skipTrailer() throws(InputError) {
        while state.stream.avail_in > 0 {
            if let next = state.stream.next_in {
                for index in 0..<Int(state.stream.avail_in) where next[index] != 0 { state.trailerIsZeros = false }
            }
            state.trailingBytes += Int(state.stream.avail_in)
            state.stream.avail_in = 0
            if inputEnd { break }
            guard try refill(keeping: 0) else { break }
        }
        state.ended = true
    }
}

/// The zlib stream, in a class so its address stays fixed while zlib holds pointers into it.
private final class InflateState {
    var stream = z_stream()
    var finishedMember = true
    /// A member ended: the next bytes must be another member's header, or they are a trailer.
    var awaitingMember = false
    /// The stream is over (after a trailer or past the ratio limit): reads give nothing more.
    var ended = false
    /// What the next read throws, once the bytes decompressed before it have been returned.
    var failure: InputError?
    var compressedBytes = 0
    var decompressedBytes = 0
    var trailingBytes = 0
    var trailerIsZeros = true
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
