import Foundation
import SOCModel
import Yams

/// Sigma log sources and field names mapped onto socagent events, read from data files (`logsources.yml`,
/// `fields.yml`) rather than written in code, so coverage grows by editing YAML.
public struct LogSourceMap: Sendable {
    /// One kind of event a log source covers, and the field renames that apply to it.
    struct Alternative: Sendable {
        /// Only events that came from a Windows event log (they have a channel).
        var windowsLog = false
        var channel: String?
        var eventIDs: Set<String>
        var format: String?
        var programs: Set<String>
        var recordTypes: Set<String>
        var fields: [String: String]

        func covers(_ view: EventView) -> Bool {
            if windowsLog, view.channel == nil { return false }
            if let channel, view.lowerChannel != channel { return false }
            if !eventIDs.isEmpty, !(view.eventCode.map { eventIDs.contains($0) } ?? false) { return false }
            if let format, view.format != format { return false }
            if !programs.isEmpty, !(view.program.map { programs.contains($0) } ?? false) { return false }
            if !recordTypes.isEmpty,
                !(view.event.string("auditd.log.record_type").map { recordTypes.contains($0) } ?? false)
            {
                return false
            }
            return true
        }
    }

    private var categories: [String: [String: [Alternative]]] = [:]  // product → category → alternatives
    private var services: [String: [String: [Alternative]]] = [:]
    /// Sigma names that are System fields or syslog parts, to their socagent field.
    let aliases: [String: String]

    /// The mapping shipped with socagent.
    public static let bundled: LogSourceMap = {
        guard let (sources, fields) = bundledDefinition,
            let map = try? LogSourceMap(logSources: sources, fields: fields)
        else { return LogSourceMap(aliases: [:]) }
        return map
    }()

    /// The texts ``bundled`` is made from (log sources, fields), read from socagent's resources: part of what a
    /// compiled rule set depends on.
    public static let bundledDefinition: (logSources: String, fields: String)? = {
        guard
            let sources = Bundle.module.url(forResource: "logsources", withExtension: "yml", subdirectory: "Resources")
                .flatMap({ try? String(contentsOf: $0, encoding: .utf8) }),
            let fields = Bundle.module.url(forResource: "fields", withExtension: "yml", subdirectory: "Resources")
                .flatMap({ try? String(contentsOf: $0, encoding: .utf8) })
        else { return nil }
        return (sources, fields)
    }()

    private init(aliases: [String: String]) { self.aliases = aliases }

    /// Reads a mapping from the two YAML documents.
    public init(logSources: String, fields: String) throws {
        let root = try Yams.load(yaml: logSources) as? [String: Any] ?? [:]
        var categories: [String: [String: [Alternative]]] = [:]
        var services: [String: [String: [Alternative]]] = [:]
        for (product, value) in root {
            guard let sections = value as? [String: Any] else { continue }
            for (section, target) in [("categories", 0), ("services", 1)] {
                guard let entries = sections[section] as? [String: Any] else { continue }
                for (name, alternatives) in entries {
                    let parsed = (alternatives as? [Any] ?? []).compactMap { Self.alternative($0) }
                    if target == 0 {
                        categories[product, default: [:]][name] = parsed
                    } else {
                        services[product, default: [:]][name] = parsed
                    }
                }
            }
        }
        self.categories = categories
        self.services = services
        let fieldRoot = try Yams.load(yaml: fields) as? [String: Any] ?? [:]
        aliases = (fieldRoot["aliases"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
    }

    private static func alternative(_ value: Any) -> Alternative? {
        guard let entry = value as? [String: Any] else { return nil }
        return Alternative(
            windowsLog: entry["windows_log"] as? Bool ?? false,
            channel: (entry["channel"] as? String)?.lowercased(),
            eventIDs: Set((entry["event_ids"] as? [Any] ?? []).map { "\($0)" }),
            format: entry["format"] as? String,
            programs: Set((entry["programs"] as? [Any] ?? []).map { "\($0)" }),
            recordTypes: Set((entry["record_types"] as? [Any] ?? []).map { "\($0)" }),
            fields: (entry["fields"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        )
    }

    /// The alternatives for a rule's log source, or `nil` when it is not mapped. A rule naming both a category and
    /// a service applies where both agree; a product alone covers every event of that product.
    func alternatives(product: String?, category: String?, service: String?) -> [Alternative]? {
        let product = product?.lowercased() ?? "windows"
        if let category {
            guard let byCategory = categories[product]?[category.lowercased()] else { return nil }
            if let service, let byService = services[product]?[service.lowercased()] {
                // Keep the category's alternatives on the service's channels.
                let channels = Set(byService.compactMap { $0.channel?.lowercased() })
                let narrowed = byCategory.filter {
                    $0.channel == nil || channels.isEmpty || channels.contains($0.channel?.lowercased() ?? "")
                }
                return narrowed.isEmpty ? byCategory : narrowed
            }
            return byCategory
        }
        if let service { return services[product]?[service.lowercased()] }
        return services[product]?["*"]
    }

    /// Where a Sigma field is found on an event (renames first, then aliases, then Windows event data).
    func candidates(for field: String, renames: [String: String]) -> [String] {
        if let renamed = renames[field] { return [renamed] }
        if let alias = aliases[field] { return [alias] }
        return [ECSField.eventData(field), "auditd.log." + field, field]
    }
}
