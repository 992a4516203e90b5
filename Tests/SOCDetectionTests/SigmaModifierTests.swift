import Foundation
import SOCDetection
import SOCModel
import Testing

/// Each modifier and condition form on a small Sysmon process-creation event.
@Suite struct SigmaModifierTests {
    static func event(
        commandLine: String = "powershell.exe -nop -w hidden -enc SQBFAFgA",
        image: String = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    ) -> SecurityEvent {
        var event = SecurityEvent(
            id: EventIdentifier(record: commandLine),
            timestamp: Timestamp(microsecondsSinceEpoch: 0),
            original: commandLine
        )
        event[ECSField.winlogChannel] = .string("Microsoft-Windows-Sysmon/Operational")
        event[ECSField.eventCode] = .string("1")
        event[ECSField.hostName] = .string("WS01")
        event[ECSField.eventData("Image")] = .string(image)
        event[ECSField.eventData("CommandLine")] = .string(commandLine)
        event[ECSField.eventData("ParentImage")] = .string("C:\\Windows\\explorer.exe")
        event[ECSField.eventData("User")] = .string("CORP\\alice")
        event[ECSField.eventData("ProcessId")] = .string("4242")
        event[ECSField.eventData("SourceIp")] = .string("10.1.2.3")
        event[ECSField.message] = .string("Process Create: mimikatz-free line")
        return event
    }

    static func matches(_ detection: String, _ event: SecurityEvent = event()) throws -> Bool {
        let yaml = """
            title: test
            id: 11111111-1111-1111-1111-111111111111
            logsource: {product: windows, category: process_creation}
            detection:
            \(detection.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        switch SigmaRule.load(yaml: yaml, path: "test.yml", logSources: .bundled) {
        case .success(let rule): return !SigmaEngine(rules: [rule]).detect(event).isEmpty
        case .failure(let diagnostic): throw diagnostic
        }
    }

    @Test(
        "Modifiers",
        arguments: [
            ("selection:\n    Image|endswith: '\\\\powershell.exe'\ncondition: selection", true),
            ("selection:\n    Image|endswith: '\\\\POWERSHELL.EXE'\ncondition: selection", true),  // case-insensitive
            ("selection:\n    Image|endswith|cased: '\\\\POWERSHELL.EXE'\ncondition: selection", false),
            ("selection:\n    CommandLine|contains: ' -enc '\ncondition: selection", true),
            ("selection:\n    CommandLine|startswith: 'powershell'\ncondition: selection", true),
            ("selection:\n    CommandLine|contains|all: ['-nop', '-w hidden']\ncondition: selection", true),
            ("selection:\n    CommandLine|contains|all: ['-nop', '-noexit']\ncondition: selection", false),
            ("selection:\n    CommandLine|contains: ['-noexit', '-w hidden']\ncondition: selection", true),
            ("selection:\n    Image: 'C:\\\\Windows\\\\*\\\\powershell.exe'\ncondition: selection", true),  // wildcard
            (
                "selection:\n    Image: 'C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v?.0\\\\powershell.exe'\ncondition: selection",
                true
            ),
            ("selection:\n    CommandLine|re: '-e(nc)? [A-Za-z0-9+/=]{8}'\ncondition: selection", true),
            ("selection:\n    CommandLine|re: 'POWERSHELL'\ncondition: selection", false),  // re is case-sensitive
            ("selection:\n    CommandLine|re|i: 'POWERSHELL'\ncondition: selection", true),
            ("selection:\n    SourceIp|cidr: '10.0.0.0/8'\ncondition: selection", true),
            ("selection:\n    SourceIp|cidr: '192.168.0.0/16'\ncondition: selection", false),
            ("selection:\n    ProcessId|gt: 4000\ncondition: selection", true),
            ("selection:\n    ProcessId|lte: 4000\ncondition: selection", false),
            ("selection:\n    ParentCommandLine|exists: false\ncondition: selection", true),
            ("selection:\n    CommandLine|exists: true\ncondition: selection", true),
            ("selection:\n    ParentCommandLine: null\ncondition: selection", true),
            ("selection:\n    Image|fieldref: Image\ncondition: selection", true),
            ("selection:\n    EventID: 1\ncondition: selection", true),
            ("keywords:\n    - 'mimikatz'\ncondition: keywords", true),
            ("selection:\n    Image|endswith: '\\\\cmd.exe'\ncondition: not selection", true),
            (
                "sel_a:\n    Image|endswith: '\\\\powershell.exe'\nsel_b:\n    User|endswith: '\\\\bob'\ncondition: 1 of sel_*",
                true
            ),
            (
                "sel_a:\n    Image|endswith: '\\\\powershell.exe'\nsel_b:\n    User|endswith: '\\\\bob'\ncondition: all of sel_*",
                false
            ),
            (
                "sel_a:\n    Image|endswith: '\\\\powershell.exe'\nfilter:\n    User|endswith: '\\\\alice'\ncondition: sel_a and not filter",
                false
            ),
            ("a:\n    EventID: 1\nb:\n    User|contains: 'alice'\ncondition: all of them", true),
            ("a:\n    EventID: 2\nb:\n    User|contains: 'x'\nc:\n    EventID: 1\ncondition: (a or b) or c", true),
            (
                "selection:\n    - Image|endswith: '\\\\cmd.exe'\n    - CommandLine|contains: 'hidden'\ncondition: selection",
                true
            ),  // list of maps: OR
        ]
    )
    func modifiers(_ testCase: (String, Bool)) throws {
        #expect(try Self.matches(testCase.0) == testCase.1, "\(testCase.0)")
    }

    @Test func base64ModifiersFindEncodedValues() throws {
        // "IEX (New-Object" in UTF-16LE base64, inside a longer command line, at any offset.
        let encoded = Data(("xx IEX (New-Object Net.WebClient)").utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            .base64EncodedString()
        let event = Self.event(commandLine: "powershell -enc \(encoded)")
        #expect(
            try Self.matches(
                "selection:\n    CommandLine|wide|base64offset|contains: 'IEX (New-Object'\ncondition: selection",
                event
            )
        )
        let plain = Data("http://evil.example/a.ps1".utf8).base64EncodedString()
        #expect(
            try Self.matches(
                "selection:\n    CommandLine|base64|contains: 'http://evil.example/a.ps1'\ncondition: selection",
                Self.event(commandLine: "x \(plain) y")
            )
        )
        #expect(
            try !Self.matches(
                "selection:\n    CommandLine|base64|contains: 'http://other'\ncondition: selection",
                Self.event(commandLine: "x \(plain) y")
            )
        )
    }

    @Test(
        "Rules that cannot run say why",
        arguments: [
            (
                "selection:\n    Image|nosuchmodifier: 'x'\ncondition: selection",
                "unsupported modifier 'nosuchmodifier'"
            ),
            ("selection:\n    Image|expand: '%x%'\ncondition: selection", "expand"),
            ("selection:\n    Image: x\ncondition: selection | count() > 5", "aggregations"),
            ("selection:\n    Image: x\ncondition: selection and missing", "unknown selection 'missing'"),
            ("selection:\n    Image|re: '(['\ncondition: selection", "invalid regular expression"),
            ("selection:\n    Image|re: '(a)\\1'\ncondition: selection", "unsupported regular expression"),
            ("selection:\n    Image|re: 'power(?!shell)'\ncondition: selection", "lookahead is not supported"),
        ]
    )
    func diagnostics(_ testCase: (String, String)) {
        do {
            _ = try Self.matches(testCase.0)
            Issue.record("\(testCase.0) loaded")
        } catch let diagnostic as SigmaDiagnostic {
            #expect(diagnostic.reason.contains(testCase.1), "\(diagnostic.reason)")
        } catch {
            Issue.record("\(error)")
        }
    }

    /// `(a+)+$` backtracked for minutes on a 50 KB field with `NSRegularExpression` (time doubling per character).
    @Test(.timeLimit(.minutes(5)))
    func nestedQuantifiersRunInLinearTime() throws {
        let long = String(repeating: "a", count: 50_000) + "!"
        let clock = ContinuousClock()
        var matched = true
        _ = try clock.measure {  // the minute-long time limit is the hang guard
            matched = try Self.matches(
                "selection:\n    CommandLine|re: '(a+)+$'\ncondition: selection",
                Self.event(commandLine: long)
            )
        }
        #expect(!matched)
        #expect(
            try Self.matches(
                "selection:\n    CommandLine|re: '(a+)+$'\ncondition: selection",
                Self.event(commandLine: "xaaa")
            )
        )
    }

    @Test func windashMatchesEveryDash() throws {
        for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
            #expect(
                try Self.matches(
                    "selection:\n    CommandLine|windash|contains: ' -nop '\ncondition: selection",
                    Self.event(commandLine: "powershell \(dash)nop -c x")
                )
            )
        }
        #expect(
            try !Self.matches(
                "selection:\n    CommandLine|windash|contains: ' -nop '\ncondition: selection",
                Self.event(commandLine: "powershell +nop")
            )
        )
    }

    @Test func aRuleOutsideItsLogSourceDoesNotMatch() throws {
        var network = Self.event()
        network[ECSField.eventCode] = .string("3")
        #expect(
            try !Self.matches("selection:\n    Image|endswith: '\\\\powershell.exe'\ncondition: selection", network)
        )
    }

    @Test func security4688UsesItsOwnFieldNames() throws {
        var event = SecurityEvent(id: EventIdentifier(record: "4688"), original: "4688")
        event[ECSField.winlogChannel] = .string("Security")
        event[ECSField.eventCode] = .string("4688")
        event[ECSField.eventData("NewProcessName")] = .string("C:\\Windows\\System32\\certutil.exe")
        event[ECSField.eventData("ParentProcessName")] = .string("C:\\Windows\\System32\\cmd.exe")
        #expect(
            try Self.matches(
                "selection:\n    Image|endswith: '\\\\certutil.exe'\n    ParentImage|endswith: '\\\\cmd.exe'\ncondition: selection",
                event
            )
        )
    }
}
