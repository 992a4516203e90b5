import ArgumentParser
import Foundation
import SOCParsers

/// `socagent formats`
struct Formats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the log formats socagent reads (for --format).")

    func run() {
        for format in LogFormat.all {
            print("\(format.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(format.summary)")
        }
    }
}
