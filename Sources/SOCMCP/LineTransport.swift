public import Foundation
public import Logging
public import MCP
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// MCP's stdio transport with the bounds a server facing untrusted clients needs: one JSON-RPC message a line, at
/// most ``SOCMCPServer/maximumMessageBytes`` each.
///
/// A line that is not JSON is answered with a parse error (-32700), a line too long with an invalid-request error
/// (-32600), both with a null id as JSON-RPC says, and the server keeps reading. Standard input is read on a thread of
/// its own with blocking reads, so the cooperative pool is never held; standard output carries protocol messages only.
public actor LineTransport: Transport {
    public nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let maximumBytes: Int
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false
    private let pending: PendingRequests

    /// - Parameters:
    ///   - input: The descriptor read (standard input).
    ///   - output: The descriptor written (standard output).
    ///   - maximumBytes: The longest line accepted.
    public init(
        input: Int32 = 0,
        output: Int32 = 1,
        maximumBytes: Int = SOCMCPServer.maximumMessageBytes,
        logger: Logger
    ) {
        self.input = input
        self.output = output
        self.maximumBytes = maximumBytes
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
        pending = PendingRequests(finish: { [continuation] in continuation.finish() })
    }

    public func connect() async throws {
        guard !connected else { return }
        connected = true
        let reader = LineReader(
            descriptor: input,
            maximumBytes: maximumBytes,
            deliver: { [continuation, pending] line, requests in
                pending.add(requests)
                continuation.yield(line)
            },
            refuse: { [weak self, pending] error in
                // Counted like a request, so input ending right after it still waits for the refusal to be written.
                pending.add(1)
                Task {
                    try? await self?.send(error)
                    pending.answered(1)
                }
            },
            finish: { [pending] in pending.endInput() }
        )
        let thread = Thread { reader.run() }
        thread.name = "socagent-mcp-stdin"
        thread.start()
    }

    public func disconnect() async {
        connected = false
        continuation.finish()
    }

    public func send(_ message: Data) async throws {
        var bytes = [UInt8](message)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw MCPError.connectionClosed
            }
            offset += written
        }
        pending.answered(PendingRequests.responses(in: message))
    }

    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}

/// Splits a descriptor into lines, checks each is JSON, and hands on the good ones.
private struct LineReader: Sendable {
    let descriptor: Int32
    let maximumBytes: Int
    /// A message, and how many requests (that await a response) it holds.
    let deliver: @Sendable (Data, Int) -> Void
    let refuse: @Sendable (Data) -> Void
    let finish: @Sendable () -> Void

    func run() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var line: [UInt8] = []
        var discarding = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            var start = 0
            for index in 0..<count where buffer[index] == UInt8(ascii: "\n") {
                if !discarding { line.append(contentsOf: buffer[start..<index]) }
                if discarding {
                    refuse(Self.error(-32600, "the message is larger than \(maximumBytes) bytes"))
                } else {
                    handle(line)
                }
                line.removeAll(keepingCapacity: true)
                discarding = false
                start = index + 1
            }
            if !discarding { line.append(contentsOf: buffer[start..<count]) }
            if line.count > maximumBytes {
                discarding = true
                line = []
            }
        }
        if discarding { refuse(Self.error(-32600, "the message is larger than \(maximumBytes) bytes")) }
        finish()
    }

    private func handle(_ line: [UInt8]) {
        let trimmed = line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : line
        guard trimmed.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        let data = Data(trimmed)
        guard let message = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return refuse(Self.error(-32700, "parse error: the message is not JSON"))
        }
        if let object = message as? [String: Any] {
            let isMessage =
                object["method"] is String
                || (object["id"] != nil && (object["result"] != nil || object["error"] != nil))
            guard isMessage, object["jsonrpc"] as? String == "2.0" else {
                return refuse(Self.error(-32600, "not a JSON-RPC 2.0 request, notification or response"))
            }
        } else if !(message is [Any]) {
            return refuse(Self.error(-32600, "a JSON-RPC message is an object or a batch array"))
        }
        let items = (message as? [Any]) ?? [message]
        let requests = items.count {
            guard let item = $0 as? [String: Any] else { return false }
            return item["method"] is String && item["id"] != nil
        }
        deliver(data, message is [Any] ? min(requests, 1) : requests)
    }

    /// A JSON-RPC error with a null id (the request's id could not be read).
    static func error(_ code: Int, _ message: String) -> Data {
        Data(#"{"jsonrpc":"2.0","id":null,"error":{"code":\#(code),"message":"\#(message)"}}"#.utf8)
    }
}

/// Requests read but not yet answered: when input ends, the stream of messages ends only once they are, so a client
/// that writes its requests and closes its end still gets every answer.
private final class PendingRequests: Sendable {
    private let state = Mutex<(count: Int, ended: Bool, finished: Bool)>((0, false, false))
    private let finish: @Sendable () -> Void

    init(finish: @escaping @Sendable () -> Void) { self.finish = finish }

    func add(_ requests: Int) {
        state.withLock { $0.count += requests }
    }

    func answered(_ responses: Int) {
        guard responses > 0 else { return }
        update { $0.count = max(0, $0.count - responses) }
    }

    func endInput() {
        update { $0.ended = true }
    }

    private func update(_ change: (inout (count: Int, ended: Bool, finished: Bool)) -> Void) {
        let done = state.withLock { state in
            change(&state)
            guard state.ended, state.count == 0, !state.finished else { return false }
            state.finished = true
            return true
        }
        if done { finish() }
    }

    /// How many responses an outgoing message carries (a batch's answers count as one, as its request did).
    static func responses(in message: Data) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: message) else { return 0 }
        if object is [Any] { return 1 }
        guard let response = object as? [String: Any], response["method"] == nil else { return 0 }
        // Refusals of unreadable lines (null id) answer nothing that was counted.
        return response["id"] is NSNull || response["id"] == nil ? 0 : 1
    }
}
