import SOCModel
import Testing

@Suite struct SecurityEventTests {
    private func sample() -> SecurityEvent {
        var event = SecurityEvent(
            id: EventIdentifier(record: "x"),
            timestamp: Timestamp(year: 2024, month: 2, day: 4, hour: 10, minute: 15, second: 23),
            original: "raw \"line\""
        )
        event[ECSField.eventCode] = .string("4625")
        event[ECSField.eventCategory] = .strings(["authentication"])
        event[ECSField.sourceIP] = .string("45.142.212.61")
        event[ECSField.sourcePort] = .integer(51234)
        event[ECSField.processParentName] = .string("cmd.exe")
        event[ECSField.processName] = .string("power\\shell\n.exe")
        event.set(ECSField.userName, "-")
        event.set(ECSField.userDomain, "CORP")
        return event
    }

    @Test func rendersANestedDocumentWithStableKeyOrder() {
        #expect(
            sample().document(includeOriginal: true)
                == #"{"@timestamp":"2024-02-04T10:15:23.000Z","event":{"category":["authentication"],"code":"4625","original":"raw \"line\""},"process":{"name":"power\\shell\n.exe","parent":{"name":"cmd.exe"}},"source":{"ip":"45.142.212.61","port":51234},"user":{"domain":"CORP"}}"#
        )
    }

    @Test func rendersAFlatDocumentWithDottedKeys() {
        var writer = JSONWriter()
        sample().writeFlatDocument(to: &writer)
        #expect(
            writer.text
                == #"{"@timestamp":"2024-02-04T10:15:23.000Z","event.code":"4625","event.category":["authentication"],"source.ip":"45.142.212.61","source.port":51234,"process.parent.name":"cmd.exe","process.name":"power\\shell\n.exe","user.domain":"CORP"}"#
        )
    }

    @Test func skipsPlaceholdersAndKeepsRelatedValuesOnce() {
        var event = sample()
        #expect(event[ECSField.userName] == nil)
        event.append(ECSField.relatedIP, "10.0.0.1")
        event.append(ECSField.relatedIP, "10.0.0.1")
        event.append(ECSField.relatedIP, "10.0.0.2")
        #expect(event[ECSField.relatedIP] == .strings(["10.0.0.1", "10.0.0.2"]))
        event.setIfMissing(ECSField.sourceIP, "1.1.1.1")
        #expect(event.string(ECSField.sourceIP) == "45.142.212.61")
    }
}

@Suite struct JSONWriterTests {
    @Test func escapesEveryCharacterJSONRequires() {
        var writer = JSONWriter()
        let tricky = "a\"b\\c\u{01}\u{1F}\t\r\n" + String(repeating: "x", count: 17) + "\"é😀"
        writer.string(tricky)
        #expect(writer.text == #""a\"b\\c\u0001\u001f\t\r\nxxxxxxxxxxxxxxxxx\"é😀""#)
    }
}
