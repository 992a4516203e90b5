import Foundation
import Prometheus
import SOCThreatIntel
import SOCTriage

/// What `/api/v1/metrics` reports, in the Prometheus text format (swift-prometheus): the server's own counters and
/// the triage passes' durations as they happen, and at each scrape the ledger's totals, open incidents by severity
/// and the threat-intelligence quotas left.
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let alertsReceived: Counter
    private let alertsRecorded: Counter
    private let passes: Counter
    private let failedPasses: Counter
    private let lastPassSeconds: Gauge
    private let passDuration: DurationHistogram
    private let investigations: Counter
    private let alerts: Gauge
    private let incidents: Gauge

    init() {
        alertsReceived = registry.makeCounter(
            name: "socagent_alerts_received_total",
            help: "Alerts posted to /api/v1/alerts."
        )
        alertsRecorded = registry.makeCounter(
            name: "socagent_alerts_recorded_total",
            help: "Posted alerts that were new."
        )
        passes = registry.makeCounter(name: "socagent_triage_passes_total", help: "Triage passes run.")
        failedPasses = registry.makeCounter(
            name: "socagent_triage_failed_passes_total",
            help: "Triage passes that failed."
        )
        lastPassSeconds = registry.makeGauge(
            name: "socagent_triage_last_pass_seconds",
            help: "How long the last triage pass took."
        )
        passDuration = registry.makeDurationHistogram(
            name: "socagent_triage_pass_duration_seconds",
            buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60)]
                + [.seconds(300), .seconds(900)],
            help: "Triage latency: how long passes take (alerts read, grouped, investigated, reported)."
        )
        investigations = registry.makeCounter(
            name: "socagent_investigations_total",
            help: "Incident investigations written."
        )
        alerts = registry.makeGauge(name: "socagent_alerts", help: "Alerts the triage ledger holds.")
        incidents = registry.makeGauge(name: "socagent_incidents", help: "Incidents the triage ledger holds.")
    }

    func received(_ count: Int, recorded: Int) {
        alertsReceived.increment(by: Int64(count))
        alertsRecorded.increment(by: Int64(recorded))
    }

    func record(_ pass: TriageService.Pass, seconds: Double) {
        passes.increment()
        lastPassSeconds.set(seconds)
        passDuration.record(.milliseconds(Int64((seconds * 1000).rounded())))
        investigations.increment(by: Int64(pass.incidents.count))
    }

    func recordFailedPass() { failedPasses.increment() }

    /// The exposition text, with the ledger's totals, open incidents by severity and the quotas left set first.
    func text(
        alerts alertCount: Int,
        incidents incidentCount: Int,
        openBySeverity: [(String, Int)],
        quotas: [ThreatIntelService.QuotaState]
    ) -> String {
        alerts.set(Double(alertCount))
        incidents.set(Double(incidentCount))
        for (severity, count) in openBySeverity {
            registry.makeGauge(
                name: "socagent_open_incidents",
                labels: [("severity", severity)],
                help: "Incidents not closed, by severity (unrated: not yet investigated)."
            ).set(Double(count))
        }
        for quota in quotas {
            registry.makeGauge(
                name: "socagent_intel_quota_remaining",
                labels: [("source", quota.source), ("window", quota.limit.windowLabel)],
                help: "Requests a threat-intelligence source's quota still allows in its current window."
            ).set(Double(quota.remaining))
            registry.makeGauge(
                name: "socagent_intel_quota_limit",
                labels: [("source", quota.source), ("window", quota.limit.windowLabel)],
                help: "A threat-intelligence source's quota per window."
            ).set(Double(quota.limit.count))
        }
        return registry.emitToString()
    }
}
