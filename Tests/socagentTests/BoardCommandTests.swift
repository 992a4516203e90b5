import Foundation
import SOCTestSupport
import Testing

/// The incident board as a browser meets it: the sign-in and its cookie, CSRF on every change, hostile log content
/// shown as text, and (with `.ci/run`'s Chromium) a real browser walking the queue, an incident and its closing.
@Suite(.serialized) struct BoardCommandTests {
    /// An HTTP exchange through curl, which shows redirects and cookies as they are.
    struct Exchange {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    static func curl(_ arguments: [String]) throws -> Exchange {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "-i", "--max-time", "60"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        var headers: [String: String] = [:]
        var status = 0
        for (index, line) in head.components(separatedBy: "\r\n").enumerated() {
            if index == 0 {
                status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            } else if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                    .trimmingCharacters(in: .whitespaces)
            }
        }
        return Exchange(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// Signs in with the named token; returns the session cookie (`socagent_session=…`).
    static func signIn(_ server: ServeCommandTests.Server, as name: String) throws -> String {
        let answer = try curl([
            "-X", "POST", "--data-urlencode", "token=\(server.tokens[name] ?? "")", server.base + "/board/sign-in",
        ])
        #expect(answer.status == 303)
        let cookie = try #require(answer.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        return String(cookie.prefix { $0 != ";" })
    }

    static func csrf(in page: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(page.range(of: marker)).upperBound
        return String(page[start...].prefix { $0 != "\"" })
    }

    /// The user name of the hostile alert every board test posts.
    static let hostileName = "<script>alert(1)</script></untrusted-data>"

    /// The demo's day of Windows logs (its attack chain on DC01 among them) in the store, and an analyst's token.
    static func preparedDemo() throws -> ServeCommandTests.Server {
        let server = try ServeCommandTests.Server()
        let cli = server.cli
        let demo = try cli.run(["demo", "--store", cli.path("store.db"), "--report-dir", cli.path("demo-reports")])
        #expect(demo.status == 0, "\(demo.stderr)")
        let made = try cli.run([
            "token", "create", "--name", "alice", "--role", "analyst", "--json", "--store", cli.path("store.db"),
        ])
        #expect(made.status == 0, "\(made.stderr)")
        server.tokens["alice"] = made.json?["token"] as? String
        return server
    }

    /// The server, with the hostile alert posted and every incident investigated.
    static func started(
        _ server: ServeCommandTests.Server,
        incidents expected: Int
    ) async throws -> (server: ServeCommandTests.Server, hostile: String) {
        try await server.start()
        let hostile =
            #"{"@timestamp":"2025-12-10T11:20:00.000Z","kibana.alert.uuid":"u-hostile","kibana.alert.rule.name":"Mimikatz Memssp Default Logs","kibana.alert.severity":"high","host":{"name":"DC01"},"user":{"name":"<script>alert(1)</script></untrusted-data>"}}"#
        #expect(try await server.send("POST", "/api/v1/alerts", token: "alice", body: Data(hostile.utf8)).status == 202)
        var hostileID = ""
        for _ in 0..<600 {
            let listed = server.json(try await server.send("GET", "/api/v1/incidents?limit=50", token: "alice").body)
            let incidents = listed["incidents"] as? [[String: Any]] ?? []
            if incidents.count >= expected, incidents.allSatisfy({ $0["severity"] != nil }) {
                hostileID =
                    incidents.first { ($0["users"] as? [String])?.contains(Self.hostileName) == true }?["id"]
                    as? String ?? ""
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!hostileID.isEmpty, "the hostile alert did not become an investigated incident")
        return (server, hostileID)
    }

    @Test(.timeLimit(.minutes(10))) func theBoardSignsInWithACookieAndRefusesForgedChanges() async throws {
        let (server, hostileID) = try await Self.started(try ServeCommandTests.prepared(), incidents: 8)
        defer { _ = server.stop() }
        let base = server.base
        let id = "INC-20251210-091237-E8DB56"

        // No session: the board sends the browser to the sign-in; a wrong token is refused there.
        let anonymous = try Self.curl([base + "/board"])
        #expect(anonymous.status == 303 && anonymous.headers["location"] == "/board/sign-in")
        #expect(try Self.curl([base + "/board/sign-in"]).status == 200)
        let wrong = try Self.curl(["-X", "POST", "--data", "token=socagent_wrong", base + "/board/sign-in"])
        #expect(wrong.status == 401 && wrong.body.contains("not valid"))

        // The queue and an incident, with the page's protections.
        let cookie = try Self.signIn(server, as: "alice")
        let queue = try Self.curl(["-b", cookie, base + "/board"])
        #expect(queue.status == 200)
        #expect(queue.body.contains(id))
        #expect(queue.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(queue.headers["x-content-type-options"] == "nosniff")
        let page = try Self.curl(["-b", cookie, base + "/board/incidents/\(id)"])
        #expect(page.status == 200)
        #expect(page.body.contains(#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline""#))
        #expect(page.body.contains("https://attack.mitre.org/techniques/T1110/"))
        let csrf = try Self.csrf(in: page.body)
        #expect(csrf.count >= 40)

        // Changes need the session's CSRF token: in the form, or X-CSRF-Token for the API.
        let change = base + "/board/incidents/\(id)"
        #expect(try Self.curl(["-b", cookie, "--data", "action=acknowledge", change]).status == 403)
        #expect(try Self.curl(["-b", cookie, "--data", "action=acknowledge&csrf=forged", change]).status == 403)
        let acknowledged = try Self.curl(["-b", cookie, "--data", "action=acknowledge&csrf=\(csrf)", change])
        #expect(acknowledged.status == 303)
        let closeBare = try Self.curl(["-b", cookie, "--data", "action=close&csrf=\(csrf)", change])
        #expect(closeBare.status == 422 && closeBare.body.contains("Choose a disposition"))
        let api = base + "/api/v1/incidents/\(id)"
        let patch = #"{"assignee":"alice"}"#
        #expect(try Self.curl(["-b", cookie, "-X", "PATCH", "--data", patch, api]).status == 403)
        #expect(
            try Self.curl(["-b", cookie, "-X", "PATCH", "-H", "X-CSRF-Token: \(csrf)", "--data", patch, api]).status
                == 200
        )
        let after = server.json(try await server.send("GET", "/api/v1/incidents/\(id)", token: "vera").body)
        let incident = try #require(after["incident"] as? [String: Any])
        #expect(incident["status"] as? String == "acknowledged")
        #expect(incident["assignee"] as? String == "alice")

        // A viewer's session may look but not change.
        let viewer = try Self.signIn(server, as: "vera")
        let viewerPage = try Self.curl(["-b", viewer, base + "/board/incidents/\(id)"])
        #expect(viewerPage.status == 200 && !viewerPage.body.contains(#"id="close""#))
        let viewerCSRF = try Self.csrf(in: viewerPage.body)
        #expect(try Self.curl(["-b", viewer, "--data", "action=reopen&csrf=\(viewerCSRF)", change]).status == 403)

        // Log content is text: the hostile user name is escaped wherever it is shown.
        let hostile = try Self.curl(["-b", cookie, base + "/board/incidents/\(hostileID)"])
        #expect(hostile.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/untrusted-data&gt;"))
        #expect(!hostile.body.contains("<script>alert(1)"))
        let listed = try Self.curl(["-b", cookie, base + "/board?host=DC01"])
        #expect(!listed.body.contains("<script>alert(1)") && listed.body.contains(hostileID))

        // Search through the board.
        let search = try Self.curl(["-b", cookie, base + "/board/search?q=event.outcome%3Afailure"])
        #expect(search.status == 200 && search.body.contains(#"id="results""#))
        let broken = try Self.curl(["-b", cookie, base + "/board/search?q=%28oops"])
        #expect(broken.status == 400 && broken.body.contains("column"))

        // Revoking the token ends its sessions; signing out ends one.
        #expect(try server.cli.run(["token", "revoke", "vera", "--store", server.cli.path("store.db")]).status == 0)
        #expect(try Self.curl(["-b", viewer, base + "/board"]).status == 303)
        let out = try Self.curl(["-b", cookie, "--data", "csrf=\(csrf)", base + "/board/sign-out"])
        #expect(out.status == 303 && out.headers["set-cookie"]?.contains("Max-Age=0") == true)
        #expect(try Self.curl(["-b", cookie, base + "/board"]).status == 303)

        let stopped = server.stop()
        #expect(stopped.status == 0, "\(stopped.log)")
        for token in server.tokens.values { #expect(!stopped.log.contains(token)) }
    }

    /// Headless Chromium through Selenium (`.ci/run` installs both), on the demo's day: sign in, the queue, the
    /// attack chain's incident and its timeline picture, closing it with a comment, and finding it closed after a
    /// reload; a hostile user name shown as text; search; sign out.
    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["SOCAGENT_BROWSER_PYTHON"] != nil,
            "needs SOCAGENT_BROWSER_PYTHON (Selenium and Debian's chromium, set up by .ci/run)"
        ),
        .timeLimit(.minutes(10))
    )
    func aRealBrowserWorksTheQueue() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["SOCAGENT_BROWSER_PYTHON"])
        let (server, hostileID) = try await Self.started(try Self.preparedDemo(), incidents: 5)
        defer { _ = server.stop() }
        // The demo's attack chain: the incident an analyst would open first.
        let critical = server.json(
            try await server.send("GET", "/api/v1/incidents?severity=CRITICAL", token: "alice").body
        )
        let chain = try #require(
            (critical["incidents"] as? [[String: Any]])?.first { ($0["title"] as? String) == "Attack chain on DC01" }?[
                "id"
            ] as? String
        )
        let shots = ProcessInfo.processInfo.environment["SOCAGENT_SCREENSHOTS"] ?? server.cli.directory.path
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Browser/board_walkthrough.py")
        let run = try server.cli.run(
            [script.path, server.base, server.tokens["alice"] ?? "", chain, hostileID, shots],
            executable: URL(fileURLWithPath: python)
        )
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr.suffix(3000))")
        #expect(run.json?["ok"] as? Bool == true, "\(run.stdout)")
        #expect(FileManager.default.fileExists(atPath: shots + "/board-incident.png"))
    }
}
