import Foundation
public import SOCAgent
public import SOCModel
import SOCParsers

/// Reads an alert as the ingest parsers read logs: a pasted log record (an auth.log line, a Windows event as JSON,
/// a Sentinel row) becomes an alert with its parsed event, so its own time and fields drive the investigation; other
/// text stays free text. Dates without a year are placed by `referenceTime` — the store's newest event, not now, so
/// `Dec 10 09:11:21 …` pasted from a log in the store lands in that log's year.
public enum AlertReader {
    /// Why an alert file gave no alert.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong, with the file.
        public let description: String
    }

    /// The alert in `text`: a log record when a format other than generic text reads it, else free text.
    public static func read(text: String, referenceTime: Timestamp) -> Alert {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !trimmed.contains("\n") || trimmed.hasPrefix("{") || trimmed.hasPrefix("<") else {
            return Alert(text: text)
        }
        guard
            var reader = try? EventFileReader(
                text: trimmed,
                name: "alert",
                options: .init(referenceTime: referenceTime)
            ),
            let event = try? reader.nextBatch()?.first,
            reader.summary.format != LogFormat.text.name
        else { return Alert(text: text) }
        return Alert(text: text, event: event)
    }

    /// The first event of an alert file (an ECS event, a Sentinel incident or row, a log line); its text is the
    /// record as written.
    /// - Throws: ``Failure`` when the file cannot be read or holds no event.
    public static func read(file: String, referenceTime: Timestamp) throws -> Alert {
        do {
            var reader = try EventFileReader(path: file, options: .init(referenceTime: referenceTime))
            if let event = try reader.nextBatch()?.first {
                let text = event.original.isEmpty ? (event.string(ECSField.message) ?? "") : event.original
                return Alert(text: text, event: event)
            }
            let reason = reader.summary.errors.first.map { "line \($0.line): \($0.reason)" } ?? "empty"
            throw Failure(description: "\(file): no event could be read (\(reason))")
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "\(file): \(error)")
        }
    }
}
