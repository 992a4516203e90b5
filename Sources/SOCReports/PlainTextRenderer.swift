public import SOCModel

/// Renders a report for a terminal: plain text wrapped at word boundaries, no Markdown escapes, and every control
/// character from log content shown as a visible symbol (an escape sequence in a user name never reaches the
/// terminal). Files get ``MarkdownRenderer``.
public enum PlainTextRenderer {
    /// The report as lines of at most `width` characters (a single long word may exceed it).
    public static func render(_ report: IncidentReport, width: Int = 100) -> String {
        var output = Output(width: width)
        let title =
            "\(report.incidentID) — \(report.severity.rawValue)"
            + (report.synthetic == true ? " — DEMO (synthetic data)" : "")
        output.line(title)
        output.line(String(repeating: "=", count: min(width, title.count)))
        output.paragraph("Created \(report.createdAt) by the \(ReportText.analyst(report.analyst)).")
        if let executive = report.executiveSummary {
            output.heading("EXECUTIVE SUMMARY")
            output.item("What happened: " + executive.whatHappened)
            output.item("Impact: " + executive.impact)
            if !executive.hosts.isEmpty || !executive.accounts.isEmpty {
                output.item(
                    "Affected: hosts "
                        + (executive.hosts.isEmpty ? "none named" : executive.hosts.joined(separator: ", "))
                        + "; accounts "
                        + (executive.accounts.isEmpty ? "none named" : executive.accounts.joined(separator: ", "))
                )
            }
            for (index, action) in executive.actNow.enumerated() {
                output.item(
                    "\(index + 1). " + action,
                    bullet: index == 0 ? "- What to do now: " : "                   "
                )
            }
        }
        output.heading("SUMMARY")
        output.paragraph(report.summary)
        if let alert = report.alert {
            output.paragraph("Alert: " + alert)
        }
        output.heading("SEVERITY: \(report.severity.rawValue)")
        for reason in report.severityReasons { output.item(reason) }
        if !report.findings.isEmpty {
            output.heading("FINDINGS")
            for finding in report.findings {
                let techniques =
                    finding.attackTechniques.isEmpty
                    ? "" : " (" + finding.attackTechniques.joined(separator: ", ") + ")"
                output.blank()
                output.paragraph("\(finding.severity.rawValue): \(finding.title)\(techniques)", separated: false)
                output.paragraph(finding.detail, indent: "  ", separated: false)
                for evidence in finding.evidence { output.paragraph(evidence, indent: "  | ", separated: false) }
            }
        }
        if !report.attackTechniques.isEmpty {
            output.heading("MITRE ATT&CK")
            output.paragraph(report.attackTechniques.joined(separator: ", "), separated: false)
        }
        if !report.timeline.isEmpty {
            output.heading("TIMELINE")
            for entry in report.timeline {
                output.paragraph(
                    "\(entry.timestamp)  \(entry.subject ?? "-")  \(entry.description)",
                    hanging: "    ",
                    separated: false
                )
            }
        }
        let indicators = report.indicators.lists.filter { !$0.values.isEmpty }
        if !indicators.isEmpty {
            output.heading("INDICATORS")
            for (kind, values) in indicators { output.item("\(kind): " + values.joined(separator: ", ")) }
        }
        if !report.recommendations.isEmpty {
            output.heading("RECOMMENDATIONS")
            for (index, recommendation) in report.recommendations.enumerated() {
                output.paragraph("\(index + 1). " + recommendation, hanging: "   ", separated: false)
            }
        }
        if !report.toolCalls.isEmpty {
            output.heading("TOOL CALLS")
            for call in report.toolCalls {
                output.paragraph(
                    "\(call.tool) (\(call.durationMilliseconds) ms): \(call.resultSummary)",
                    hanging: "    ",
                    separated: false
                )
            }
        }
        return output.lines.joined(separator: "\n") + "\n"
    }

    /// Lines being built: every piece of text is made visible and wrapped.
    private struct Output {
        let width: Int
        var lines: [String] = []

        mutating func line(_ text: String) { lines.append(DisplayText.visible(text)) }

        mutating func blank() { if lines.last?.isEmpty == false { lines.append("") } }

        mutating func heading(_ text: String) {
            blank()
            lines.append(text)
        }

        /// A wrapped paragraph; continuation lines start with `hanging` (the indent by default).
        mutating func paragraph(_ text: String, indent: String = "", hanging: String? = nil, separated: Bool = true) {
            if separated { blank() }
            let rest = hanging ?? indent
            let wrapped = DisplayText.wrapped(
                DisplayText.visible(text),
                width: max(20, width - max(indent.count, rest.count))
            )
            for (index, piece) in wrapped.enumerated() { lines.append((index == 0 ? indent : rest) + piece) }
        }

        mutating func item(_ text: String, bullet: String = "- ") {
            paragraph(text, indent: bullet, hanging: String(repeating: " ", count: bullet.count), separated: false)
        }
    }
}
