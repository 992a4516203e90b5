import Foundation
import SOCAnalystKit
import SOCParsers
import SOCTestSupport
import Testing

/// Mutated `.evtx` files (bit flips, truncations, chunk header and record size fields, BinXML tokens and offsets):
/// no crash, no hang, every input read to its end. The million-input run is `socagent bench fuzz --target evtx`
/// (TESTING.md).
@Suite(.serialized, .enabled(if: SharedFiles.data != nil, "needs ../shared/data or SOCAGENT_TEST_DATA"))
struct EVTXFuzzTests {
    @Test(.timeLimit(.minutes(15)))
    func twentyThousandMutatedFilesAreReadWithoutCrashOrHang() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("socagent-evtx-fuzz-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for corpus in ["deepbluecli-evtx", "evtx-to-mitre-attack"] {
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
            tar.arguments = ["-xzf", SharedFiles.data! + "/" + corpus + "/original_evtx.tar.gz", "-C", folder]
            try tar.run()
            tar.waitUntilExit()
            #expect(tar.terminationStatus == 0)
        }
        // Seeds whose first chunk holds few records keep each input quick in a debug build.
        let seeds = try Fuzzing.seeds(for: .evtx, paths: [folder]).filter { seed in
            seed.bytes.withUnsafeBytes { bytes in
                let file = EVTXFile(bytes: bytes)
                return file.chunkCount == 1 && (1...8).contains(file.readChunk(0).records.count)
            }
        }
        #expect(seeds.count >= 20)
        let iterations =
            ProcessInfo.processInfo.environment["SOCAGENT_EVTX_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 20_000
        let result = Fuzzing.run(.evtx, seeds: seeds, iterations: iterations, seed: 20_261_203)
        #expect(result.inputs == iterations)
        #expect(result.accepted > iterations / 10)
        // No memory check here: the peak RSS of a test process is that of every test running beside this one.
        // Bounded memory is shown by the million-input release run alone (78 MB peak, BENCHMARKS.md).
    }
}
