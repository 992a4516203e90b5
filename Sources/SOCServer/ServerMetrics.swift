import Foundation
import SOCTriage
import Synchronization

/// What `/api/v1/metrics` reports, in the Prometheus text format.
final class ServerMetrics: Sendable {
    private struct Counts {
        var alertsReceived = 0
        var alertsRecorded = 0
        var passes = 0
        var failedPasses = 0
        var lastPassSeconds = 0.0
        var investigations = 0
        var requestsRefused = 0
    }

    private let counts = Mutex(Counts())

    func received(_ alerts: Int, recorded: Int) {
        counts.withLock {
            $0.alertsReceived += alerts
            $0.alertsRecorded += recorded
        }
    }

    func record(_ pass: TriageService.Pass, seconds: Double) {
        counts.withLock {
            $0.passes += 1
            $0.lastPassSeconds = seconds
            $0.investigations += pass.incidents.count
        }
    }

    func recordFailedPass() { counts.withLock { $0.failedPasses += 1 } }

    /// The exposition text, with the store's totals and open incidents by severity added.
    func text(alerts: Int, incidents: Int, openBySeverity: [(String, Int)]) -> String {
        let counts = counts.withLock { $0 }
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples { lines.append("\(name)\(labels) \(value)") }
        }
        metric(
            "socagent_alerts_received_total",
            "counter",
            "Alerts posted to /api/v1/alerts.",
            [("", "\(counts.alertsReceived)")]
        )
        metric(
            "socagent_alerts_recorded_total",
            "counter",
            "Posted alerts that were new.",
            [("", "\(counts.alertsRecorded)")]
        )
        metric("socagent_triage_passes_total", "counter", "Triage passes run.", [("", "\(counts.passes)")])
        metric(
            "socagent_triage_failed_passes_total",
            "counter",
            "Triage passes that failed.",
            [("", "\(counts.failedPasses)")]
        )
        metric(
            "socagent_triage_last_pass_seconds",
            "gauge",
            "How long the last triage pass took.",
            [("", String(format: "%.6f", counts.lastPassSeconds))]
        )
        metric(
            "socagent_investigations_total",
            "counter",
            "Incident investigations written.",
            [("", "\(counts.investigations)")]
        )
        metric("socagent_alerts", "gauge", "Alerts the triage ledger holds.", [("", "\(alerts)")])
        metric("socagent_incidents", "gauge", "Incidents the triage ledger holds.", [("", "\(incidents)")])
        metric(
            "socagent_open_incidents",
            "gauge",
            "Incidents not closed, by severity (unrated: not yet investigated).",
            openBySeverity.map { (#"{severity="\#($0.0)"}"#, "\($0.1)") }
        )
        return lines.joined(separator: "\n") + "\n"
    }
}
