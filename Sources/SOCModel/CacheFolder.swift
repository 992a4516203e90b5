import Foundation

/// Where socagent keeps what it can rebuild (intelligence answers, compiled rules): `$SOCAGENT_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/socagent`, else `~/.cache/socagent`.
public enum CacheFolder {
    /// The folder for these environment variables.
    public static func path(environment: [String: String]) -> String {
        if let directory = environment["SOCAGENT_CACHE_DIR"], !directory.isEmpty { return directory }
        let cacheHome =
            environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache"
        return cacheHome + "/socagent"
    }
}
