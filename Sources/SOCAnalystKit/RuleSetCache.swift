import Crypto
public import Foundation
public import SOCDetection
import SOCModel

#if canImport(Glibc)
import Glibc
#endif

/// Sigma rules loaded and compiled: what a hunt needs from its rule files.
public struct PreparedRules: Sendable {
    /// The compiled rules that passed the filter.
    public let engine: SigmaEngine
    /// How many rules compiled, before the filter.
    public let loadedCount: Int
    /// The rules that did not compile, each with its reason.
    public let diagnostics: [SigmaDiagnostic]
    /// Whether the compiled rules were read from the cache.
    public let fromCache: Bool
    /// What went wrong with the cache (unreadable, unwritable), for a warning; the rules are good either way.
    public internal(set) var cacheWarning: String?

    /// How many rules the hunt runs.
    public var selectedCount: Int { engine.ruleCount }

    /// Loads and compiles the rules under `paths` (files or directories) that `filter` keeps, without a cache.
    /// - Throws: ``SigmaDiagnostic`` for a path that does not exist.
    public static func compile(paths: [String], filter: SigmaRuleFilter) throws -> PreparedRules {
        PreparedRules(compiling: try SigmaRuleSet.read(paths: paths), filter: filter)
    }

    init(compiling files: [(path: String, contents: Data?)], filter: SigmaRuleFilter) {
        let all = SigmaRuleSet.load(files: files)
        self.init(
            engine: SigmaEngine(rules: filter.apply(to: all).rules),
            loadedCount: all.rules.count,
            diagnostics: all.diagnostics,
            fromCache: false
        )
    }

    init(engine: SigmaEngine, loadedCount: Int, diagnostics: [SigmaDiagnostic], fromCache: Bool) {
        (self.engine, self.loadedCount, self.diagnostics, self.fromCache) = (
            engine, loadedCount, diagnostics, fromCache
        )
    }
}

/// Compiled rule sets kept on disk, so that a hunt over a small input does not parse and compile thousands of rules
/// each time (0.6 s for SigmaHQ's Windows rules).
///
/// A set is found by a SHA-256 of everything it was made from: each rule file's path and bytes, the filter, socagent's
/// version, the log-source mapping it ships and the identity of the running executable (device, inode, size,
/// modification time), so a changed, added or removed rule file, or another build, compiles afresh. The rule files are read and hashed on every run; only
/// parsing and compiling are saved. A file holds a digest of its contents, checked before it is read: a damaged file
/// is compiled again and replaced. The newest ``keptSets`` sets are kept.
///
/// ```swift
/// let cache = RuleSetCache(directory: RuleSetCache.standardDirectory(environment: ProcessInfo.processInfo.environment))
/// let prepared = try cache.prepare(paths: ["rules/windows"], filter: SigmaRuleFilter())
/// let service = HuntService(engine: prepared.engine)
/// ```
public struct RuleSetCache: Sendable {
    /// Where the sets are kept.
    public let directory: String
    /// How many sets are kept (the most recently used).
    public static let keptSets = 8

    private static let magic = Array("socagent rule cache\n".utf8)
    private static let suffix = ".rules"

    /// A cache in `directory` (created when first written, readable by its owner only).
    public init(directory: String) { self.directory = directory }

    /// `rules` in socagent's cache folder (``CacheFolder``): `$SOCAGENT_CACHE_DIR/rules`, else
    /// `$XDG_CACHE_HOME/socagent/rules`, else `~/.cache/socagent/rules`.
    public static func standardDirectory(environment: [String: String]) -> String {
        CacheFolder.path(environment: environment) + "/rules"
    }

    /// Loads and compiles the rules under `paths` (files or directories) that `filter` keeps, from the cache when
    /// they were compiled before, storing them in it when not.
    /// - Throws: ``SigmaDiagnostic`` for a path that does not exist.
    public func prepare(paths: [String], filter: SigmaRuleFilter) throws -> PreparedRules {
        let files = try SigmaRuleSet.read(paths: paths)
        guard let key = Self.key(files: files, filter: filter) else {
            return PreparedRules(compiling: files, filter: filter)
        }
        let path = directory + "/" + key + Self.suffix
        var warnings: [String] = []
        if let bytes = FileManager.default.contents(atPath: path) {
            do {
                let prepared = try Self.decode([UInt8](bytes))
                // Used now: the newest are kept.
                try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
                return prepared
            } catch {
                warnings.append("the cached rule set \(path) was unreadable (\(error)); compiled again")
            }
        }
        var prepared = PreparedRules(compiling: files, filter: filter)
        do {
            try store(Self.encode(prepared, archive: prepared.engine.archive()), at: path)
        } catch {
            warnings.append("cannot keep the compiled rules: \(error)")
        }
        prepared.cacheWarning = warnings.isEmpty ? nil : warnings.joined(separator: "; ")
        return prepared
    }

    /// The set's name: a SHA-256 of what it is made from; `nil` when the running executable cannot be identified.
    private static func key(files: [(path: String, contents: Data?)], filter: SigmaRuleFilter) -> String? {
        guard let executable = executableIdentity else { return nil }
        var hasher = SHA256()
        func add(_ text: String) {
            let bytes = Array(text.utf8)
            add(bytes.count)
            hasher.update(data: bytes)
        }
        func add(_ number: Int) { withUnsafeBytes(of: Int64(number).littleEndian) { hasher.update(bufferPointer: $0) } }
        add("socagent \(SOCAnalyst.version) archive \(SigmaEngine.archiveFormat)")
        add(executable)
        // Resources are files beside the executable: a rebuild can change them without relinking it.
        add(LogSourceMap.bundledDefinition?.logSources ?? "-")
        add(LogSourceMap.bundledDefinition?.fields ?? "-")
        add(filter.key)
        add(files.count)
        for file in files {
            add(file.path)
            if let contents = file.contents {
                add(contents.count)
                hasher.update(data: contents)
            } else {
                add(-1)
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The running executable's path, device, inode, size and modification time: another build is another
    /// executable.
    private static let executableIdentity: String? = {
        guard let path = Bundle.main.executableURL?.resolvingSymlinksInPath().path,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        let parts: [Any?] = [attributes[.systemNumber], attributes[.systemFileNumber], attributes[.size]]
        return ([path] + parts.map { "\($0 ?? "-")" } + ["\(modified.timeIntervalSince1970)"]).joined(separator: ":")
    }()

    // MARK: - The file

    private struct Summary: Codable {
        var loaded: Int
        var diagnostics: [[String]]
    }

    /// `magic`, the SHA-256 of the rest, the summary's length, the summary (JSON), the engine's archive.
    private static func encode(_ prepared: PreparedRules, archive: [UInt8]) throws -> Data {
        let summary = try JSONEncoder().encode(
            Summary(loaded: prepared.loadedCount, diagnostics: prepared.diagnostics.map { [$0.path, $0.reason] })
        )
        var body = [UInt8]()
        withUnsafeBytes(of: UInt64(summary.count).littleEndian) { body += $0 }
        body += summary
        body += archive
        return Data(magic + SHA256.hash(data: body) + body)
    }

    private static func decode(_ bytes: [UInt8]) throws -> PreparedRules {
        let header = magic.count + SHA256.byteCount
        guard bytes.count >= header + 8, bytes.starts(with: magic) else { throw CacheError("not a rule cache file") }
        let body = bytes[header...]
        guard SHA256.hash(data: body).elementsEqual(bytes[magic.count..<header]) else {
            throw CacheError("its digest does not match its contents")
        }
        let length = body.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(body.count - 8) else { throw CacheError("its summary is cut short") }
        let summaryEnd = body.startIndex + 8 + Int(length)
        let summary = try JSONDecoder().decode(Summary.self, from: Data(body[(body.startIndex + 8)..<summaryEnd]))
        let engine = try SigmaEngine(archive: Array(body[summaryEnd...]))
        return PreparedRules(
            engine: engine,
            loadedCount: summary.loaded,
            diagnostics: try summary.diagnostics.map {
                guard $0.count == 2 else { throw CacheError("a diagnostic is malformed") }
                return SigmaDiagnostic(path: $0[0], reason: $0[1])
            },
            fromCache: true
        )
    }

    /// Writes `data` at `path` through a temporary file and a rename, then removes all but the newest sets.
    private func store(_ data: Data, at path: String) throws {
        func failure(_ what: String) -> CacheError { CacheError("\(what): \(String(cString: strerror(errno)))") }
        // Each missing folder is made owner-only; an existing one is left as it is.
        var folder = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            folder += "/" + component
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw failure("cannot create \(folder)") }
        }
        // Written beside its final name and renamed: a reader sees the whole file or none.
        let temporary = "\(path).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        let written = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        let writeFailure = written ? nil : failure("cannot write \(temporary)")
        close(descriptor)
        if let writeFailure {
            unlink(temporary)
            throw writeFailure
        }
        guard rename(temporary, path) == 0 else {
            let renameFailure = failure("cannot rename \(temporary)")
            unlink(temporary)
            throw renameFailure
        }
        let sets =
            (try? FileManager.default.contentsOfDirectory(atPath: directory))?
            .filter { $0.hasSuffix(Self.suffix) }
            .map { directory + "/" + $0 }
            .compactMap { file -> (path: String, modified: Date)? in
                (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date).map { (file, $0) }
            } ?? []
        for old in sets.sorted(by: { $0.modified > $1.modified }).dropFirst(Self.keptSets) {
            try? FileManager.default.removeItem(atPath: old.path)
        }
    }

    private struct CacheError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
