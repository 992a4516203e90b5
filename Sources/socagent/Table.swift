import Foundation
import SOCModel

/// Plain-text tables for people: one line per row, whatever the data holds — control characters (a multi-line
/// PowerShell script block, an escape sequence in a user name) are shown as visible symbols, and long cells are cut at
/// a word boundary.
enum Table {
    static func render(_ headers: [String], _ rows: [[String]], maximumWidth: Int = 60) -> String {
        let clipped = rows.map { $0.map { DisplayText.clipped(DisplayText.visible($0), to: maximumWidth) } }
        var widths = headers.map(\.count)
        for row in clipped {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        let rule = line(widths.map { String(repeating: "-", count: $0) })
        return ([line(headers), rule] + clipped.map(line)).joined(separator: "\n")
    }
}
