import Foundation
import SOCDetection
import SOCModel
import SOCParsers
import SOCStore

/// A seeded mutation fuzzer for the code that reads attacker-controlled text: the log parsers, the JSON scanner, the
/// XML reader, the Lucene parser, Sigma rule loading and date math. Inputs are real records mutated by bit flips,
/// truncations, splices and hostile tokens (huge numbers, `nan`, deep nesting, YAML aliases, pathological regexes).
/// Each run is reproducible from its seed; the slowest input and the peak memory are reported, and a crash stops the
/// process after the last progress line named the iteration.
public enum Fuzzing {
    /// What to fuzz.
    public enum Target: String, Sendable, CaseIterable, Codable {
        /// Every log format's parser (and the format sniffer) on records of that format.
        case lines
        /// The JSON scanner.
        case json
        /// The Windows event XML parser (its XML reader).
        case xml
        /// The Lucene query parser, and the evaluator on one event.
        case lucene
        /// Sigma rule loading (YAML, conditions, modifiers).
        case sigma
        /// Elasticsearch date math.
        case dateMath = "date-math"
        /// The `.evtx` reader (chunks, records, BinXML templates) and the Windows normalizer behind it.
        case evtx
    }

    /// A run's outcome.
    public struct Result: Sendable, Codable, Equatable {
        public var target: Target
        public var seed: UInt64
        public var inputs: Int
        /// Inputs the code accepted (parsed, loaded) rather than rejected with an error.
        public var accepted: Int
        public var seconds: Double
        /// The slowest single input, in milliseconds, and its iteration (to reproduce it).
        public var slowestMilliseconds: Double
        public var slowestIteration: Int
        public var peakRSSMegabytes: Double

        enum CodingKeys: String, CodingKey {
            case target, seed, inputs, accepted, seconds
            case slowestMilliseconds = "slowest_ms"
            case slowestIteration = "slowest_iteration"
            case peakRSSMegabytes = "peak_rss_megabytes"
        }
    }

    /// One seed input, with the log format it is a record of (for ``Target/lines``).
    public struct Seed: Sendable {
        public var bytes: [UInt8]
        public var format: String?

        public init(bytes: [UInt8], format: String? = nil) {
            self.bytes = bytes
            self.format = format
        }
    }

    /// Reads seeds for `target` from files and folders: records of each log file (its sniffed format), lines of
    /// other text files, whole `.yml` and `.xml` files; built-in seeds are always added.
    public static func seeds(for target: Target, paths: [String], limit: Int = 2000) throws -> [Seed] {
        var seeds = builtIn(target).map { Seed(bytes: Array($0.utf8)) }
        var files: [String] = []
        for path in try IngestService.expandInputs(paths) where path != "-" { files.append(path) }
        for file in files.sorted() where seeds.count < limit {
            switch target {
            case .evtx:
                if let seed = EVTXFuzzing.seed(file), EVTXFuzzing.isQuick(seed) { seeds.append(Seed(bytes: seed)) }
            case .sigma:
                guard file.hasSuffix(".yml") || file.hasSuffix(".yaml"),
                    let data = FileManager.default.contents(atPath: file)
                else { continue }
                seeds.append(Seed(bytes: Array(data)))
            case .xml:
                guard file.hasSuffix(".xml"), let data = FileManager.default.contents(atPath: file) else { continue }
                seeds.append(Seed(bytes: Array(data.prefix(64 * 1024))))
            case .lines:
                var reader = try EventFileReader(
                    path: file,
                    options: .init(referenceTime: Timestamp(secondsSinceEpoch: 1.7e9))
                )
                guard let batch = try? reader.nextBatch() else { continue }
                for event in batch.prefix(40) where !event.original.isEmpty {
                    seeds.append(Seed(bytes: Array(event.original.utf8), format: reader.summary.format))
                }
            case .json, .lucene, .dateMath:
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                for line in data.split(separator: 0x0A).prefix(40) where !line.isEmpty && line.count < 16 * 1024 {
                    seeds.append(Seed(bytes: Array(line)))
                }
            }
        }
        return seeds
    }

    /// Runs `iterations` mutated inputs against `target`.
    /// - Parameter progress: Called every 100,000 inputs with the iteration reached.
    /// - Parameter trace: When given, each input is written to this file before it runs, so the input that crashed
    ///   the process is left there.
    public static func run(
        _ target: Target,
        seeds: [Seed],
        iterations: Int,
        seed: UInt64,
        trace: String? = nil,
        progress: (Int) -> Void = { _ in }
    ) -> Result {
        var random = SplitMix64(seed: seed)
        var result = Result(
            target: target,
            seed: seed,
            inputs: 0,
            accepted: 0,
            seconds: 0,
            slowestMilliseconds: 0,
            slowestIteration: 0,
            peakRSSMegabytes: 0
        )
        let pool = seeds.isEmpty ? [Seed(bytes: [])] : seeds
        var harness = Harness()
        let started = ContinuousClock.now
        for iteration in 0..<iterations {
            if iteration % 100_000 == 0 { progress(iteration) }
            let base = pool[Int(random.next() % UInt64(pool.count))]
            let other = pool[Int(random.next() % UInt64(pool.count))]
            let input =
                target == .evtx
                ? EVTXFuzzing.mutate(base.bytes, random: &random)
                : Mutator.mutate(base.bytes, splice: other.bytes, random: &random)
            if let trace { _ = FileManager.default.createFile(atPath: trace, contents: Data(input)) }
            let before = ContinuousClock.now
            if harness.run(target, input, format: base.format) { result.accepted += 1 }
            let milliseconds = (ContinuousClock.now - before).timeInterval * 1000
            if milliseconds > result.slowestMilliseconds {
                result.slowestMilliseconds = milliseconds
                result.slowestIteration = iteration
            }
            result.inputs += 1
        }
        result.seconds = (ContinuousClock.now - started).timeInterval
        result.peakRSSMegabytes = Double(ProcessStatistics.peakResidentBytes) / 1_000_000
        return result
    }

    /// The code under test, with what it keeps between inputs.
    private struct Harness {
        var scanner = JSONScanner()
        var parsers: [String: any LogParser] = [:]
        let event: SecurityEvent = {
            let record = "Feb  4 10:15:23 host sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2"
            var event = SecurityEvent(
                id: EventIdentifier(record: record),
                timestamp: Timestamp(secondsSinceEpoch: 1_707_041_723),
                original: record
            )
            event.set(ECSField.message, "Failed password for root from 203.0.113.9 port 22 ssh2")
            event.set(ECSField.userName, "root")
            event.set(ECSField.sourceIP, "203.0.113.9")
            return event
        }()

        /// Whether the input was accepted.
        mutating func run(_ target: Target, _ input: [UInt8], format: String?) -> Bool {
            switch target {
            case .lines:
                let name = format ?? "syslog"
                var parser = parsers[name] ?? EventFileReader.makeParser(LogFormat.named(name) ?? .syslog)
                defer { parsers[name] = parser }
                var context = ParseContext(
                    options: .init(referenceTime: Timestamp(secondsSinceEpoch: 1.7e9)),
                    path: nil
                )
                var events: [SecurityEvent] = []
                let parsed = input.withUnsafeBytes { bytes -> Bool in
                    _ = FormatSniffer.sniff(bytes, context: context)
                    do {
                        try parser.parse(bytes, line: 1, context: &context, into: &events)
                        return true
                    } catch {
                        return false
                    }
                }
                return parsed && !events.isEmpty
            case .json:
                return input.withUnsafeBytes { bytes in (try? scanner.scan(bytes)) != nil }
            case .evtx:
                return EVTXFuzzing.read(input)
            case .xml:
                var parser = EventFileReader.makeParser(.windowsXML)
                var context = ParseContext(
                    options: .init(referenceTime: Timestamp(secondsSinceEpoch: 1.7e9)),
                    path: nil
                )
                var events: [SecurityEvent] = []
                return input.withUnsafeBytes { bytes in
                    (try? parser.parse(bytes, line: 1, context: &context, into: &events)) != nil
                }
            case .lucene:
                guard let query = try? LuceneParser.parse(String(decoding: input, as: UTF8.self)) else { return false }
                _ = LuceneEvaluator(now: Timestamp(secondsSinceEpoch: 1_707_041_723)).matches(query, event)
                return true
            case .sigma:
                let text = String(decoding: input, as: UTF8.self)
                guard case .success(let rule) = SigmaRule.load(yaml: text, path: "fuzz.yml", logSources: .bundled)
                else {
                    return false
                }
                _ = SigmaEngine(rules: [rule]).detect([event])
                return true
            case .dateMath:
                let text = String(decoding: input, as: UTF8.self)
                return DateMath.resolve(
                    text,
                    now: Timestamp(secondsSinceEpoch: 1_707_041_723),
                    roundUp: input.count % 2 == 0
                )
                    != nil
            }
        }
    }

    private static func builtIn(_ target: Target) -> [String] {
        switch target {
        case .evtx:
            []
        case .lines, .json, .xml:
            [
                "Dec 10 09:11:21 LabSZ sshd[24439]: Failed password for invalid user admin from 103.99.0.122 port 55177 ssh2",
                "type=USER_LOGIN msg=audit(1700000000.123:1): pid=1 uid=0 res=failed",
                #"{"Event":{"System":{"EventID":4625,"Computer":"DC01","TimeCreated":{"SystemTime":"2024-02-04T10:15:23Z"}},"EventData":{"TargetUserName":"admin","IpAddress":"45.142.212.61"}}}"#,
                #"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4625</EventID><Computer>DC01</Computer></System><EventData><Data Name="TargetUserName">admin</Data></EventData></Event>"#,
            ]
        case .lucene:
            [
                #"event.code:4625 AND source.ip:"203.0.113.0/24""#, "message:/(a+)+/", "root~2",
                "@timestamp:[now-7d/d TO now]",
                "process.name:*shell.exe AND NOT user.name:svc_*", "_exists_:user.name", #"a\ b\:c"#,
                "(a OR b)^2 AND -c",
            ]
        case .sigma:
            [
                """
                title: Fuzz
                id: 0e0c7a6c-0000-4000-8000-000000000001
                logsource: {product: windows, category: process_creation}
                detection:
                  sel: {Image|endswith: '\\\\powershell.exe', CommandLine|contains|all: ['-enc', 'bypass'], User|re: '(a+)+$'}
                  filter: {ParentImage|startswith: 'C:\\\\Windows'}
                  condition: sel and not filter
                level: high
                tags: [attack.execution, attack.t1059.001]
                """
            ]
        case .dateMath:
            [
                "now-7d/d", "2024-02-04T10:15:23Z||+1M/d", "now-99999999999999d", "2024-02-04", "now+1h-30m/h",
                "1707041723000",
            ]
        }
    }
}

/// Mutations of a seed input.
enum Mutator {
    /// Tokens that have broken parsers before, or could.
    static let tokens: [[UInt8]] = [
        "1e300", "-1e300", "nan", "inf", "-inf", "-1", "0", "99999999999999999999", "9223372036854775807",
        "-9223372036854775808", "18446744073709551616", "\u{0}", "\u{1B}[2J", "\"", "\\", "\\u0000", "\\ud800", "{",
        "}",
        "[", "]", String(repeating: "[", count: 300), String(repeating: "{\"a\":", count: 300), "<![CDATA[", "&#0;",
        "&amp;", "<!DOCTYPE x [<!ENTITY a \"b\">]>", "*:*", "~", "^", "/", "(a+)+", "now-99999999999999999999d", "||",
        "message repeated -1000 times: [ ", "message repeated 9223372036854775807 times: [ ", "&a [*a,*a,*a,*a]",
        "|re", "|base64offset|contains", "1 of them", "all of sel_*", ":", "=", "\r\n", "\u{FEFF}", "\u{202E}",
    ].map { Array($0.utf8) }

    static func mutate(_ seed: [UInt8], splice other: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        let rounds = 1 + Int(random.next() % 4)
        for _ in 0..<rounds {
            let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + 1))
            switch random.next() % 8 {
            case 0 where !bytes.isEmpty:  // flip a bit
                let index = min(position, bytes.count - 1)
                bytes[index] ^= UInt8(1 << (random.next() % 8))
            case 1:  // insert a hostile token
                bytes.insert(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))], at: position)
            case 2 where !bytes.isEmpty:  // delete a range
                let length = min(bytes.count - min(position, bytes.count), 1 + Int(random.next() % 16))
                bytes.removeSubrange(min(position, bytes.count)..<min(position, bytes.count) + length)
            case 3 where !bytes.isEmpty:  // duplicate a range
                let start = min(position, bytes.count - 1)
                let end = min(bytes.count, start + 1 + Int(random.next() % 64))
                bytes.insert(contentsOf: bytes[start..<end], at: end)
            case 4:  // truncate
                let cut = min(position, bytes.count)
                bytes.removeSubrange(cut...)
            case 5 where !other.isEmpty:  // splice another seed's tail
                let from = Int(random.next() % UInt64(other.count))
                bytes = Array(bytes[..<min(position, bytes.count)]) + other[from...]
            case 6 where !bytes.isEmpty:  // set a byte to an interesting value
                let index = min(position, bytes.count - 1)
                let values: [UInt8] = [0, 0x7F, 0x80, 0xFF, 0x22, 0x5C, 0x7B, 0x3C, 0x0A, 0x20, 0x30, 0x39]
                bytes[index] = values[Int(random.next() % UInt64(values.count))]
            default:  // repeat a token many times
                let token = tokens[Int(random.next() % UInt64(tokens.count))]
                for _ in 0..<(1 + Int(random.next() % 64)) {
                    bytes.insert(contentsOf: token, at: min(position, bytes.count))
                }
            }
            if bytes.count > 256 * 1024 { bytes.removeSubrange((256 * 1024)...) }
        }
        return bytes
    }
}
