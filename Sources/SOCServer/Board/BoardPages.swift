import Foundation
import Mustache
import SOCReports

/// The board's templates (`Resources/board`), parsed once. Mustache escapes every `{{value}}`; the only unescaped
/// values are the shared stylesheet and the report article, which ``IncidentPage`` builds from escaped text.
enum BoardPages {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for name in ["header", "footer", "sign-in", "queue", "incident", "search"] {
            guard
                let url = Bundle.module.url(
                    forResource: name,
                    withExtension: "mustache",
                    subdirectory: "Resources/board"
                ),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { preconditionFailure("the board's \(name) template is missing from the build") }
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("the board's \(name) template does not parse: \(error)")
            }
        }
        return library
    }()

    /// The board's script.
    static let script: Data = {
        guard let url = Bundle.module.url(forResource: "board", withExtension: "js", subdirectory: "Resources/board"),
            let data = try? Data(contentsOf: url)
        else { preconditionFailure("the board's script is missing from the build") }
        return data
    }()

    /// Renders page `name` with `values` (and the stylesheet).
    static func render(_ name: String, _ values: [String: Any]) -> String {
        var values = values
        values["css"] = IncidentPage.css
        return library.render(values, withTemplate: name) ?? ""
    }
}
