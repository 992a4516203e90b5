import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCReports
import SOCStore
import SOCThreatIntel
import SOCTriage

/// The `/api/v1` routes: incidents (list, one with its report, change), alert intake, health, metrics and the
/// OpenAPI document that describes them.
struct APIRoutes {
    let ledger: any TriageLedger
    let reports: ReportStore
    let metrics: ServerMetrics
    /// The threat intelligence whose quotas the metrics report (nil: none).
    let intelligence: ThreatIntelService?
    let worker: TriageWorker?
    let referenceTime: @Sendable () async -> Timestamp

    func register(on router: Router<APIRequestContext>) {
        let api = router.group("api/v1")
        api.get("health") { _, _ in Self.json(["status": "ok"]) }
        api.get("openapi.json") { _, context in
            _ = try context.require(.viewer)
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: try OpenAPIDocument.bytes()))
            )
        }
        api.get("metrics") { _, context in
            _ = try context.require(.viewer)
            return try await metricsText()
        }
        api.get("incidents") { request, context in
            _ = try context.require(.viewer)
            return try await listIncidents(request)
        }
        api.get("incidents/:id") { _, context in
            _ = try context.require(.viewer)
            return try await incident(id: try context.parameters.require("id"))
        }
        api.patch("incidents/:id") { request, context in
            let holder = try context.require(.analyst)
            return try await change(id: try context.parameters.require("id"), request, context: context, by: holder)
        }
        api.post("alerts") { request, context in
            _ = try context.require(.analyst)
            return try await receiveAlerts(request, context: context)
        }
    }

    // MARK: Handlers

    func listIncidents(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = IncidentQuery()
        if let severity = parameters["severity"].map(String.init) {
            guard let value = Severity(rawValue: severity.uppercased()) else {
                throw HTTPError(.badRequest, message: "severity must be LOW, MEDIUM, HIGH or CRITICAL")
            }
            query.minimumSeverity = value
        }
        if let status = parameters["status"].map(String.init) {
            guard let value = TriageIncident.Status(rawValue: status.lowercased()) else {
                throw HTTPError(.badRequest, message: "status must be open, acknowledged or closed")
            }
            query.status = value
        }
        if let host = parameters["host"].map(String.init) {
            guard host.count <= 255 else { throw HTTPError(.badRequest, message: "host is at most 255 characters") }
            query.host = host
        }
        if let since = parameters["since"].map(String.init) {
            guard since.count <= 64, let time = TimestampParser.parse(since) else {
                throw HTTPError(.badRequest, message: "since must be an ISO 8601 time (2024-02-04T10:15:23Z)")
            }
            query.activeSince = time
        }
        let limit = try Self.integer(parameters["limit"], name: "limit", default: 100, range: 1...1_000)
        let offset = try Self.integer(parameters["offset"], name: "offset", default: 0, range: 0...10_000)
        query.limit = limit + offset
        let incidents = Array(try await ledger.incidents(query).dropFirst(offset))
        let body =
            #"{"count":\#(incidents.count),"limit":\#(limit),"offset":\#(offset),"incidents":"#
            + String(decoding: try Self.encoder.encode(incidents), as: UTF8.self) + "}"
        return Self.json(text: body)
    }

    func incident(id: String) async throws -> Response {
        guard id.utf8.count <= 200, let incident = try await ledger.incident(id: id) else {
            throw HTTPError(.notFound, message: "no such incident")
        }
        var report = "null"
        if let reportID = incident.reportID, let stored = try? reports.read(id: reportID) {
            report = try JSONReportRenderer.render(stored)
        }
        let alerts = try await ledger.alerts(ofIncident: id, limit: 50)
        let body =
            #"{"incident":"# + String(decoding: try Self.encoder.encode(incident), as: UTF8.self)
            + #","alerts":"# + String(decoding: try Self.encoder.encode(alerts), as: UTF8.self)
            + #","report":"# + report + "}"
        return Self.json(text: body)
    }

    /// The body of `PATCH /incidents/{id}`.
    struct IncidentPatch: Decodable {
        var status: String?
        var disposition: String?
        var comment: String?
        var assignee: String?
    }

    func change(
        id: String,
        _ request: Request,
        context: APIRequestContext,
        by holder: AccessToken
    ) async throws
        -> Response
    {
        let patch: IncidentPatch
        do {
            patch = try await request.decode(as: IncidentPatch.self, context: context)
        } catch let error as HTTPError {
            throw error
        } catch {
            throw HTTPError(
                .badRequest,
                message: "the body must be a JSON object with status, disposition, comment, assignee"
            )
        }
        var change = TriageIncident.Change(
            at: await referenceTimeNow(),
            by: holder.name,
            assignee: patch.assignee,
            comment: patch.comment
        )
        if let status = patch.status {
            guard let value = TriageIncident.Status(rawValue: status) else {
                throw HTTPError(.badRequest, message: "status must be open, acknowledged or closed")
            }
            change.status = value
        }
        if let disposition = patch.disposition {
            guard let value = TriageIncident.Disposition(rawValue: disposition) else {
                let known = TriageIncident.Disposition.allCases.map(\.rawValue).joined(separator: ", ")
                throw HTTPError(.badRequest, message: "disposition must be one of \(known)")
            }
            change.disposition = value
        }
        let changed: TriageIncident?
        do {
            changed = try await ledger.change(incident: id, change)
        } catch let error as TriageIncident.ChangeError {
            throw HTTPError(.unprocessableContent, message: error.description)
        }
        guard let changed else { throw HTTPError(.notFound, message: "no such incident") }
        return Self.json(text: String(decoding: try Self.encoder.encode(changed), as: UTF8.self))
    }

    func receiveAlerts(_ request: Request, context: APIRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw HTTPError(.badRequest, message: "the body is empty: post an alert (JSON, JSON lines or text)")
        }
        var batch = AlertFiles.Batch()
        AlertFiles.read(text: text, name: "request", referenceTime: await referenceTime(), into: &batch)
        guard !batch.alerts.isEmpty else {
            throw HTTPError(
                .badRequest,
                message: "no alert could be read: " + batch.problems.prefix(5).joined(separator: "; ")
            )
        }
        let recorded = try await ledger.record(batch.alerts, cursors: [:])
        metrics.received(batch.alerts.count, recorded: recorded)
        worker?.wake()
        let body: [String: Any] = [
            "ids": batch.alerts.map(\.id), "new": recorded, "problems": batch.problems,
        ]
        return Response(
            status: .accepted,
            headers: [.contentType: "application/json"],
            body: .init(
                byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
            )
        )
    }

    func metricsText() async throws -> Response {
        let counts = try await ledger.triageCounts()
        let open = try await ledger.incidents(IncidentQuery(limit: 100_000)).filter { $0.status != .closed }
        let bySeverity =
            Severity.allCases.map { severity in (severity.rawValue, open.filter { $0.severity == severity }.count) }
            + [("unrated", open.filter { $0.severity == nil }.count)]
        let text = metrics.text(
            alerts: counts.alerts,
            incidents: counts.incidents,
            openBySeverity: bySeverity,
            quotas: (try? intelligence?.quotas()) ?? []
        )
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    // MARK: Helpers

    private func referenceTimeNow() async -> Timestamp { Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json(_ object: [String: String]) -> Response {
        json(
            text: String(
                decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
                    ?? Data("{}".utf8),
                as: UTF8.self
            )
        )
    }

    static func json(text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func integer(_ value: Substring?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int
    {
        guard let value else { return fallback }
        guard let number = Int(value), range.contains(number) else {
            throw HTTPError(
                .badRequest,
                message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }
}

/// The OpenAPI document the server serves, kept beside the code (`Resources/openapi.json`); a test checks that it
/// and the routes name the same operations.
public enum OpenAPIDocument {
    public static func bytes() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources")
        else {
            throw HTTPError(.internalServerError, message: "the OpenAPI document is missing from the build")
        }
        return Array(try Data(contentsOf: url))
    }
}
