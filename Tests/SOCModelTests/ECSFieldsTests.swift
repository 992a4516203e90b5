import SOCModel
import Testing

@Suite struct ECSFieldsTests {
    @Test func storesUpdatesAndRemovesInInsertionOrder() {
        var fields = ECSFields(capacity: 2)
        for index in 0..<200 { fields["field.\(index)"] = .integer(Int64(index)) }
        #expect(fields.count == 200)
        #expect(fields["field.150"] == .integer(150))
        fields["field.150"] = .string("changed")
        #expect(fields["field.150"] == .string("changed"))
        fields["field.10"] = nil
        #expect(fields["field.10"] == nil)
        #expect(fields.count == 199)
        #expect(fields.names.prefix(3) == ["field.0", "field.1", "field.2"])
        #expect(fields["missing"] == nil)
    }

    @Test func setsOnlyAbsentFields() {
        var fields: ECSFields = ["user.name": .string("admin")]
        let replaced = fields.setIfAbsent("user.name", .string("other"))
        let added = fields.setIfAbsent("user.domain", .string("CORP"))
        #expect(!replaced)
        #expect(added)
        #expect(fields["user.name"] == .string("admin"))
        #expect(fields["user.domain"] == .string("CORP"))
    }

    @Test func comparesRegardlessOfOrder() {
        let a: ECSFields = ["a": .string("1"), "b": .integer(2)]
        let b: ECSFields = ["b": .integer(2), "a": .string("1")]
        #expect(a == b)
        #expect(a != ["a": .string("1")])
    }
}
