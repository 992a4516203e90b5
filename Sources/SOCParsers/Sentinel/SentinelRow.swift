/// One row of a Microsoft Sentinel / Log Analytics export, whatever shape it came in (row object, `tables` rows,
/// CSV): column names and values as text, in column order.
struct SentinelRow {
    private(set) var columns: [(name: String, value: String)] = []
    private var index: [String: Int] = [:]

    /// Adds a column; a later column with the same name replaces an earlier one's value.
    mutating func add(_ name: String, _ value: String) {
        if let existing = index[name] {
            columns[existing].value = value
        } else {
            index[name] = columns.count
            columns.append((name, value))
        }
    }

    /// The value of a column, or `nil` when it is missing or empty.
    subscript(name: String) -> String? {
        guard let position = index[name] else { return nil }
        let value = columns[position].value
        return value.isEmpty ? nil : value
    }

    /// The value of the first of `names` that has one.
    func first(_ names: String...) -> String? {
        for name in names { if let value = self[name] { return value } }
        return nil
    }

    func has(_ name: String) -> Bool { index[name] != nil }
}
