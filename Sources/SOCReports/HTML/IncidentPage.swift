public import Foundation
import Mustache
public import SOCModel

/// An incident report as HTML: the same page in the board and in `report export --html`. Templates are Mustache
/// (`Resources/html`), which escapes every value; the only unescaped piece is the timeline picture, which
/// ``TimelinePicture`` builds from escaped text.
public enum IncidentPage {
    /// The stylesheet both the board and exported pages use.
    public static var css: String { templates.css }

    /// The report's `<article>`, for a page that has its own frame (the board).
    public static func article(_ report: IncidentReport) -> String {
        templates.library.render(["report": context(report)], withTemplate: "report-frame") ?? ""
    }

    /// One self-contained HTML document (styles inline, no scripts, no remote resources but ATT&CK links).
    public static func document(_ report: IncidentReport) -> String {
        templates.library.render(["report": context(report), "css": css], withTemplate: "page") ?? ""
    }

    /// The values the report template reads.
    static func context(_ report: IncidentReport) -> [String: Any] {
        let picture = TimelinePicture(timeline: report.timeline, findings: report.findings)
        var analyst = report.analyst.mode.rawValue
        if let model = report.analyst.model { analyst += " (\(model))" }
        if let consulted = report.analyst.consulted, !consulted.isEmpty {
            analyst += "; consulted " + consulted.joined(separator: ", ")
        }
        var values: [String: Any] = [
            "id": report.incidentID,
            "severity": report.severity.rawValue,
            "severityClass": report.severity.rawValue.lowercased(),
            "createdAt": report.createdAt,
            "summary": report.summary,
            "analystLine": analyst,
            "synthetic": report.synthetic == true,
            "severityReasons": report.severityReasons,
            "hasReasons": !report.severityReasons.isEmpty,
            "techniques": report.attackTechniques.map(technique),
            "hasTechniques": !report.attackTechniques.isEmpty,
            "hasTimeline": !report.timeline.isEmpty,
            "timelineCount": report.timeline.count,
            "timelineSVG": picture.isEmpty ? "" : picture.svg,
            "timeline": report.timeline.map { entry -> [String: Any] in
                [
                    "timestamp": entry.timestamp, "subject": entry.subject ?? "", "description": entry.description,
                    "step": picture.isChainStep(entry),
                ]
            },
            "findingCount": report.findings.count,
            "findings": report.findings.map(finding),
            "recommendations": report.recommendations,
            "hasRecommendations": !report.recommendations.isEmpty,
            "hasToolCalls": !report.toolCalls.isEmpty,
            "toolCallCount": report.toolCalls.count,
            "toolCalls": report.toolCalls.map { call -> [String: Any] in
                var values: [String: Any] = [
                    "tool": call.tool, "input": json(call.input), "summary": call.resultSummary,
                    "duration": call.durationMilliseconds,
                ]
                if let error = call.error { values["error"] = error }
                return values
            },
        ]
        if let alert = report.alert, !alert.isEmpty { values["alert"] = alert }
        if let summary = report.executiveSummary {
            var executive: [String: Any] = [
                "whatHappened": summary.whatHappened, "impact": summary.impact, "actNow": summary.actNow,
                "hasActNow": !summary.actNow.isEmpty,
            ]
            if !summary.hosts.isEmpty { executive["hosts"] = summary.hosts.joined(separator: ", ") }
            if !summary.accounts.isEmpty { executive["accounts"] = summary.accounts.joined(separator: ", ") }
            values["executive"] = executive
        }
        return values
    }

    static func technique(_ id: String) -> [String: Any] {
        var values: [String: Any] = ["id": id]
        if let url = HTMLText.attackURL(id) { values["url"] = url }
        return values
    }

    static func finding(_ finding: Finding) -> [String: Any] {
        var values: [String: Any] = [
            "title": finding.title,
            "severity": finding.severity.rawValue,
            "severityClass": finding.severity.rawValue.lowercased(),
            "detail": finding.detail,
            "techniques": finding.attackTechniques.map(technique),
            "hasTechniques": !finding.attackTechniques.isEmpty || finding.rule != nil,
            "evidence": finding.evidence,
            "evidenceCount": finding.evidence.count,
            "hasEvidence": !finding.evidence.isEmpty,
        ]
        if let rule = finding.rule { values["rule"] = rule }
        return values
    }

    static func json(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The parsed templates and the stylesheet, read once from the module's resources.
    struct Templates: Sendable {
        var library = MustacheLibrary()
        var css = ""
    }

    static let templates: Templates = {
        var templates = Templates()
        for name in ["report", "page"] {
            guard
                let url = Bundle.module.url(
                    forResource: name,
                    withExtension: "mustache",
                    subdirectory: "Resources/html"
                ),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { preconditionFailure("the \(name) template is missing from the build") }
            do {
                try templates.library.register(text, named: name)
            } catch {
                preconditionFailure("the \(name) template does not parse: \(error)")
            }
        }
        try? templates.library.register("{{#report}}{{> report}}{{/report}}", named: "report-frame")
        if let url = Bundle.module.url(forResource: "style", withExtension: "css", subdirectory: "Resources/html") {
            templates.css = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        }
        return templates
    }()
}
