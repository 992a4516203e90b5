import Foundation
import SOCTestSupport
import Testing

/// `socagent query` and `socagent search` run as a user would.
@Suite struct QueryCommandTests {
    let cli: IngestCommandTests

    init() throws { cli = try IngestCommandTests() }

    private func ingestSyslogFixture() throws -> String {
        let store = cli.path("q.db")
        let result = try cli.run([
            "ingest", "--json", "--year", "2024", "--store", store,
            IngestCommandTests.fixtures.appendingPathComponent("syslog/input.log").path,
        ])
        #expect(result.status == 0)
        return store
    }

    @Test func answersTheInvestigationQueriesAsJSON() throws {
        let store = try ingestSyslogFixture()
        let brute = try cli.run(["query", "brute-force", "--all", "--min-failures", "1", "--json", "--store", store])
        #expect(brute.status == 0, "\(brute.stderr)")
        let sources = try #require(try JSONSerialization.jsonObject(with: Data(brute.stdout.utf8)) as? [[String: Any]])
        #expect(sources.map { $0["source_ip"] as? String } == ["198.51.100.7", "2001:db8::7", "45.142.212.61"])
        #expect(sources[0]["failures"] as? Int == 3)  // "message repeated 3 times"
        #expect(sources[2]["successes"] as? Int == 1)  // Accepted password after the failure: a successful brute force
        #expect(
            Set(sources[2].keys) == [
                "source_ip", "failures", "users", "user_names", "first_seen", "last_seen", "successes",
            ]
        )

        let failed = try cli.run([
            "query", "failed-logins", "--all", "--source-ip", "45.142.212.0/24", "--json", "--store", store,
        ])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows[0]["user"] as? String == "admin")

        let window = try cli.run([
            "query", "failed-logins", "--since", "2024-02-04T10:20:00Z", "--until", "2024-02-04T10:23:00Z", "--json",
            "--store", store,
        ])
        #expect((try JSONSerialization.jsonObject(with: Data(window.stdout.utf8)) as? [Any])?.count == 2)

        let empty = try cli.run(["query", "failed-logins", "--now", "2030-01-01T00:00:00Z", "--store", store])
        #expect(empty.status == 0)
        #expect(empty.stderr.contains("nothing in the window"))
    }

    @Test func searchesWithLuceneAndReportsTheExactTotal() throws {
        let store = try ingestSyslogFixture()
        let result = try cli.run([
            "search", #"event.action:ssh_login AND event.outcome:failure"#, "--all", "--limit", "1", "--json",
            "--store", store,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["total"] as? Int == 3)
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.count == 1)
        #expect((events[0]["event"] as? [String: Any])?["outcome"] as? String == "failure")
        #expect((events[0]["event"] as? [String: Any])?["original"] is String)

        let phrase = try cli.run([
            "search", #"message:"possible break in attempt""#, "--all", "--json", "--store", store,
        ])
        #expect(
            (try JSONSerialization.jsonObject(with: Data(phrase.stdout.utf8)) as? [String: Any])?["total"] as? Int == 1
        )

        let human = try cli.run(["search", "user.name:root", "--all", "--store", store])
        #expect(human.stdout.hasPrefix("3 events match"))
    }

    /// Basic auth over `http://` is readable by anyone on the path; the user is told, whatever the command.
    @Test func credentialsOverPlainHTTPAreWarnedAbout() async throws {
        let closed = try await StandInServer.closedPortURL()
        let credentials = ["ELK_USERNAME": "elastic", "ELK_PASSWORD": "cluster-secret"]
        let plain = try cli.run(["stats", "--store", closed], environment: credentials)
        #expect(plain.stderr.contains("warning: the cluster credentials"), "\(plain.stderr)")
        #expect(plain.stderr.contains("are sent unencrypted to \(closed)"))
        #expect(!plain.stderr.contains("cluster-secret"))
        let analyzed = try cli.run(["analyze", "--store", closed, "--offline", "x"], environment: credentials)
        #expect(analyzed.stderr.contains("are sent unencrypted"), "\(analyzed.stderr)")
        let anonymous = try cli.run(["stats", "--store", closed])
        #expect(!anonymous.stderr.contains("unencrypted"))
    }

    @Test func aBadQueryIsAUsageErrorWithACaret() throws {
        let store = try ingestSyslogFixture()
        let result = try cli.run(["search", "user.name:(admin AND", "--all", "--store", store])
        #expect(result.status == 64)
        #expect(result.stderr.contains("column 21: expected a term after 'AND' but the query ended"))
        #expect(result.stderr.contains("\n                      ^"))
        let badWindow = try cli.run(["query", "failed-logins", "--since", "yesterday-ish", "--store", store])
        #expect(badWindow.status == 64)
        let badIP = try cli.run(["query", "failed-logins", "--source-ip", "300.1.1.1", "--store", store])
        #expect(badIP.status == 64)
        let noStore = try cli.run(["search", "x", "--store", cli.path("missing.db")])
        #expect(noStore.status == 1)
        #expect(noStore.stderr.contains("no event store"))
    }
}
