public import SOCModel

/// A Windows event as every Windows source describes it, before ECS normalization.
///
/// EVTX-JSON, Winlogbeat (raw and version 6), NXLog, event XML and Sentinel `SecurityEvent` rows each fill one of
/// these; ``WindowsEventNormalizer`` then maps it onto ECS in one place, so a 4625 gives the same fields whatever
/// shipper carried it.
public struct WindowsEventRecord: Sendable {
    /// The event id (`4625`).
    public var eventID: Int
    /// The log channel (`Security`, `Microsoft-Windows-Sysmon/Operational`).
    public var channel: String?
    /// The provider name (`Microsoft-Windows-Security-Auditing`).
    public var provider: String?
    /// The computer that logged the event.
    public var computer: String?
    /// When the event was logged.
    public var timestamp: Timestamp?
    /// The record number within its log.
    public var recordID: Int64?
    /// The event's level: 0/4 information, 3 warning, 2 error, 1 critical (or the name a shipper wrote).
    public var level: String?
    /// The SID in `System/Security/@UserID`.
    public var userSID: String?
    /// The pid of the process that logged the event (`System/Execution/@ProcessID`).
    public var processID: Int64?
    /// The rendered message, when the source has one.
    public var message: String?
    /// The `EventData` (or `UserData`) fields, by name, in document order.
    public var eventData: [(name: String, value: String)] = []

    /// Creates a record with an event id.
    public init(eventID: Int) { self.eventID = eventID }

    /// The event data value named `name` (case-sensitive, as Windows writes them).
    public func data(_ name: String) -> String? {
        for field in eventData where field.name == name { return field.value }
        return nil
    }

    /// Adds an event data field.
    public mutating func addData(_ name: String, _ value: String) {
        eventData.append((name, value))
    }
}
