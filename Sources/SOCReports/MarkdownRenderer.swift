public import SOCModel

/// Renders a report as Markdown for people. Everything that came from logs or tools is attacker-controlled, so it
/// is shown as data: inline values in code spans, evidence in fenced blocks whose fence is longer than any backtick
/// run inside, never as Markdown structure (a `# heading` or a link in a user name stays literal text).
public enum MarkdownRenderer {
    public static func render(_ report: IncidentReport) -> String {
        var lines: [String] = []
        lines.append(
            "# \(report.incidentID) — \(report.severity.rawValue)\(report.synthetic == true ? " — DEMO (synthetic data)" : "")"
        )
        lines.append("")
        lines.append("Created \(report.createdAt) by the \(ReportText.analyst(report.analyst)).")
        lines.append("")
        if let executive = report.executiveSummary {
            lines.append("## Executive summary")
            lines.append("")
            lines.append("- **What happened:** " + plain(executive.whatHappened))
            lines.append("- **Impact:** " + plain(executive.impact))
            if !executive.hosts.isEmpty || !executive.accounts.isEmpty {
                lines.append(
                    "- **Affected:** hosts "
                        + (executive.hosts.isEmpty ? "none named" : plain(executive.hosts.joined(separator: ", ")))
                        + "; accounts "
                        + (executive.accounts.isEmpty
                            ? "none named" : plain(executive.accounts.joined(separator: ", ")))
                )
            }
            if !executive.actNow.isEmpty {
                lines.append("- **What to do now:**")
                for (index, action) in executive.actNow.enumerated() {
                    lines.append("  \(index + 1). " + plain(action))
                }
            }
            lines.append("")
        }
        lines.append("## Summary")
        lines.append("")
        lines.append(plain(report.summary))
        if let alert = report.alert {
            lines.append("")
            lines.append("Alert:")
            lines.append("")
            lines += fenced(alert)
        }
        lines.append("")
        lines.append("## Severity: \(report.severity.rawValue)")
        lines.append("")
        for reason in report.severityReasons { lines.append("- " + plain(reason)) }
        if !report.findings.isEmpty {
            lines.append("")
            lines.append("## Findings")
            for finding in report.findings {
                lines.append("")
                let techniques =
                    finding.attackTechniques.isEmpty
                    ? "" : " (" + finding.attackTechniques.map(code).joined(separator: ", ") + ")"
                lines.append("### \(finding.severity.rawValue): \(plain(finding.title))\(techniques)")
                lines.append("")
                lines.append(plain(finding.detail))
                if !finding.evidence.isEmpty {
                    lines.append("")
                    lines += fenced(finding.evidence.joined(separator: "\n"))
                }
            }
        }
        if !report.attackTechniques.isEmpty {
            lines.append("")
            lines.append("## MITRE ATT&CK")
            lines.append("")
            lines.append(report.attackTechniques.map(code).joined(separator: ", "))
        }
        if !report.timeline.isEmpty {
            lines.append("")
            lines.append("## Timeline")
            lines.append("")
            lines.append("| time | what | where |")
            lines.append("| --- | --- | --- |")
            for entry in report.timeline {
                lines.append(
                    "| \(code(entry.timestamp)) | \(cell(entry.description)) | \(entry.subject.map(code) ?? "") |"
                )
            }
        }
        let indicators = report.indicators.lists.filter { !$0.values.isEmpty }
        if !indicators.isEmpty {
            lines.append("")
            lines.append("## Indicators")
            lines.append("")
            for (kind, values) in indicators { lines.append("- \(kind): " + values.map(code).joined(separator: ", ")) }
        }
        if !report.recommendations.isEmpty {
            lines.append("")
            lines.append("## Recommendations")
            lines.append("")
            for (index, recommendation) in report.recommendations.enumerated() {
                lines.append("\(index + 1). " + plain(recommendation))
            }
        }
        if !report.toolCalls.isEmpty {
            lines.append("")
            lines.append("## Tool calls")
            lines.append("")
            lines.append("| tool | result | ms |")
            lines.append("| --- | --- | ---: |")
            for call in report.toolCalls {
                lines.append("| \(code(call.tool)) | \(cell(call.resultSummary)) | \(call.durationMilliseconds) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text with Markdown's special characters escaped, on one line.
    static func plain(_ text: String) -> String {
        var output = ""
        for character in text {
            switch character {
            case "\n", "\r": output.append(" ")
            case "\\", "`", "*", "_", "{", "}", "[", "]", "<", ">", "(", ")", "#", "+", "!", "|", "~":
                output.append("\\")
                output.append(character)
            default: output.append(character)
            }
        }
        return output
    }

    /// An inline code span that no backtick inside can close.
    static func code(_ text: String) -> String {
        let flat = text.replacingNewlines()
        let longest = flat.longestRun(of: "`")
        let fence = String(repeating: "`", count: longest + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
        return fence + pad + flat.replacing("|", with: "\\|") + pad + fence
    }

    /// A table cell: plain text without pipes breaking the row.
    private static func cell(_ text: String) -> String { plain(text) }

    /// A fenced block longer than any backtick run in `text`.
    static func fenced(_ text: String) -> [String] {
        let fence = String(repeating: "`", count: max(3, text.longestRun(of: "`") + 1))
        return [fence + "text"] + text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + [
            fence
        ]
    }
}

extension String {
    fileprivate func longestRun(of character: Character) -> Int {
        var longest = 0
        var current = 0
        for each in self {
            current = each == character ? current + 1 : 0
            longest = Swift.max(longest, current)
        }
        return longest
    }

    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
