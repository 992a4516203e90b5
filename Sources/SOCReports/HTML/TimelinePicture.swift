import Foundation
public import SOCModel
import SOCParsers

/// The incident's timeline drawn as an SVG picture: one row per subject (host, account, address), events as marks
/// on a shared time axis, and the attack chain's steps — entries about an entity of an attack-chain finding —
/// drawn larger and numbered in time order. Every label is escaped; the picture is a fixed size whatever the input.
public struct TimelinePicture: Sendable {
    /// Rows drawn; later subjects share one "other" row.
    public static let maximumRows = 12
    /// Marks drawn; a longer timeline is drawn from its first entries and says how many were left out.
    public static let maximumMarks = 500

    let entries: [(time: Timestamp, entry: TimelineEntry)]
    let chainSubjects: Set<String>
    let undated: Int

    /// - Parameters:
    ///   - timeline: The report's timeline.
    ///   - findings: The report's findings; an attack-chain finding's hosts, accounts and addresses mark its steps.
    public init(timeline: [TimelineEntry], findings: [Finding]) {
        var dated: [(Timestamp, TimelineEntry)] = []
        var undated = 0
        for entry in timeline {
            if let time = TimestampParser.parse(entry.timestamp) { dated.append((time, entry)) } else { undated += 1 }
        }
        dated.sort { $0.0 < $1.0 }
        entries = Array(dated.prefix(Self.maximumMarks))
        self.undated = undated + max(0, dated.count - Self.maximumMarks)
        var subjects = Set<String>()
        for finding in findings where finding.kind == .attackChain {
            let entities = finding.entities
            subjects.formUnion((entities.hosts + entities.users + entities.addresses).map { $0.lowercased() })
        }
        chainSubjects = subjects
    }

    /// Whether there is anything to draw.
    public var isEmpty: Bool { entries.isEmpty }

    /// Whether an entry is a step of the attack chain.
    func isChainStep(_ entry: TimelineEntry) -> Bool {
        guard let subject = entry.subject else { return false }
        return chainSubjects.contains(subject.lowercased())
    }

    /// The picture as an `<svg>` element.
    public var svg: String {
        let width = 960.0
        let labelWidth = 170.0
        let rowHeight = 34.0
        let top = 16.0
        var rows: [String] = []
        for (_, entry) in entries {
            let subject = entry.subject ?? "—"
            if !rows.contains(subject) && rows.count < Self.maximumRows { rows.append(subject) }
        }
        let hasOther = entries.contains { !rows.contains($0.entry.subject ?? "—") }
        if hasOther { rows.append("other") }
        let height = top + Double(max(rows.count, 1)) * rowHeight + 62
        let plotLeft = labelWidth + 10
        let plotRight = width - 20
        let start = entries.first?.time.secondsSinceEpoch ?? 0
        let end = entries.last?.time.secondsSinceEpoch ?? 0
        let span = max(end - start, 1)
        func x(_ time: Timestamp) -> Double {
            entries.count == 1 || end == start
                ? (plotLeft + plotRight) / 2
                : plotLeft + (time.secondsSinceEpoch - start) / span * (plotRight - plotLeft)
        }
        func row(_ entry: TimelineEntry) -> Int {
            rows.firstIndex(of: entry.subject ?? "—") ?? rows.count - 1
        }
        func format(_ value: Double) -> String { String(Int(value.rounded())) }

        var svg =
            #"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="\#(Int(width))" height="\#(Int(height))">"#
        svg += #"<title>Timeline: \#(entries.count) events on \#(rows.count) rows</title>"#
        for (index, name) in rows.enumerated() {
            let y = top + Double(index) * rowHeight + rowHeight / 2
            let label = name.count > 26 ? String(name.prefix(25)) + "…" : name
            svg +=
                #"<line class="row" x1="\#(format(plotLeft))" y1="\#(format(y))" x2="\#(format(plotRight))" y2="\#(format(y))"/>"#
            svg +=
                #"<text class="subject" x="\#(format(labelWidth))" y="\#(format(y + 4))" text-anchor="end">\#(HTMLText.escape(label))</text>"#
        }
        let axisY = top + Double(rows.count) * rowHeight + 6
        svg +=
            #"<line class="axis" x1="\#(format(plotLeft))" y1="\#(format(axisY))" x2="\#(format(plotRight))" y2="\#(format(axisY))"/>"#
        let ticks = entries.isEmpty ? 0 : (end == start ? 1 : 5)
        // Times of day when the timeline is within one UTC day (the day is named once); else month, day and time.
        let firstDay = entries.first.map { String($0.time.iso8601.prefix(10)) } ?? ""
        let sameDay = entries.allSatisfy { $0.time.iso8601.hasPrefix(firstDay) }
        svg +=
            #"<text class="time" x="\#(format(plotLeft))" y="\#(format(axisY + 36))">\#(sameDay ? firstDay + " (UTC)" : "UTC")</text>"#
        for tick in 0..<ticks {
            let seconds = ticks == 1 ? start : start + span * Double(tick) / Double(ticks - 1)
            let time = Timestamp(secondsSinceEpoch: seconds)
            let tickX =
                ticks == 1
                ? (plotLeft + plotRight) / 2 : plotLeft + (plotRight - plotLeft) * Double(tick) / Double(ticks - 1)
            let anchor = tick == 0 && ticks > 1 ? "start" : (tick == ticks - 1 && ticks > 1 ? "end" : "middle")
            let label =
                sameDay
                ? String(time.iso8601.dropFirst(11).prefix(8))
                : String(time.iso8601.dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " ")
            svg +=
                #"<line class="tick" x1="\#(format(tickX))" y1="\#(format(axisY))" x2="\#(format(tickX))" y2="\#(format(axisY + 5))"/>"#
            svg +=
                #"<text class="time" x="\#(format(tickX))" y="\#(format(axisY + 20))" text-anchor="\#(anchor)">\#(label)</text>"#
        }
        // Marks on one row that would overlap are spread apart (their order kept) and held inside the plot.
        let gap = 20.0
        var positions = entries.map { x($0.time) }
        var rowsOfEntries: [Int: [Int]] = [:]
        for (index, (_, entry)) in entries.enumerated() { rowsOfEntries[row(entry), default: []].append(index) }
        for indices in rowsOfEntries.values {
            for (offset, index) in indices.enumerated().dropFirst() {
                positions[index] = max(positions[index], positions[indices[offset - 1]] + gap)
            }
            for (offset, index) in indices.enumerated().reversed() {
                let limit = offset == indices.count - 1 ? plotRight : positions[indices[offset + 1]] - gap
                positions[index] = max(plotLeft, min(positions[index], limit))
            }
        }
        var step = 0
        for (index, (_, entry)) in entries.enumerated() {
            let cx = positions[index]
            let cy = top + Double(row(entry)) * rowHeight + rowHeight / 2
            let tooltip = HTMLText.escape("\(entry.timestamp) \(entry.subject ?? "") — \(entry.description)")
            if isChainStep(entry) {
                step += 1
                svg += #"<g class="step"><title>Attack chain step \#(step): \#(tooltip)</title>"#
                svg += #"<circle cx="\#(format(cx))" cy="\#(format(cy))" r="9"/>"#
                svg += #"<text x="\#(format(cx))" y="\#(format(cy + 4))" text-anchor="middle">\#(step)</text></g>"#
            } else {
                svg +=
                    #"<circle class="event" cx="\#(format(cx))" cy="\#(format(cy))" r="5"><title>\#(tooltip)</title></circle>"#
            }
        }
        if undated > 0 {
            svg +=
                #"<text class="time" x="\#(format(plotRight))" y="\#(format(height - 4))" text-anchor="end">\#(undated) more not drawn</text>"#
        }
        return svg + "</svg>"
    }
}
