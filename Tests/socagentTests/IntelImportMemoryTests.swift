import Foundation
import Testing

/// `socagent intel import` streams a blocklist: its own peak RSS stays far below the file's size. Measured in a child
/// process (`getrusage(RUSAGE_CHILDREN)` of a Python parent that runs only it), so tests running beside it in this
/// process cannot move the figure.
@Suite struct IntelImportMemoryTests {
    /// The old importer held the whole file, a `String` copy of it and every entry: its peak grew by 177 MiB for a
    /// 121 MiB file (debug build).
    @Test(.timeLimit(.minutes(10))) func aLargeBlocklistIsImportedInBoundedMemory() throws {
        let cli = try IngestCommandTests()
        let path = cli.path("large.txt")
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        // 440,000 addresses, each padded by a comment to ~270 bytes: some 119 MB.
        let padding = " # " + String(repeating: "x", count: 256)
        var chunk = ""
        var size = 0
        for index in 0..<440_000 {
            chunk += "45.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)\(padding)\n"
            if chunk.utf8.count >= 1 << 20 || index == 439_999 {
                try handle.write(contentsOf: Data(chunk.utf8))
                size += chunk.utf8.count
                chunk = ""
            }
        }
        try handle.close()
        #expect(size > 110_000_000)
        let script = """
            import resource, subprocess, sys
            run = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(run.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        let run = try cli.run(
            [
                "python3", "-c", script, IngestCommandTests.binary.path, "intel", "import", path, "--intel-db",
                cli.path("intel.db"),
            ],
            executable: URL(fileURLWithPath: "/usr/bin/env")
        )
        let fields = run.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.first == "0", "\(run.stdout) \(run.stderr)")
        let peakKiB = try #require(fields.last.flatMap { Int($0) })
        #expect(peakKiB < 120 << 10, "peak RSS \(peakKiB >> 10) MiB importing \(size >> 20) MiB")
    }
}
