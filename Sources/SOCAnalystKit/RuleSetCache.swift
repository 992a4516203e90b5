import Crypto
public import Foundation
public import SOCDetection
import SOCModel

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
    /// What went wrong with the cache (unreadable, unwritable, not private), for a warning; the rules are good
    /// either way.
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
/// modification time), so a changed, added or removed rule file, or another build, compiles afresh. The rule files
/// are read and hashed on every run; only parsing and compiling are saved.
///
/// A file holds a digest of its contents, checked before it is read: a damaged file is compiled again and replaced.
/// Files and their folder are used only when they belong to this user and no one else may write them (the engine's
/// tables are read as they were written). The ``keptSets`` most recently used sets are kept.
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

    /// A cache in `directory` (created owner-only when first written).
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
        let folder = PrivateCacheFolder(path: directory)
        let name = key + Self.suffix
        var warnings: [String] = []
        do {
            if try folder.check(), let bytes = try folder.contents(of: name) {
                do {
                    let prepared = try Self.decode(bytes)
                    folder.touch(name)
                    return prepared
                } catch {
                    warnings.append(
                        "the cached rule set \(directory)/\(name) was unreadable (\(error)); compiled again"
                    )
                }
            }
        } catch {
            var prepared = PreparedRules(compiling: files, filter: filter)
            prepared.cacheWarning = "the rule cache is not used: \(error)"
            return prepared
        }
        var prepared = PreparedRules(compiling: files, filter: filter)
        do {
            try folder.store(Self.encode(prepared), as: name)
            folder.prune(suffix: Self.suffix, keeping: Self.keptSets)
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
    private static func encode(_ prepared: PreparedRules) throws -> [UInt8] {
        let summary = try JSONEncoder().encode(
            Summary(loaded: prepared.loadedCount, diagnostics: prepared.diagnostics.map { [$0.path, $0.reason] })
        )
        var body = [UInt8]()
        withUnsafeBytes(of: UInt64(summary.count).littleEndian) { body += $0 }
        body += summary
        body += prepared.engine.archive()
        return magic + SHA256.hash(data: body) + body
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
        return PreparedRules(
            engine: try SigmaEngine(archive: Array(body[summaryEnd...])),
            loadedCount: summary.loaded,
            diagnostics: try summary.diagnostics.map {
                guard $0.count == 2 else { throw CacheError("a diagnostic is malformed") }
                return SigmaDiagnostic(path: $0[0], reason: $0[1])
            },
            fromCache: true
        )
    }

    private struct CacheError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
