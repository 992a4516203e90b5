import SOCAnalystKit
import SOCModel
import SOCStore

// The README's library example, verbatim between the markers (LibraryExampleTests compares the two).
// README example begins
func triage(log: String, store: String) async throws -> IncidentReport {
    let analyst = try await SOCAnalyst(configuration: .init(store: store, offline: true))
    try await analyst.ingest([log])
    for source in try await analyst.bruteForce(EventFilter(limit: 3)) {
        print(source.sourceIP, source.failures, "failures against", source.users, "accounts")
    }
    let report = await analyst.analyze("Failed password for admin from 103.99.0.122 at 2025-12-10 09:12:00")
    print(report.severity, report.summary)
    return report
}
// README example ends
