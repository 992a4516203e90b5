import Foundation
public import SOCModel

/// Generates realistic Winlogbeat 8 (ECS, after the ingest pipeline) JSON lines, for benchmarks and demos.
///
/// The mix resembles a Windows domain: successful and failed logons (4624/4625, some from a brute-forcing external
/// address), process creations (4688) and Sysmon network connections (3), over many hosts and users. Output is
/// deterministic for a seed, so benchmark runs are comparable.
public struct SyntheticEvents: Sendable {
    /// What the generated documents look like.
    public enum Shape: String, Sendable, CaseIterable {
        /// Winlogbeat 8 after Elastic's ingest pipeline: ECS fields and `winlog.*` (about 730 bytes an event).
        case ecs
        /// Raw Winlogbeat before the pipeline: `winlog.*` only (about 330 bytes an event, DESIGN.md §3's shape).
        case raw
    }

    /// The first event's time.
    public var start: Timestamp
    /// The random seed.
    public var seed: UInt64
    /// The document shape.
    public var shape: Shape

    /// Creates a generator.
    public init(
        start: Timestamp = Timestamp(microsecondsSinceEpoch: 1_706_998_400_000_000),
        seed: UInt64 = 42,
        shape: Shape = .ecs
    ) {
        self.start = start
        self.seed = seed
        self.shape = shape
    }

    /// Writes `count` events as JSON lines to `path`; returns the bytes written.
    public func write(count: Int, to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 22)
        var written = 0
        var random = SplitMix64(seed: seed)
        for index in 0..<count {
            appendLine(index: index, random: &random, to: &buffer)
            if buffer.count >= 1 << 22 {
                handle.write(Data(buffer))
                written += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer))
        written += buffer.count
        return written
    }

    /// One generated line, for tests.
    public func line(index: Int) -> String {
        var random = SplitMix64(seed: seed &+ UInt64(index))
        var buffer: [UInt8] = []
        appendLine(index: index, random: &random, to: &buffer)
        return String(decoding: buffer.dropLast(), as: UTF8.self)
    }

    private static let users = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "svc_backup",
        "administrator",
    ]
    private static let processes = [
        ("C:\\Windows\\System32\\svchost.exe", "svchost.exe -k netsvcs -p"),
        ("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"),
        ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "\"chrome.exe\" --type=renderer"),
        (
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "powershell.exe -NoProfile -Command Get-Service"
        ),
        ("C:\\Windows\\System32\\cmd.exe", "cmd.exe /c whoami"),
        ("C:\\Windows\\System32\\notepad.exe", "notepad.exe C:\\Users\\Public\\notes.txt"),
    ]

    private func appendLine(index: Int, random: inout SplitMix64, to buffer: inout [UInt8]) {
        let time = Timestamp(
            microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(index) * 37_000 + Int64(random.next() % 1000)
        )
        let host = "WS-\(String(format: "%04d", Int(random.next() % 500)))"
        let user = Self.users[Int(random.next() % UInt64(Self.users.count))]
        let roll = random.next() % 100
        var line: String
        if shape == .raw {
            appendRawLine(index: index, time: time, host: host, user: user, roll: roll, random: &random, to: &buffer)
            return
        }
        let common =
            "\"@timestamp\":\"\(time.iso8601)\",\"host\":{\"name\":\"\(host).corp.example\"},\"agent\":{\"type\":\"winlogbeat\",\"version\":\"8.17.0\"},\"ecs\":{\"version\":\"8.17.0\"}"
        if roll < 40 {
            let external = random.next() % 10 == 0
            let ip =
                external
                ? "45.142.212.\(random.next() % 254 + 1)" : "10.1.\(random.next() % 50).\(random.next() % 254 + 1)"
            let failed = external || random.next() % 10 == 0
            let code = failed ? 4625 : 4624
            line =
                "{\(common),\"event\":{\"code\":\"\(code)\",\"kind\":\"event\",\"provider\":\"Microsoft-Windows-Security-Auditing\",\"category\":[\"authentication\"],\"type\":[\"start\"],\"action\":\"\(failed ? "logon-failed" : "logged-in")\",\"outcome\":\"\(failed ? "failure" : "success")\"},\"winlog\":{\"channel\":\"Security\",\"event_id\":\"\(code)\",\"record_id\":\(index + 1),\"computer_name\":\"\(host).corp.example\",\"event_data\":{\"TargetUserName\":\"\(user)\",\"TargetDomainName\":\"CORP\",\"LogonType\":\"\(failed ? 3 : 2)\",\"IpAddress\":\"\(ip)\",\"IpPort\":\"\(49152 + random.next() % 16000)\"\(failed ? ",\"Status\":\"0xc000006d\",\"SubStatus\":\"0xc000006a\"" : "")}},\"user\":{\"name\":\"\(user)\",\"domain\":\"CORP\"},\"source\":{\"ip\":\"\(ip)\"},\"message\":\"\(failed ? "An account failed to log on." : "An account was successfully logged on.")\"}"
        } else if roll < 75 {
            let (image, command) = Self.processes[Int(random.next() % UInt64(Self.processes.count))]
            let escapedImage = image.replacingOccurrences(of: "\\", with: "\\\\")
            let escapedCommand = command.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"",
                with: "\\\""
            )
            line =
                "{\(common),\"event\":{\"code\":\"4688\",\"kind\":\"event\",\"provider\":\"Microsoft-Windows-Security-Auditing\",\"category\":[\"process\"],\"type\":[\"start\"],\"action\":\"created-process\",\"outcome\":\"success\"},\"winlog\":{\"channel\":\"Security\",\"event_id\":\"4688\",\"record_id\":\(index + 1),\"computer_name\":\"\(host).corp.example\",\"event_data\":{\"SubjectUserName\":\"\(user)\",\"SubjectDomainName\":\"CORP\",\"NewProcessName\":\"\(escapedImage)\",\"NewProcessId\":\"0x\(String(random.next() % 65536, radix: 16))\",\"CommandLine\":\"\(escapedCommand)\",\"ParentProcessName\":\"C:\\\\Windows\\\\explorer.exe\"}},\"process\":{\"executable\":\"\(escapedImage)\",\"command_line\":\"\(escapedCommand)\"},\"message\":\"A new process has been created.\"}"
        } else {
            let destination =
                "\(random.next() % 200 + 20).\(random.next() % 256).\(random.next() % 256).\(random.next() % 254 + 1)"
            let port = [443, 80, 53, 445, 3389, 8080][Int(random.next() % 6)]
            line =
                "{\(common),\"event\":{\"code\":\"3\",\"kind\":\"event\",\"provider\":\"Microsoft-Windows-Sysmon\",\"category\":[\"network\"],\"type\":[\"connection\"],\"action\":\"network-connection\"},\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":\"3\",\"record_id\":\(index + 1),\"computer_name\":\"\(host).corp.example\",\"event_data\":{\"Image\":\"C:\\\\Program Files\\\\Google\\\\Chrome\\\\Application\\\\chrome.exe\",\"User\":\"CORP\\\\\(user)\",\"Protocol\":\"tcp\",\"Initiated\":\"true\",\"SourceIp\":\"10.1.\(random.next() % 50).\(random.next() % 254 + 1)\",\"SourcePort\":\"\(49152 + random.next() % 16000)\",\"DestinationIp\":\"\(destination)\",\"DestinationPort\":\"\(port)\"}},\"destination\":{\"ip\":\"\(destination)\",\"port\":\(port)},\"message\":\"Network connection detected.\"}"
        }
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
    }
}

extension SyntheticEvents {
    /// Raw Winlogbeat documents: `@timestamp`, `event.code`, `host.name` and `winlog.*`, as the shipper sends them.
    fileprivate func appendRawLine(
        index: Int,
        time: Timestamp,
        host: String,
        user: String,
        roll: UInt64,
        random: inout SplitMix64,
        to buffer: inout [UInt8]
    ) {
        let head = "{\"@timestamp\":\"\(time.iso8601)\",\"host\":{\"name\":\"\(host)\"},"
        let line: String
        if roll < 40 {
            let external = random.next() % 10 == 0
            let ip =
                external
                ? "45.142.212.\(random.next() % 254 + 1)" : "10.1.\(random.next() % 50).\(random.next() % 254 + 1)"
            let code = external || random.next() % 10 == 0 ? 4625 : 4624
            line =
                head
                + "\"message\":\"\(code == 4625 ? "An account failed to log on." : "An account was successfully logged on.")\",\"event\":{\"code\":\"\(code)\"},\"winlog\":{\"channel\":\"Security\",\"event_id\":\(code),\"record_id\":\(index + 1),\"event_data\":{\"TargetUserName\":\"\(user)\",\"TargetDomainName\":\"CORP\",\"LogonType\":\"3\",\"IpAddress\":\"\(ip)\",\"IpPort\":\"\(49152 + random.next() % 16000)\"\(code == 4625 ? ",\"SubStatus\":\"0xc000006a\"" : "")}}}"
        } else if roll < 75 {
            let image = ["svchost.exe", "cmd.exe", "powershell.exe", "chrome.exe"][Int(random.next() % 4)]
            line =
                head
                + "\"message\":\"A new process has been created.\",\"event\":{\"code\":\"4688\"},\"winlog\":{\"channel\":\"Security\",\"event_id\":4688,\"record_id\":\(index + 1),\"event_data\":{\"SubjectUserName\":\"\(user)\",\"NewProcessName\":\"C:\\\\Windows\\\\System32\\\\\(image)\",\"CommandLine\":\"\(image) /c whoami\",\"ParentProcessName\":\"C:\\\\Windows\\\\explorer.exe\"}}}"
        } else {
            let destination =
                "\(random.next() % 200 + 20).\(random.next() % 256).\(random.next() % 256).\(random.next() % 254 + 1)"
            line =
                head
                + "\"message\":\"Network connection detected.\",\"event\":{\"code\":\"3\"},\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":3,\"record_id\":\(index + 1),\"event_data\":{\"Image\":\"chrome.exe\",\"Initiated\":\"true\",\"SourceIp\":\"10.1.0.\(random.next() % 254 + 1)\",\"DestinationIp\":\"\(destination)\",\"DestinationPort\":\"443\"}}}"
        }
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
    }
}

/// A small, fast, seedable random number generator (SplitMix64), for reproducible generated data and tests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Creates a generator; the same seed gives the same sequence.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
