import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import MCP
import NIOCore
public import SOCMCP
import SOCStore

/// MCP's Streamable HTTP transport at `/mcp`, behind the API's tokens: `POST` carries JSON-RPC messages (answered as
/// an SSE stream, as the MCP SDK's stateful transport does), `GET` opens the server-to-client stream, `DELETE` ends a
/// session. A session (`Mcp-Session-Id`) starts with `initialize`, belongs to the token that started it, and ends
/// after ``idleLimit`` without a request; at most ``maximumSessions`` run at once. Using it needs the analyst role
/// (`triage_alert` writes reports).
public actor MCPEndpoint {
    /// Sessions open at once; an `initialize` beyond is refused with 503.
    public static let maximumSessions = 64
    /// A session unused this long is closed.
    public static let idleLimit: Duration = .seconds(3600)

    struct Session {
        let transport: StatefulHTTPServerTransport
        let server: Server
        let owner: String
        var lastUsed: ContinuousClock.Instant
    }

    let service: SOCMCPServer
    let logger: Logger
    var sessions: [String: Session] = [:]

    /// - Parameter service: The MCP server each session runs.
    public init(service: SOCMCPServer, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    /// Mounts `/mcp` on the router (behind its token middleware).
    public nonisolated func register(on router: Router<APIRequestContext>) {
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("mcp", method: method) { request, context in
                let holder = try context.require(.analyst)
                return try await self.respond(request, context: context, owner: holder.digest)
            }
        }
    }

    nonisolated func respond(_ request: Request, context: APIRequestContext, owner: String) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        var body: Data?
        if request.method == .post {
            let buffer = try await request.body.collect(upTo: SOCMCPServer.maximumMessageBytes)
            body = Data(buffer.readableBytesView)
        }
        let answer = await handle(
            MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: body, path: "/mcp"),
            owner: owner
        )
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        let status = HTTPResponse.Status(code: answer.statusCode)
        switch answer {
        case .stream(let stream, _):
            let bytes = stream.map { ByteBuffer(bytes: $0) }
            return Response(status: status, headers: fields, body: ResponseBody(asyncSequence: bytes))
        default:
            return Response(
                status: status,
                headers: fields,
                body: answer.bodyData.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody()
            )
        }
    }

    func handle(_ request: MCP.HTTPRequest, owner: String) async -> MCP.HTTPResponse {
        await closeIdleSessions()
        if let id = request.header(HTTPHeaderName.sessionID) {
            guard var session = sessions[id], session.owner == owner else {
                return .error(statusCode: 404, .invalidRequest("Not Found: no such session"))
            }
            session.lastUsed = .now
            sessions[id] = session
            let response = await session.transport.handleRequest(request)
            if request.method == "DELETE", response.statusCode == 200 { await close(id) }
            return response
        }
        guard request.method == "POST", let body = request.body, Self.isInitialize(body) else {
            return .error(statusCode: 400, .invalidRequest("Bad Request: Missing \(HTTPHeaderName.sessionID) header"))
        }
        guard sessions.count < Self.maximumSessions else {
            return .error(statusCode: 503, .internalError("too many MCP sessions; close one or wait"))
        }
        let id = UUID().uuidString
        let transport = StatefulHTTPServerTransport(
            sessionIDGenerator: FixedSessionID(id: id),
            validationPipeline: StandardValidationPipeline(validators: [
                // The bearer token is the defence against other origins: a page cannot send it.
                AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(),
                SessionValidator(),
            ]),
            logger: logger
        )
        let server = await service.makeServer()
        do {
            try await server.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("the MCP session could not start"))
        }
        sessions[id] = Session(transport: transport, server: server, owner: owner, lastUsed: .now)
        let response = await transport.handleRequest(request)
        if response.statusCode >= 400 { await close(id) }
        return response
    }

    func close(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
    }

    func closeIdleSessions() async {
        let now = ContinuousClock.now
        for (id, session) in sessions where now - session.lastUsed > Self.idleLimit { await close(id) }
    }

    static func isInitialize(_ body: Data) -> Bool {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["method"] as? String == "initialize"
    }
}

/// The id a session was given before its transport was made.
struct FixedSessionID: SessionIDGenerator {
    let id: String
    func generateSessionID() -> String { id }
}
