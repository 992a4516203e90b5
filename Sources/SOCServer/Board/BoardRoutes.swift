import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCReports
import SOCStore

/// The incident board: server-rendered pages over the same ledger and reports as the API — the queue, an incident
/// with its report and timeline picture and the workflow's actions, event search — behind a sign-in with an API
/// token that sets an HttpOnly, SameSite=Strict session cookie. Every form that changes something carries the
/// session's CSRF token. Pages forbid scripts but the board's own, frames and remote resources.
struct BoardRoutes {
    let ledger: any TriageLedger
    let reports: ReportStore
    let analyst: SOCAnalyst?
    let tokens: any AccessTokenRegistry
    let sessions: BoardSessions
    let limiter: FailureLimiter
    /// Mark the cookie `Secure` (the server speaks HTTPS).
    let secureCookies: Bool
    let logger: Logger

    /// The queue reloads itself this often.
    static let refreshSeconds = 30

    func register(on router: Router<APIRequestContext>) {
        router.get("/") { _, _ in Self.redirect(to: "/board") }
        router.get("board/assets/board.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: BoardPages.script))
            )
        }
        router.get("board/sign-in") { _, _ in Self.page("sign-in", ["title": "Sign in"]) }
        router.post("board/sign-in") { request, context in try await signIn(request, context: context) }
        router.post("board/sign-out") { request, context in try await signOut(request, context: context) }
        router.get("board") { request, context in try await queue(request, context: context) }
        router.get("board/incidents/:id") { _, context in
            try await incidentPage(id: try context.parameters.require("id"), context: context)
        }
        router.post("board/incidents/:id") { request, context in
            try await changeIncident(id: try context.parameters.require("id"), request, context: context)
        }
        router.get("board/search") { request, context in try await search(request, context: context) }
    }

    // MARK: Sign-in

    func signIn(_ request: Request, context: APIRequestContext) async throws -> Response {
        if limiter.isBlocked(context.peer) {
            return Self.page(
                "sign-in",
                ["title": "Sign in", "problem": "Too many failed sign-ins from this address; wait a minute."],
                status: .tooManyRequests
            )
        }
        let form = try await Self.form(request, context: context)
        guard let secret = form["token"], let holder = try await AccessTokens.holder(of: secret, in: tokens) else {
            limiter.recordFailure(context.peer)
            logger.warning(
                "authentication failed",
                metadata: ["peer": "\(context.peer)", "path": "/board/sign-in", "reason": "unknown or revoked token"]
            )
            return Self.page(
                "sign-in",
                ["title": "Sign in", "problem": "That token is not valid (unknown, revoked or mistyped)."],
                status: .unauthorized
            )
        }
        let opened = sessions.open(digest: holder.digest)
        logger.info("board sign-in", metadata: ["name": "\(holder.name)", "peer": "\(context.peer)"])
        var cookie =
            "\(BoardSessions.cookie)=\(opened.id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(BoardSessions.lifetime))"
        if secureCookies { cookie += "; Secure" }
        var response = Self.redirect(to: "/board")
        response.headers[.setCookie] = cookie
        return response
    }

    func signOut(_ request: Request, context: APIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        if let session = context.session {
            try Self.checkCSRF(form, session: session)
            sessions.close(id: session.id)
        }
        var response = Self.redirect(to: "/board/sign-in")
        response.headers[.setCookie] = "\(BoardSessions.cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        return response
    }

    // MARK: Pages

    func queue(_ request: Request, context: APIRequestContext) async throws -> Response {
        _ = try context.require(.viewer)
        let parameters = request.uri.queryParameters
        var query = IncidentQuery(limit: 200)
        let severity = parameters["severity"].flatMap { Severity(rawValue: String($0).uppercased()) }
        query.minimumSeverity = severity
        let status = parameters["status"].flatMap { TriageIncident.Status(rawValue: String($0).lowercased()) }
        query.status = status
        let host = parameters["host"].map { String($0.prefix(255)) }.flatMap { $0.isEmpty ? nil : $0 }
        query.host = host
        let incidents = try await ledger.incidents(query)
        // Open work by severity, over the whole ledger.
        let all = try await ledger.incidents(IncidentQuery(limit: 10_000)).filter { $0.status != .closed }
        var counts: [[String: Any]] = Severity.allCases.reversed().map { level in
            [
                "severity": level.rawValue, "severityClass": level.rawValue.lowercased(), "label": level.rawValue,
                "count": all.filter { $0.severity == level }.count,
            ]
        }
        counts.append([
            "severity": "", "severityClass": "none", "label": "PENDING",
            "count": all.filter { $0.severity == nil }.count,
        ])
        let severities: [[String: Any]] =
            [["value": "", "label": "any", "selected": severity == nil]]
            + Severity.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": severity == $0] }
        let statuses: [[String: Any]] =
            [["value": "", "label": "any", "selected": status == nil]]
            + TriageIncident.Status.allCases.map {
                ["value": $0.rawValue, "label": $0.rawValue, "selected": status == $0]
            }
        return Self.page(
            "queue",
            common(context, title: "Incident queue").merging(
                [
                    "refresh": Self.refreshSeconds, "counts": counts, "severities": severities, "statuses": statuses,
                    "host": host ?? "", "incidents": incidents.map(Self.row),
                ],
                uniquingKeysWith: { $1 }
            )
        )
    }

    func incidentPage(id: String, context: APIRequestContext, problem: String? = nil) async throws -> Response {
        _ = try context.require(.viewer)
        guard id.utf8.count <= 200, let incident = try await ledger.incident(id: id) else {
            throw HTTPError(.notFound, message: "no such incident")
        }
        let alerts = try await ledger.alerts(ofIncident: id, limit: 50)
        var values = Self.row(incident)
        let canChange = (context.holder?.role ?? .viewer) >= .analyst
        values["firstSeen"] = incident.firstSeen.iso8601
        values["addresses"] = incident.addresses.joined(separator: ", ")
        values["disposition"] = incident.disposition?.rawValue ?? ""
        values["canChange"] = canChange
        values["canAcknowledge"] = incident.status == .open
        values["canReopen"] = incident.status != .open
        values["canClose"] = incident.status != .closed
        values["dispositions"] = TriageIncident.Disposition.allCases.map(\.rawValue)
        values["hasHistory"] = !incident.history.isEmpty
        values["history"] = incident.history.reversed().map { change -> [String: Any] in
            var what: [String] = []
            if let status = change.status { what.append("status → \(status.rawValue)") }
            if let disposition = change.disposition { what.append("disposition → \(disposition.rawValue)") }
            if let assignee = change.assignee { what.append("assignee → \(assignee.isEmpty ? "nobody" : assignee)") }
            return [
                "at": change.at.iso8601, "by": change.by, "what": what.joined(separator: ", "),
                "comment": change.comment ?? "",
            ]
        }
        values["alertRows"] = alerts.map { alert -> [String: Any] in
            var row: [String: Any] = [
                "time": alert.time?.iso8601 ?? "", "source": alert.source.rawValue, "title": alert.title,
                "severity": alert.severity.rawValue, "severityClass": alert.severity.rawValue.lowercased(),
                "hosts": alert.hosts.joined(separator: ", "), "users": alert.users.joined(separator: ", "),
            ]
            if alert.count > 1 { row["count"] = alert.count }
            return row
        }
        if let problem { values["problem"] = problem }
        var page = common(context, title: "\(incident.id) · \(incident.severity?.rawValue ?? "pending")")
        page["incident"] = values
        if let reportID = incident.reportID, let report = try? reports.read(id: reportID) {
            page["article"] = IncidentPage.article(report)
        }
        return Self.page("incident", page, status: problem == nil ? .ok : .unprocessableContent)
    }

    func changeIncident(id: String, _ request: Request, context: APIRequestContext) async throws -> Response {
        let holder = try context.require(.analyst)
        let form = try await Self.form(request, context: context)
        guard let session = context.session else {
            throw HTTPError(.forbidden, message: "board forms need a board session")
        }
        try Self.checkCSRF(form, session: session)
        var change = TriageIncident.Change(
            at: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970),
            by: holder.name,
            comment: form["comment"].flatMap { $0.isEmpty ? nil : String($0.prefix(2000)) }
        )
        switch form["action"] {
        case "acknowledge": change.status = .acknowledged
        case "reopen": change.status = .open
        case "assign": change.assignee = String((form["assignee"] ?? "").prefix(100))
        case "close":
            change.status = .closed
            guard let disposition = form["disposition"].flatMap(TriageIncident.Disposition.init(rawValue:)) else {
                return try await incidentPage(id: id, context: context, problem: "Choose a disposition to close.")
            }
            change.disposition = disposition
        default: throw HTTPError(.badRequest, message: "unknown action")
        }
        do {
            guard try await ledger.change(incident: id, change) != nil else {
                throw HTTPError(.notFound, message: "no such incident")
            }
        } catch let error as TriageIncident.ChangeError {
            return try await incidentPage(id: id, context: context, problem: error.description)
        }
        return Self.redirect(
            to: "/board/incidents/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "")"
        )
    }

    func search(_ request: Request, context: APIRequestContext) async throws -> Response {
        _ = try context.require(.viewer)
        var page = common(context, title: "Search")
        let text = request.uri.queryParameters["q"].map(String.init) ?? ""
        page["query"] = text
        guard !text.isEmpty else { return Self.page("search", page) }
        guard let analyst else {
            page["problem"] = "This server has no event store to search."
            return Self.page("search", page, status: .serviceUnavailable)
        }
        guard text.utf8.count <= 10_000 else {
            page["problem"] = "The query is longer than 10,000 bytes."
            return Self.page("search", page, status: .badRequest)
        }
        let query: LuceneQuery
        do {
            query = try LuceneParser.parse(text)
        } catch {
            page["problem"] = "Invalid query at column \(error.column): \(error)"
            return Self.page("search", page, status: .badRequest)
        }
        let result = try await analyst.store.search(
            query,
            filter: EventFilter(limit: 100),
            now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        )
        page["searched"] = true
        page["total"] = result.total
        page["shown"] = result.events.count
        page["more"] = result.total > result.events.count
        page["events"] = result.events.map { event -> [String: Any] in
            let summary = EventSummary(event)
            let text = event.string(ECSField.message) ?? event.original
            return [
                "time": summary.timestamp ?? "", "host": summary.host ?? "", "user": summary.user ?? "",
                "source": summary.sourceIP ?? "", "code": summary.code ?? "",
                "text": text.count > 400 ? String(text.prefix(400)) + "…" : text,
            ]
        }
        return Self.page("search", page)
    }

    // MARK: Helpers

    /// The values every signed-in page's header reads.
    func common(_ context: APIRequestContext, title: String) -> [String: Any] {
        var values: [String: Any] = ["title": title]
        if let holder = context.holder {
            values["who"] = [
                "name": holder.name, "role": holder.role.rawValue, "csrf": context.session?.csrf ?? "",
            ]
            values["csrf"] = context.session?.csrf ?? ""
        }
        return values
    }

    /// One incident as a row of the queue.
    static func row(_ incident: TriageIncident) -> [String: Any] {
        let severity = incident.severity?.rawValue ?? "PENDING"
        return [
            "id": incident.id, "title": incident.title, "severity": severity,
            "severityClass": incident.severity?.rawValue.lowercased() ?? "none",
            "hosts": incident.hosts.joined(separator: ", "), "users": incident.users.joined(separator: ", "),
            "alerts": incident.alertCount, "status": incident.status.rawValue, "assignee": incident.assignee ?? "",
            "lastSeen": incident.lastSeen.iso8601,
        ]
    }

    /// The headers every page carries: no caching, no sniffing, no framing, nothing loaded from elsewhere.
    static func page(_ name: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                .xContentTypeOptions: "nosniff",
                .referrerPolicy: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: BoardPages.render(name, values)))
        )
    }

    static func redirect(to path: String) -> Response {
        Response(status: .seeOther, headers: [.location: path, .cacheControl: "no-store"])
    }

    /// A URL-encoded form body (at most 64 KiB).
    static func form(_ request: Request, context: APIRequestContext) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 64 << 10)
        var fields: [String: String] = [:]
        for pair in String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    static func checkCSRF(_ form: [String: String], session: (id: String, csrf: String)) throws {
        guard BoardSessions.same(form["csrf"] ?? "", session.csrf) else {
            throw HTTPError(.forbidden, message: "the form's CSRF token does not match this session; reload the page")
        }
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
