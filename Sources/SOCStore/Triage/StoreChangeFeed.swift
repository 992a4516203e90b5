public import SOCModel

/// What was added to a store since a position it defines: how triage reads only new events and new detections.
///
/// Positions only grow; a position read back after a restart resumes where the last recorded read stopped.
public protocol StoreChangeFeed: Sendable {
    /// The events stored after `position`: how many, the time span they cover, and the position after them.
    func eventsAdded(after position: Int64) async throws -> (position: Int64, count: Int, span: TimeRange?)

    /// Up to `limit` detections saved after `position`, in saving order, and the position after them.
    func detectionsAdded(
        after position: Int64,
        limit: Int
    ) async throws -> (
        position: Int64, detections: [StoredDetection]
    )
}
