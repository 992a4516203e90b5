import Foundation

/// Where the event store is: the `--store` flag, else `SOCAGENT_STORE`, else `socagent.db` in the working directory.
public enum StoreLocation {
    /// The default store file name, in the working directory.
    public static let defaultPath = "socagent.db"

    /// Resolves the store location.
    /// - Parameters:
    ///   - flag: The `--store` value, if given.
    ///   - environment: The environment to read; the process environment when `nil`.
    public static func resolve(flag: String?, environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let flag, !flag.isEmpty { return flag }
        if let variable = environment["SOCAGENT_STORE"], !variable.isEmpty { return variable }
        return defaultPath
    }
}
