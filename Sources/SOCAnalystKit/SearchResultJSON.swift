import SOCModel
public import SOCStore

extension SearchResult {
    /// `{"total": N, "events": [ECS documents with event.id]}`: what `search --json` prints and the server answers.
    public var jsonText: String {
        var output = #"{"total":\#(total),"events":["#
        for (index, event) in events.enumerated() {
            if index > 0 { output += "," }
            var event = event
            event["event.id"] = .string(event.id.hex)
            output += event.document(includeOriginal: true)
        }
        return output + "]}"
    }
}
