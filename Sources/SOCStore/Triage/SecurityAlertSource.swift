public import SOCModel

/// A store that also holds another product's detection alerts (Elastic Security's `.alerts-security.alerts-*` and
/// 7.x `.siem-signals-*` indices in a cluster): triage reads them as alerts.
public protocol SecurityAlertSource: Sendable {
    /// Up to `limit` alert documents at or after `since` (nil: all), oldest first, skipping the first `offset`, each as
    /// an event whose fields are the document's (`kibana.alert.*`, `signal.*`, `host.name`…).
    func securityAlerts(since: Timestamp?, offset: Int, limit: Int) async throws -> [SecurityEvent]
}
