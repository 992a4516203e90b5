import ArgumentParser
import Foundation
import SOCModel
import SOCParsers

/// `socagent intel extract TEXT | --file F | --jsonl F`
struct IntelExtract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract:
            "Extract indicators (IPs, domains, URLs, e-mails, hashes, CVEs, users, hosts, times, paths) from text.",
        discussion:
            "Defanged forms (hxxp://, 1.2.3[.]4, example[.]com) are refanged. With --jsonl, each input line is a JSON string and each output line is that text's indicators."
    )

    @Argument(help: "The text to read (or use --file).")
    var text: String?

    @Option(help: "Read the text from this file ('-' for standard input).")
    var file: String?

    @Option(help: "Read a file of JSON strings, one per line, and print one JSON object of indicators per line.")
    var jsonl: String?

    @Flag(
        help:
            "Print JSON: one object of lists (ips, domains, urls, emails, hashes, cves, users, hosts, timestamps, paths)."
    )
    var json = false

    func validate() throws {
        let sources = [text != nil, file != nil, jsonl != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give the text, --file or --jsonl (exactly one)") }
    }

    func run() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let jsonl {
            let lines = try readText(jsonl).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() where !line.isEmpty {
                guard let text = try? JSONDecoder().decode(String.self, from: Data(line.utf8)) else {
                    throw CleanError("\(jsonl):\(number + 1):1: expected one JSON string per line")
                }
                print(String(decoding: try encoder.encode(IndicatorExtractor.extract(text)), as: UTF8.self))
            }
            return
        }
        let input = try text ?? readText(file ?? "-")
        let found = IndicatorExtractor.extract(input)
        if json {
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: try encoder.encode(found), as: UTF8.self))
            return
        }
        guard !found.isEmpty else {
            print("No indicators found.")
            return
        }
        for (kind, values) in found.lists where !values.isEmpty {
            Terminal.show(
                "\(kind.padding(toLength: 11, withPad: " ", startingAt: 0)) \(values.joined(separator: ", "))"
            )
        }
    }

    private func readText(_ path: String) throws -> String {
        let data: Data
        do {
            data =
                path == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CleanError("\(path): cannot read: \(error.localizedDescription)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
