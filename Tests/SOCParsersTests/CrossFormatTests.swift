import Foundation
import SOCModel
import SOCParsers
import Testing

/// A Windows event must land on the same ECS fields whichever shipper carried it.
@Suite struct CrossFormatTests {
    static let keyFields = [
        ECSField.eventCode, ECSField.eventOutcome, ECSField.eventAction, ECSField.sourceIP, ECSField.sourcePort,
        ECSField.userName, ECSField.userDomain, ECSField.hostName, ECSField.winlogLogonType,
        ECSField.winlogLogonFailureReason,
    ]

    /// Event ids are only meaningful with their channel: a Kernel-PnP 400 is not a PowerShell engine start, a 4625
    /// from another channel is not a failed logon, and a 4104 in the Application log is not a script block.
    @Test func eventIDsAreReadWithTheirChannel() throws {
        func event(_ channel: String, _ id: Int) -> String {
            #"{"@timestamp":"2024-02-04T10:15:23Z","winlog":{"channel":"\#(channel)","event_id":\#(id),"record_id":\#(id),"event_data":{"TargetUserName":"bob","HostApplication":"powershell.exe -nop"}}}"#
        }
        let lines = [
            event("Microsoft-Windows-Kernel-PnP/Configuration", 400), event("Windows PowerShell", 400),
            event("Microsoft-Windows-Kernel-PnP/Configuration", 4625), event("Security", 4625),
            event("Application", 4104), event("Microsoft-Windows-PowerShell/Operational", 4104),
            event("Application", 4728), event("Security", 4728),
        ]
        let (events, summary) = try Support.read(text: lines.joined(separator: "\n") + "\n", name: "channels.jsonl")
        #expect(summary.rejected == 0)
        #expect(
            events.map(\.action) == [
                "event-400", "engine-state-changed", "event-4625", "logon-failed", "event-4104", "script-block-logged",
                "event-4728", "added-member-to-group",
            ]
        )
    }

    @Test func the4625FixtureAgreesAcrossSixFormats() throws {
        let inputs = [
            "evtx-json/input.jsonl", "ecs/input.ndjson", "winlogbeat-raw/input.ndjson", "nxlog/input.ndjson",
            "windows-xml/input.xml",
        ]
        let events = try inputs.map { try #require(try Support.read(Support.fixture($0)).events.first) }
        for field in Self.keyFields {
            let values = Set(events.map { $0.string(field) ?? "<missing>" })
            #expect(values.count == 1, "\(field) differs: \(values)")
        }
        #expect(events[0].string(ECSField.sourceIP) == "45.142.212.61")
        #expect(events[0].string(ECSField.userName) == "admin")
        // Sentinel exports carry no port or workstation, but the core of the event is the same.
        let sentinel = try Support.read(Support.fixture("sentinel-tables/input.json")).events[1]
        #expect(sentinel.code == "4625")
        #expect(sentinel.outcome == "failure")
        #expect(sentinel.categories == ["authentication"])
    }

    /// Real 4625s from the EVTX corpus (one naming a user, one naming a source address: the corpus has none with
    /// both), re-expressed as raw Winlogbeat and as Winlogbeat ECS (after the pipeline), give the same `event.code`,
    /// `source.ip`, `user.name` and `event.outcome` in all three forms.
    @Test(.enabled(if: Support.sharedData != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
    func real4625sAgreeAsEVTXRawWinlogbeatAndECS() throws {
        let directory = Support.data("evtx-to-mitre-attack/jsonl")
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
            .sorted()
        var withUser: String?
        var withAddress: String?
        for file in files {
            for candidate in try String(contentsOfFile: directory + "/" + file, encoding: .utf8).split(separator: "\n")
            where candidate.contains(#""EventID":4625"#) {
                if withUser == nil, !candidate.contains(#""TargetUserName":"-""#) { withUser = String(candidate) }
                if withAddress == nil, !candidate.contains(#""IpAddress":"-""#) { withAddress = String(candidate) }
            }
        }
        let userRecord = try #require(withUser, "no 4625 naming a user in the EVTX corpus")
        let addressRecord = try #require(withAddress, "no 4625 naming an address in the EVTX corpus")
        let userForms = try threeForms(of: userRecord)
        let addressForms = try threeForms(of: addressRecord)
        #expect(userForms[0].string(ECSField.userName) == "Admin")
        #expect(addressForms[0].string(ECSField.sourceIP) == "10.23.23.9")
        for forms in [userForms, addressForms] {
            #expect(forms.map { $0.string(ECSField.sourceFormat) } == ["evtx-json", "ecs", "ecs"])
            for field in [ECSField.eventCode, ECSField.sourceIP, ECSField.userName, ECSField.eventOutcome] {
                let values = forms.map { $0.string(field) }
                #expect(Set(values).count == 1, "\(field): \(values)")
            }
            #expect(forms[0].code == "4625")
            #expect(forms[0].outcome == "failure")
        }
    }

    /// Parses an EVTX-JSON record, and the same record as raw Winlogbeat and as Winlogbeat ECS would ship it.
    private func threeForms(of evtxLine: String) throws -> [SecurityEvent] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(evtxLine.utf8)) as? [String: Any])
        let event = try #require(object["Event"] as? [String: Any])
        let system = try #require(event["System"] as? [String: Any])
        let data = try #require(event["EventData"] as? [String: Any])
        let time =
            ((system["TimeCreated"] as? [String: Any])?["#attributes"] as? [String: Any])?["SystemTime"] as? String
        let winlog: [String: Any] = [
            "channel": system["Channel"] ?? "", "computer_name": system["Computer"] ?? "", "event_id": "4625",
            "provider_name": "Microsoft-Windows-Security-Auditing", "event_data": data,
        ]
        let raw: [String: Any] = ["@timestamp": time ?? "", "event": ["code": "4625"], "winlog": winlog]
        var ecs = raw
        ecs["event"] = ["code": "4625", "category": ["authentication"], "outcome": "failure", "action": "logon-failed"]
        ecs["ecs"] = ["version": "8.17.0"]
        if let address = data["IpAddress"] as? String, address != "-" { ecs["source"] = ["ip": address] }
        if let user = data["TargetUserName"] as? String, user != "-" { ecs["user"] = ["name": user] }
        var lines = [evtxLine]
        for document in [raw, ecs] {
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self))
        }
        return try lines.map { try #require(try Support.read(text: $0 + "\n").events.first) }
    }
}
