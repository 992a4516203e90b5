import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SOCReports
import SOCServer
import SOCStoreSQLite
import Testing

/// The OpenAPI document the server serves and the routes it registers name the same operations, so neither drifts.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentAndTheRoutesAgree() throws {
        let store = try SQLiteEventStore(path: ":memory:")
        // Without `mcp` set, as here, /mcp is not mounted: it speaks MCP's JSON-RPC, not an operation of this API.
        let server = APIServer(
            triage: nil,
            ledger: store,
            reports: ReportStore(directory: FileManager.default.temporaryDirectory.path),
            tokens: store,
            options: APIServer.Options(),
            logger: Logger(label: "test")
        )
        // The API's routes (the board's pages under /board are HTML, not part of the API).
        let routes = Set(
            server.router().routes.filter { $0.path.description.hasPrefix("/api/") }.map { route in
                let path = route.path.description.split(separator: "/").map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }
                return "\(route.method.rawValue) /" + path.joined(separator: "/")
            }
        )
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(try OpenAPIDocument.bytes())) as? [String: Any]
        )
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "patch", "delete"]
        let documented = Set(
            paths.flatMap { path, item in
                item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            }
        )
        #expect(routes == documented)
        #expect(routes.count >= 7)
        // Every operation but the health check requires the bearer token.
        for (path, item) in paths {
            for (method, operation) in item where methods.contains(method) {
                let security = (operation as? [String: Any])?["security"] as? [Any]
                #expect((security?.isEmpty == true) == (path == "/api/v1/health"), "\(method) \(path)")
            }
        }
    }
}
