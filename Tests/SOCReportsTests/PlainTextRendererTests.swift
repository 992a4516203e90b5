import Foundation
import SOCModel
import SOCReports
import Testing

/// Reports for a terminal: no escape sequence from log content reaches it, lines fit, no Markdown escapes.
@Suite struct PlainTextRendererTests {
    static let hostile = "\u{1B}]0;PWNED\u{07}\u{1B}[2J\u{1B}[1;31mFAKE ALERT\u{202E}"

    static func report() -> IncidentReport {
        var report = ReportStoreTests.sample()
        report.incidentID = "INC-20240204-102000"
        report.findings[0].evidence.append("user=\(hostile)\nsecond line of a script block")
        report.findings[0].entities = FindingEntities(hosts: ["DC01"], users: [hostile])
        report.recommendations.append("Review the sessions of (admin) [now]: " + String(repeating: "word ", count: 40))
        report.executiveSummary = ExecutiveSummary(report: report, meaning: "confirmed malicious activity")
        return report
    }

    @Test func controlCharactersAreShownAndLinesFit() {
        let text = PlainTextRenderer.render(Self.report(), width: 80)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!text.unicodeScalars.contains { $0.value == 0x202E })
        #expect(text.contains("␛]0;PWNED␇␛[2J␛[1;31mFAKE ALERT<U+202E>"))
        #expect(text.contains("second line of a script block"))  // the line feed shown as ␊, on the same line
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 80 })
        #expect(text.contains("Review the sessions of (admin) [now]"))  // no Markdown escapes on a terminal
        #expect(text.hasPrefix("INC-20240204-102000 — HIGH\n"))
        #expect(text.contains("EXECUTIVE SUMMARY\n- What happened: Brute force against admin"))
    }

    @Test func aSyntheticReportIsMarkedInBothRenderings() {
        var report = Self.report()
        report.synthetic = true
        #expect(PlainTextRenderer.render(report).hasPrefix("INC-20240204-102000 — HIGH — DEMO (synthetic data)"))
        #expect(MarkdownRenderer.render(report).hasPrefix("# INC-20240204-102000 — HIGH — DEMO (synthetic data)"))
        let json = String(decoding: (try? JSONEncoder().encode(report)) ?? Data(), as: UTF8.self)
        #expect(json.contains(#""synthetic":true"#))
    }

    @Test func textIsClippedAndWrappedAtWordBoundaries() {
        #expect(
            DisplayText.clipped("it is not configured (set VIRUSTOTAL_API_KEY to use it)", to: 40)
                == "it is not configured (set…"
        )
        #expect(DisplayText.clipped("short", to: 40) == "short")
        #expect(DisplayText.wrapped("one two three four", width: 9) == ["one two", "three", "four"])
        #expect(DisplayText.wrapped(String(repeating: "x", count: 12), width: 5) == ["xxxxx", "xxxxx", "xx"])
    }

    /// Analyst lines say what answered.
    @Test func theAnalystLineSaysWhatWasConsulted() {
        #expect(
            ReportText.analyst(AnalystInfo(mode: .offline, consulted: ["the event store", "abuseipdb (cached)"]))
                == "deterministic analyst (offline); consulted the event store, abuseipdb (cached)"
        )
        #expect(
            ReportText.analyst(AnalystInfo(mode: .anthropic, model: "claude-x", turns: 0, consulted: []))
                == "deterministic analyst (the anthropic model claude-x did not answer); nothing answered"
        )
    }
}
