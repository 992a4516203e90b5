public import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request a stand-in received.
public struct RecordedRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The path, without the query.
    public var path: String
    /// The query parameters, decoded; a flag without a value maps to "".
    public var query: [String: String]
    /// The headers, names lower-cased.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// The header `name` (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// What a stand-in answers.
public struct StandInResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// How long to wait before answering (to provoke client timeouts).
    public var delay: Duration

    public init(status: Int = 200, headers: [String: String] = [:], body: String = "", delay: Duration = .zero) {
        self.status = status
        self.headers = headers
        self.body = Array(body.utf8)
        self.delay = delay
    }

    /// A JSON answer.
    public static func json(_ body: String, status: Int = 200, headers: [String: String] = [:]) -> StandInResponse {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return StandInResponse(status: status, headers: headers, body: body)
    }
}

/// A loopback HTTP server (Hummingbird on 127.0.0.1, an ephemeral port) that answers with a test's handler and
/// records every request, so tests can check what a client sends.
public final class StandInServer: Sendable {
    /// `http://127.0.0.1:PORT`.
    public let baseURL: String
    private let recorder: Recorder
    private let task: Task<Void, any Error>

    private actor Recorder {
        var requests: [RecordedRequest] = []
        func record(_ request: RecordedRequest) { requests.append(request) }
    }

    private init(baseURL: String, recorder: Recorder, task: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.recorder = recorder
        self.task = task
    }

    /// Every request received so far, in order.
    public var requests: [RecordedRequest] { get async { await recorder.requests } }

    /// Starts a server that answers every request with `handler`.
    /// - Parameter tls: PEM files of a certificate and its key: the server speaks HTTPS with them.
    public static func start(
        tls: (certificate: String, key: String)? = nil,
        _ handler: @escaping @Sendable (RecordedRequest) async -> StandInResponse
    ) async throws -> StandInServer {
        let recorder = Recorder()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var query: [String: String] = [:]
            for item in URLComponents(string: "http://x\(request.uri.description)")?.queryItems ?? [] {
                query[item.name] = item.value ?? ""
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let body = try await request.body.collect(upTo: 64 << 20)
            let recorded = RecordedRequest(
                method: request.method.rawValue,
                path: request.uri.path,
                query: query,
                headers: headers,
                body: Array(buffer: body)
            )
            await recorder.record(recorded)
            let answer = await handler(recorded)
            if answer.delay > .zero { try? await Task.sleep(for: answer.delay) }
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
            }
            return Response(
                status: .init(code: answer.status),
                headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
            )
        }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var server = HTTPServerBuilder.http1()
        if let tls {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))
            )
            server = try .tls(.http1(), tlsConfiguration: configuration)
        }
        let application = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "stand-in", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let task = Task { try await application.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await value in portStream {
            port = value
            break
        }
        return StandInServer(
            baseURL: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)",
            recorder: recorder,
            task: task
        )
    }

    /// Stops the server.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// A base URL where nothing listens: a server is started and stopped, so its port is closed.
    public static func closedPortURL() async throws -> String {
        let server = try await start { _ in StandInResponse() }
        await server.stop()
        return server.baseURL
    }
}

/// The shared folder beside the repository (`../shared`), or the one `SOCAGENT_TEST_DATA` points into.
public enum SharedFiles {
    /// `…/shared/data`, if present.
    public static let data: String? = {
        if let path = ProcessInfo.processInfo.environment["SOCAGENT_TEST_DATA"], !path.isEmpty { return path }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidate = repository.deletingLastPathComponent().appendingPathComponent("shared/data").path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }()

    /// `…/shared/reference`, if present.
    public static let reference: String? = {
        guard let data else { return nil }
        let candidate = URL(fileURLWithPath: data).deletingLastPathComponent().appendingPathComponent("reference").path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }()

    /// The fenced ```json blocks of a reference note, in order (the recorded examples the stand-ins answer with).
    public static func jsonExamples(in note: String) throws -> [String] {
        guard let reference else { throw CocoaError(.fileNoSuchFile) }
        let text = try String(contentsOfFile: reference + "/" + note, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```json") {
                current = []
            } else if current != nil, line.hasPrefix("```") {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }
}

/// The OpenSearch-compatible server `.ci/run` starts (osmem-server, `SOCAGENT_ES_URL`), and fresh clusters from it.
public enum TestCluster {
    /// The base server's URL, if one is running.
    public static let url: String? = ProcessInfo.processInfo.environment["SOCAGENT_ES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// A new, empty cluster of its own (an osmem copy-on-write clone of the base on another port), so tests do not
    /// see each other's indices. Remove it with ``remove(_:)``.
    public static func fresh() async throws -> (id: String, url: String) {
        guard let url, let endpoint = URL(string: url + "/_osmem/clones") else { throw CocoaError(.fileNoSuchFile) }
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        let (data, _) = try await URLSession.shared.data(for: request)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let id = object?["id"] as? String, let cloneURL = object?["url"] as? String else {
            throw CocoaError(.coderReadCorrupt)
        }
        return (id, cloneURL)
    }

    /// Removes a cluster made by ``fresh()``.
    public static func remove(_ id: String) async {
        guard let url, let endpoint = URL(string: url + "/_osmem/clones/" + id) else { return }
        var request = URLRequest(url: endpoint)
        request.httpMethod = "DELETE"
        _ = try? await URLSession.shared.data(for: request)
    }
}
