import Foundation
public import SOCModel

/// Renders reports as JSON for programs: one report pretty-printed with sorted keys (the file's own form), or a list
/// of reports as one line of summaries.
public enum JSONReportRenderer {
    /// The report's JSON, pretty-printed, keys sorted, slashes unescaped.
    /// - Throws: `EncodingError` (never for a report that was read or built normally).
    public static func render(_ report: IncidentReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// One line: `[{"created_at", "incident_id", "severity", "summary"}, …]`.
    /// - Throws: `EncodingError` (never for reports that were read or built normally).
    public static func renderList(_ reports: [IncidentReport]) throws -> String {
        struct Row: Encodable {
            var incident_id: String
            var created_at: String
            var severity: Severity
            var summary: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let rows = reports.map {
            Row(incident_id: $0.incidentID, created_at: $0.createdAt, severity: $0.severity, summary: $0.summary)
        }
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }
}
