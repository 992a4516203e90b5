/// A log format socagent reads. Chosen by content sniffing (``FormatSniffer``) or by `--format`.
public struct LogFormat: Hashable, Sendable, CustomStringConvertible {
    /// The name used on the command line and in reports, such as `evtx-json`.
    public let name: String
    /// What the format is, for `--help` and documentation.
    public let summary: String
    /// How records are cut from the input.
    public let framing: RecordFraming

    init(name: String, summary: String, framing: RecordFraming) {
        self.name = name
        self.summary = summary
        self.framing = framing
    }

    /// The name.
    public var description: String { name }

    /// Formats are the same when their names are, whatever the framing.
    public static func == (lhs: LogFormat, rhs: LogFormat) -> Bool { lhs.name == rhs.name }

    /// Hashes the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Elastic Beats documents (Winlogbeat, Filebeat, Packetbeat 7/8), before or after the ingest pipeline.
    public static let ecs = LogFormat(
        name: "ecs",
        summary: "Elastic Beats ECS JSON (Winlogbeat/Filebeat 7-8, raw winlog.* or after the ingest pipeline)",
        framing: .lines
    )
    /// Winlogbeat 6 documents (`event_id`, `log_name`, `event_data`).
    public static let winlogbeat6 = LogFormat(
        name: "winlogbeat6",
        summary: "Winlogbeat 6 JSON (event_id, log_name, event_data)",
        framing: .lines
    )
    /// EVTX records as JSON (`{"Event":{"System":…,"EventData":…}}`), as evtx-rs, evtx_dump and Chainsaw write them.
    public static let evtxJSON = LogFormat(
        name: "evtx-json",
        summary: "EVTX records as JSON ({\"Event\":{\"System\":...,\"EventData\":...}})",
        framing: .lines
    )
    /// Windows event log files (`.evtx`), read natively: chunks, records and BinXML templates.
    public static let evtx = LogFormat(
        name: "evtx",
        summary: "Windows event log files (.evtx, binary), read natively",
        framing: .lines  // not framed: read chunk by chunk (see EVTXFile)
    )
    /// Flat Windows event JSON as NXLog (im_msvistalog) and similar shippers write it.
    public static let nxlog = LogFormat(
        name: "nxlog",
        summary: "NXLog-style flat Windows event JSON (EventID, Channel, Hostname, fields at top level)",
        framing: .lines
    )
    /// Windows event XML (wevtutil, Get-WinEvent ToXml, Event Viewer exports).
    public static let windowsXML = LogFormat(
        name: "windows-xml",
        summary: "Windows event XML (<Event><System>...<EventData>)",
        framing: .xmlEvents
    )
    /// Microsoft Sentinel / Log Analytics exports as JSON: row objects, `tables`/`value` responses, incidents.
    public static let sentinelJSON = LogFormat(
        name: "sentinel",
        summary: "Microsoft Sentinel / Log Analytics JSON (rows, tables/columns/rows, value[], incidents)",
        framing: .jsonValues
    )
    /// Microsoft Sentinel / Log Analytics exports as CSV with a header row.
    public static let sentinelCSV = LogFormat(
        name: "sentinel-csv",
        summary: "Microsoft Sentinel / Log Analytics CSV export with a header row",
        framing: .csvRows
    )
    /// Syslog and auth.log lines (RFC 3164, RFC 5424, rsyslog ISO timestamps).
    public static let syslog = LogFormat(
        name: "syslog",
        summary: "Linux syslog / auth.log (RFC 3164, RFC 5424)",
        framing: .lines
    )
    /// Linux audit daemon records (`type=… msg=audit(…): …`).
    public static let auditd = LogFormat(
        name: "auditd",
        summary: "Linux auditd log (type=... msg=audit(...))",
        framing: .lines
    )
    /// Any other text: a timestamp when one is found, the message, and the indicators in it.
    public static let text = LogFormat(
        name: "text",
        summary: "generic text lines (timestamp, message, indicators)",
        framing: .lines
    )

    /// Every format, in the order `--help` lists them.
    public static let all: [LogFormat] = [
        .ecs, .winlogbeat6, .evtx, .evtxJSON, .nxlog, .windowsXML, .sentinelJSON, .sentinelCSV, .syslog, .auditd, .text,
    ]

    /// The format with the given name.
    public static func named(_ name: String) -> LogFormat? { all.first { $0.name == name.lowercased() } }

    /// The same format read as a different framing (a pretty-printed JSON document instead of JSON lines).
    func with(framing: RecordFraming) -> LogFormat {
        LogFormat(name: name, summary: summary, framing: framing)
    }

    /// Whether records are JSON.
    var isJSON: Bool { [LogFormat.ecs, .winlogbeat6, .evtxJSON, .nxlog, .sentinelJSON].contains(self) }
}
