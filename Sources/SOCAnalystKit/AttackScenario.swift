import Foundation
public import SOCModel

/// The demo's attack, as Winlogbeat would ship it (raw `winlog.*` documents), inside a day of generated background
/// activity: a brute force from an external address against `admin` on `DC01`, a successful logon, an encoded
/// PowerShell launch, and an outbound connection from it.
public enum AttackScenario {
    /// The attacker's address.
    public static let attacker = "45.142.212.61"
    /// The example event the demo investigates.
    public static let seedEvent = "Failed login attempt from 45.142.212.61 for user 'admin' at 2024-02-04 10:15:23"
    /// "Now" when the scenario is parsed: the day after the attack (2024-02-05T00:00:00Z).
    public static let referenceTime = Timestamp(secondsSinceEpoch: 1_707_091_200)

    /// Writes the scenario (background plus attack) as JSON lines to `path`; returns the number of events.
    public static func write(to path: String, backgroundEvents: Int = 5_000) throws -> Int {
        let start = Timestamp(year: 2024, month: 2, day: 4)!
        var lines: [String] = []
        let background = SyntheticEvents(start: start, seed: 7, shape: .raw)
        for index in 0..<backgroundEvents { lines.append(background.line(index: index)) }
        func time(_ hour: Int, _ minute: Int, _ second: Int) -> String {
            Timestamp(year: 2024, month: 2, day: 4, hour: hour, minute: minute, second: second)!.iso8601
        }
        func logon(_ code: Int, _ when: String, user: String, record: Int) -> String {
            let status = code == 4625 ? #","Status":"0xc000006d","SubStatus":"0xc000006a""# : ""
            return
                #"{"@timestamp":"\#(when)","host":{"name":"DC01"},"message":"\#(code == 4625 ? "An account failed to log on." : "An account was successfully logged on.")","event":{"code":"\#(code)"},"winlog":{"channel":"Security","event_id":\#(code),"record_id":\#(record),"provider_name":"Microsoft-Windows-Security-Auditing","event_data":{"TargetUserName":"\#(user)","TargetDomainName":"CORP","LogonType":"10","IpAddress":"\#(attacker)","IpPort":"\#(50000 + record)","WorkstationName":"kali"\#(status)}}}"#
        }
        var record = 900_000
        for attempt in 0..<31 {
            record += 1
            let seconds = 10 * 3600 + attempt * 30
            let user =
                attempt % 6 == 5 ? ["administrator", "backup", "svc_sql", "guest", "root"][attempt / 6 % 5] : "admin"
            lines.append(logon(4625, time(seconds / 3600, seconds / 60 % 60, seconds % 60), user: user, record: record))
        }
        lines.append(logon(4625, time(10, 15, 23), user: "admin", record: record + 1))
        lines.append(logon(4624, time(10, 16, 2), user: "admin", record: record + 2))
        let encoded = "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"
        lines.append(
            #"{"@timestamp":"\#(time(10, 18, 40))","host":{"name":"DC01"},"message":"A new process has been created.","event":{"code":"4688"},"winlog":{"channel":"Security","event_id":4688,"record_id":\#(record + 3),"provider_name":"Microsoft-Windows-Security-Auditing","event_data":{"SubjectUserName":"admin","SubjectDomainName":"CORP","NewProcessName":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","CommandLine":"powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand \#(encoded)","ParentProcessName":"C:\\Windows\\System32\\cmd.exe"}}}"#
        )
        lines.append(
            #"{"@timestamp":"\#(time(10, 19, 5))","host":{"name":"DC01"},"message":"Network connection detected.","event":{"code":"3"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":3,"record_id":\#(record + 4),"provider_name":"Microsoft-Windows-Sysmon","event_data":{"Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","User":"CORP\\admin","Protocol":"tcp","Initiated":"true","SourceIp":"10.0.0.10","SourcePort":"51544","DestinationIp":"185.220.101.4","DestinationPort":"443"}}}"#
        )
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return lines.count
    }
}
