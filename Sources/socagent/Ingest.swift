import ArgumentParser
import Foundation
import SOCAnalystKit
import SOCModel
import SOCParsers
import SOCStore

/// `socagent ingest PATH...`
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse log files into the event store.",
        discussion: """
            PATH may be a file, a directory (read recursively) or - for standard input; gzip input is read \
            compressed. The format of each input is sniffed from its content unless --format is given. \
            Records that cannot be parsed are counted and reported with their line and reason; every valid event \
            is kept, and re-ingesting the same records does not duplicate them.
            Formats: \(LogFormat.all.map(\.name).joined(separator: ", ")) (see `socagent formats`).
            """
    )

    @Argument(help: "Files, directories or - (standard input).")
    var paths: [String]

    @Option(help: "The format of every input, instead of sniffing it.")
    var format: String?

    @Option(
        help: "The year for syslog timestamps that have none (default: inferred, so that no event is in the future)."
    )
    var year: Int?

    @Option(help: "Reject records longer than this many bytes.")
    var maxRecordBytes = 4 << 20

    @Option(
        help: """
            Stop reading a gzip input that decompresses to more than N times its compressed size (after its first \
            MiB): real logs compress 10 to 60 times, a decompression bomb about 1,000. The events read before the \
            limit are kept and the input is reported. 0: no limit.
            """
    )
    var maxDecompressionRatio = InputSource.defaultMaximumDecompressionRatio

    @Flag(
        help: """
            Also read .evtx records left in slack space after each chunk's last valid record (older records of a log \
            that was cleared or overwritten), tagged evtx-slack-recovered. Off by default, so a file gives the records \
            Windows shows.
            """
    )
    var recoverSlack = false

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print one JSON object with the counts instead of a summary.")
    var json = false

    func validate() throws {
        if let format, LogFormat.named(format) == nil {
            throw ValidationError(
                "unknown format '\(format)'; expected one of: \(LogFormat.all.map(\.name).joined(separator: ", "))"
            )
        }
        if let year, !(1970...9999).contains(year) { throw ValidationError("--year must be between 1970 and 9999") }
        if maxRecordBytes < 1024 { throw ValidationError("--max-record-bytes must be at least 1024") }
        if maxDecompressionRatio < 0 { throw ValidationError("--max-decompression-ratio must be 0 (no limit) or more") }
    }

    func run() async throws {
        // Check every input before touching the store, so a typo writes nothing.
        let inputs: [String]
        do {
            inputs = try IngestService.expandInputs(paths)
        } catch {
            throw CleanError("\(error)")
        }
        if inputs.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        let storePath = storeOptions.resolvedStore
        let store = try await storeOptions.open(mustExist: false)
        let now = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        var request = IngestService.Request(
            paths: inputs,
            format: format.flatMap(LogFormat.named),
            options: .init(year: year, referenceTime: now)
        )
        request.maximumRecordBytes = maxRecordBytes
        request.recoversEVTXSlack = recoverSlack
        request.maximumDecompressionRatio = maxDecompressionRatio == 0 ? nil : maxDecompressionRatio
        let showProgress = Terminal.standardErrorIsTerminal && !json
        let progress = ProgressLine(enabled: showProgress)
        let report: IngestReport
        do {
            report = try await IngestService(store: store).run(request) { progress.update($0) }
        } catch {
            progress.clear()
            throw CleanError("\(error)")
        }
        progress.clear()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        printSummary(report, storePath: storePath)
        let statistics = try await store.statistics(top: 5)
        Terminal.show(StatisticsRenderer.render(statistics, title: "Store \(storePath)"))
    }

    private func printSummary(_ report: IngestReport, storePath: String) {
        let rate = report.seconds > 0 ? Int(Double(report.events) / report.seconds) : report.events
        print(
            "Ingested \(Terminal.grouped(report.events)) events from \(report.files.count) input\(report.files.count == 1 ? "" : "s") in \(String(format: "%.2f", report.seconds)) s (\(Terminal.grouped(rate)) events/s): \(Terminal.grouped(report.inserted)) new, \(Terminal.grouped(report.duplicates)) already stored, \(Terminal.grouped(report.rejected)) rejected\(report.failed > 0 ? ", \(Terminal.grouped(report.failed)) refused by the store" : "")."
        )
        for failure in report.failures { Terminal.writeError("warning: the store refused \(failure)\n") }
        if report.failed > report.failures.count {
            Terminal.writeError(
                "warning: \(report.failed - report.failures.count) more events refused by the store, not listed\n"
            )
        }
        let width = min(60, report.files.map(\.path.count).max() ?? 0)
        for file in report.files {
            let name =
                file.path.count > width
                ? "…" + file.path.suffix(width - 1) : file.path.padding(toLength: width, withPad: " ", startingAt: 0)
            Terminal.show(
                "  \(name)  \(file.format.padding(toLength: 12, withPad: " ", startingAt: 0)) \(Terminal.grouped(file.events)) events, \(Terminal.grouped(file.rejected)) rejected"
            )
            for error in file.errors { Terminal.writeError("warning: \(file.path): \(error)\n") }
            for warning in file.warnings { Terminal.writeError("warning: \(file.path): \(warning)\n") }
            if file.rejected > file.errors.count {
                Terminal.writeError(
                    "warning: \(file.path): \(file.rejected - file.errors.count) more rejected records not listed\n"
                )
            }
        }
    }
}

/// A failure reported as `Error: message` with exit code 1, without a usage dump.
struct CleanError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A self-overwriting progress line on standard error, drawn at most five times a second.
final class ProgressLine: @unchecked Sendable {
    // Updated only from the ingest's parsing task, one call at a time; `lock` guards the shared state anyway.
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ progress: IngestService.Progress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        if progress.indexing {
            drawn = true
            Terminal.writeError(
                "\r\u{1B}[K\(Terminal.grouped(progress.events)) events read; building indexes and full-text search…"
            )
            return
        }
        guard now - lastDraw > .milliseconds(200) else { return }
        lastDraw = now
        drawn = true
        let name = progress.path.count > 40 ? "…" + progress.path.suffix(39) : progress.path
        Terminal.writeError(
            "\r\u{1B}[K[\(progress.filesDone + 1)/\(progress.files)] \(name): \(Terminal.grouped(progress.events)) events, \(progress.bytes >> 20) MiB"
        )
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { Terminal.writeError("\r\u{1B}[K") }
    }
}
