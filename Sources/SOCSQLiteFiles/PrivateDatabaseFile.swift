public import Foundation
public import GRDB

/// socagent's own SQLite files (the event store, the intelligence cache): created private to their owner (0600, in a
/// 0700 folder when the folder is new), and never another application's database — a file holding tables but no
/// migration history of ours is refused before anything is written to it.
public enum PrivateDatabaseFile {
    /// Why a file cannot be used.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        /// The reason, with the file.
        public let description: String
    }

    /// Creates `path` as an empty 0600 file if it does not exist (and, with `createFolder`, its missing folder, 0700).
    /// SQLite gives its journal the database file's permissions.
    /// - Throws: ``Refusal`` when the file or folder cannot be created.
    public static func prepare(_ path: String, createFolder: Bool = false) throws {
        guard path != ":memory:", !FileManager.default.fileExists(atPath: path) else { return }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if createFolder, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw Refusal(description: "\(path): cannot create its folder (\(error.localizedDescription))")
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw Refusal(description: "\(path): cannot create the file")
        }
    }

    /// Refuses a database that is not ours: tables, but no migration history, or migrations `migrator` does not know.
    /// - Throws: ``Refusal``, naming some of the tables found.
    public static func checkOwnership(
        _ database: some DatabaseWriter,
        path: String,
        migrator: DatabaseMigrator,
        kind: String
    ) throws {
        let (tables, applied) = try database.read { db -> ([String], [String]) in
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            let applied = try tables.contains("grdb_migrations") ? migrator.appliedIdentifiers(db).sorted() : []
            return (tables, applied)
        }
        guard !tables.isEmpty else { return }
        let known = Set(migrator.migrations)
        let unknown = applied.filter { !known.contains($0) }
        if !unknown.isEmpty, known.isSubset(of: applied) {
            // Every migration of ours and more: a later socagent wrote it (this one must not touch it).
            throw Refusal(
                description:
                    "\(path) was written by a newer socagent (migrations \(unknown.joined(separator: ", ")) are unknown "
                    + "to this version); open it with that version or a later one"
            )
        }
        if !tables.contains("grdb_migrations") || !unknown.isEmpty {
            let names = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
            throw Refusal(
                description:
                    "\(path) is not a socagent \(kind) (it holds other tables: \(names)); refusing to write to it"
            )
        }
    }
}
