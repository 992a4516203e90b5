import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of cache files that only their owner can change: a file is trusted only when it and its folder belong to
/// this user and no one else may write them, and files are written whole (a temporary file, then a rename), so a
/// reader never sees half of one.
struct PrivateCacheFolder {
    let path: String

    /// Why the folder or a file in it cannot be used.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func failure(_ what: String) -> Refusal {
        Refusal("\(what): \(String(cString: strerror(errno)))")
    }

    /// Whether `info` is owned by this user and writable by no one else.
    private static func isPrivate(_ info: stat) -> Bool {
        info.st_uid == geteuid() && info.st_mode & (S_IWGRP | S_IWOTH) == 0
    }

    /// Checks the folder, if it exists, before its files are trusted.
    /// - Returns: Whether it exists.
    /// - Throws: ``Refusal`` when it is not a folder, or someone else could change its files.
    func check() throws(Refusal) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return false }
            throw Self.failure("cannot inspect \(path)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw Refusal("\(path) is not a folder") }
        guard Self.isPrivate(info) else {
            throw Refusal("\(path) belongs to another user or others may write it; it is not used")
        }
        return true
    }

    /// The bytes of the file `name`, or `nil` when there is none.
    /// - Throws: ``Refusal`` when it is not a regular file of this user's that only they may write, or cannot be read.
    func contents(of name: String) throws(Refusal) -> [UInt8]? {
        let file = path + "/" + name
        let descriptor = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.failure("cannot open \(file)")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.failure("cannot inspect \(file)") }
        guard info.st_mode & S_IFMT == S_IFREG, Self.isPrivate(info) else {
            throw Refusal("\(file) is not a private file of this user's; it is not used")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw Self.failure("cannot read \(file)") }
            offset += count
        }
        return bytes
    }

    /// Writes the file `name` whole: a new owner-only temporary file beside it, then a rename. Missing folders are
    /// made owner-only.
    func store(_ bytes: [UInt8], as name: String) throws(Refusal) {
        var folder = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            folder += "/" + component
            guard mkdir(folder, 0o700) == 0 || errno == EEXIST else { throw Self.failure("cannot create \(folder)") }
        }
        let file = path + "/" + name
        let temporary = "\(file).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot create \(temporary)") }
        var offset = 0
        var failure: Refusal?
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                failure = count < 0 ? Self.failure("cannot write \(temporary)") : Refusal("cannot write \(temporary)")
                break
            }
            offset += count
        }
        close(descriptor)
        if failure == nil, rename(temporary, file) != 0 { failure = Self.failure("cannot rename \(temporary)") }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Marks the file `name` as just used (its modification time), for ``prune(suffix:keeping:)``.
    func touch(_ name: String) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path + "/" + name)
    }

    /// Removes all but the `count` most recently used files ending in `suffix`, and temporary files over an hour old
    /// (left by a process that stopped while writing).
    func prune(suffix: String, keeping count: Int) {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).compactMap {
            name -> (path: String, isTemporary: Bool, modified: Date)? in
            let file = path + "/" + name
            guard name.hasSuffix(suffix) || name.hasSuffix(".tmp"),
                let modified = try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
            else { return nil }
            return (file, !name.hasSuffix(suffix), modified)
        }
        let kept = files.filter { !$0.isTemporary }.sorted { $0.modified > $1.modified }
        let stale = files.filter { $0.isTemporary && $0.modified.timeIntervalSinceNow < -3_600 }
        for old in kept.dropFirst(count) + stale { try? FileManager.default.removeItem(atPath: old.path) }
    }
}
