import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCReports
import SOCStore

/// The analyst over HTTP: Lucene search, the investigation queries, an alert analysed into a report, and log
/// uploads ingested into the store.
struct InvestigationRoutes {
    let analyst: SOCAnalyst?

    /// The largest log upload accepted (413 beyond); it is streamed to a private temporary file, never held whole.
    static let maximumUploadBytes = 1 << 30

    func register(on router: Router<APIRequestContext>) {
        let api = router.group("api/v1")
        api.get("search") { request, context in
            _ = try context.require(.viewer)
            return try await search(request)
        }
        api.get("queries/:kind") { request, context in
            _ = try context.require(.viewer)
            return try await query(try context.parameters.require("kind"), request)
        }
        api.post("analyze") { request, context in
            _ = try context.require(.analyst)
            return try await analyze(request, context: context)
        }
        api.post("ingest") { request, context in
            _ = try context.require(.analyst)
            return try await ingest(request)
        }
    }

    private func available() throws -> SOCAnalyst {
        guard let analyst else { throw HTTPError(.serviceUnavailable, message: "this server has no event store") }
        return analyst
    }

    /// `since`, `until`, `host`, `user`, `source_ip`, `limit` (1–1000, default 100): the window is the whole store
    /// unless given.
    static func filter(_ parameters: Parameters) throws -> EventFilter {
        func time(_ name: String) throws -> Timestamp? {
            guard let text = parameters[Substring(name)].map(String.init) else { return nil }
            guard text.count <= 64, let time = TimestampParser.parse(text) else {
                throw HTTPError(.badRequest, message: "\(name) must be an ISO 8601 time (2024-02-04T10:15:23Z)")
            }
            return time
        }
        let since = try time("since")
        let until = try time("until")
        var matcher: IPMatcher?
        if let address = parameters["source_ip"].map(String.init) {
            guard address.count <= 64, let parsed = IPMatcher(address) else {
                throw HTTPError(.badRequest, message: "source_ip must be an address or a CIDR block")
            }
            matcher = parsed
        }
        for name: Substring in ["host", "user"] where (parameters[name]?.count ?? 0) > 255 {
            throw HTTPError(.badRequest, message: "\(name) is at most 255 characters")
        }
        return EventFilter(
            timeRange: since == nil && until == nil ? nil : TimeRange(start: since, end: until),
            sourceIP: matcher,
            user: parameters["user"].map(String.init),
            host: parameters["host"].map(String.init),
            limit: try APIRoutes.integer(parameters["limit"], name: "limit", default: 100, range: 1...1_000)
        )
    }

    typealias Parameters = FlatDictionary<Substring, Substring>

    func search(_ request: Request) async throws -> Response {
        let analyst = try available()
        let parameters = request.uri.queryParameters
        guard let text = parameters["q"].map(String.init), !text.isEmpty, text.utf8.count <= 10_000 else {
            throw HTTPError(.badRequest, message: "q must be a Lucene query of at most 10,000 bytes")
        }
        let query: LuceneQuery
        do {
            query = try LuceneParser.parse(text)
        } catch {
            throw HTTPError(.badRequest, message: "invalid query at column \(error.column): \(error)")
        }
        let result = try await analyst.store.search(
            query,
            filter: try Self.filter(parameters),
            now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        )
        return APIRoutes.json(text: result.jsonText)
    }

    func query(_ kind: String, _ request: Request) async throws -> Response {
        let analyst = try available()
        let parameters = request.uri.queryParameters
        let filter = try Self.filter(parameters)
        let encoder = APIRoutes.encoder
        let body: Data
        switch kind {
        case "failed-logins": body = try encoder.encode(try await analyst.failedLogins(filter))
        case "processes": body = try encoder.encode(try await analyst.suspiciousProcesses(filter))
        case "connections":
            let includePrivate: Bool
            switch parameters["include_private"] {
            case nil, "false": includePrivate = false
            case "true": includePrivate = true
            default: throw HTTPError(.badRequest, message: "include_private must be true or false")
            }
            body = try encoder.encode(try await analyst.networkConnections(filter, includePrivate: includePrivate))
        case "brute-force":
            let minimum = try APIRoutes.integer(
                parameters["min_failures"],
                name: "min_failures",
                default: 5,
                range: 1...1_000_000
            )
            body = try encoder.encode(try await analyst.bruteForce(filter, minimumFailures: minimum))
        default:
            throw HTTPError(
                .notFound,
                message: "no query \(kind.prefix(40)); failed-logins, processes, connections or brute-force"
            )
        }
        return APIRoutes.json(text: String(decoding: body, as: UTF8.self))
    }

    func analyze(_ request: Request, context: APIRequestContext) async throws -> Response {
        let analyst = try available()
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw HTTPError(.badRequest, message: "the body is empty: post the alert's text or JSON")
        }
        let report = await analyst.analyze(text)
        let saved: IncidentReport
        do {
            saved = try analyst.save(report).report
        } catch {
            throw HTTPError(.internalServerError, message: "the report could not be written: \(error)")
        }
        return APIRoutes.json(text: try JSONReportRenderer.render(saved))
    }

    /// `POST /ingest?name=FILE&format=NAME`: the body (a log file, `.gz` by its name or its bytes) is streamed to a
    /// private temporary file, ingested as `socagent ingest` would, and deleted; the answer is the ingest report with
    /// its per-line errors, naming the upload by `name`.
    func ingest(_ request: Request) async throws -> Response {
        let analyst = try available()
        let parameters = request.uri.queryParameters
        let name = Self.uploadName(parameters["name"].map(String.init))
        var format: LogFormat?
        if let formatName = parameters["format"].map(String.init) {
            guard let named = LogFormat.named(formatName) else {
                let known = LogFormat.all.map(\.name).joined(separator: ", ")
                throw HTTPError(.badRequest, message: "format must be one of \(known)")
            }
            format = named
        }
        var template = Array((FileManager.default.temporaryDirectory.path + "/socagent-upload-XXXXXX").utf8CString)
        guard let directory = mkdtemp(&template).map({ String(cString: $0) }) else {
            throw HTTPError(.internalServerError, message: "no temporary folder for the upload")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw HTTPError(.internalServerError, message: "the upload could not be written")
        }
        var received = 0
        do {
            defer { try? handle.close() }
            for try await buffer in request.body {
                received += buffer.readableBytes
                guard received <= Self.maximumUploadBytes else {
                    throw HTTPError(
                        .contentTooLarge,
                        message: "uploads are at most \(Self.maximumUploadBytes >> 20) MiB"
                    )
                }
                try handle.write(contentsOf: buffer.readableBytesView)
            }
        }
        guard received > 0 else { throw HTTPError(.badRequest, message: "the body is empty: post a log file") }
        var report: IngestReport
        do {
            report = try await analyst.ingest([path], format: format)
        } catch {
            throw HTTPError(
                .unprocessableContent,
                message: "\(error)".replacingOccurrences(of: directory + "/", with: "")
            )
        }
        for index in report.files.indices { report.files[index].path = name }
        return APIRoutes.json(text: String(decoding: try APIRoutes.encoder.encode(report), as: UTF8.self))
    }

    /// The upload's file name: the last component of `name`, letters, digits, `.`, `-`, `_` only (so it can never
    /// name another place), at most 100 characters; `upload.log` when nothing is left.
    static func uploadName(_ name: String?) -> String {
        let last = (name ?? "").split(separator: "/").last.map(String.init) ?? ""
        let kept = String(
            last.unicodeScalars.filter {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0))
            }
            .prefix(100)
            .map(Character.init)
        )
        return kept.isEmpty || kept.allSatisfy({ $0 == "." }) ? "upload.log" : kept
    }
}
