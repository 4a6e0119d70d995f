@testable import BotFlowBackup
import Foundation
import Testing

/// The parallel compressor must write ONE standard gzip member (behaviour §13.1) that zlib's inflate and the system
/// `gunzip` read back byte for byte, whatever the input size relative to the 32 KiB window and the 1 MiB blocks — with
/// either block engine (zlib with preset dictionaries, or libdeflate with its final-block bit cleared and a stored
/// block appended).
@Suite struct ParallelGzipTests {
    static let engines = ["zlib", "libdeflate"]

    static func engine(_ name: String) throws -> DeflateEngine {
        if name == "zlib" { return .zlib }
        let library = try #require(LibDeflate.loaded, "libdeflate0 is installed (scripts/lib/common.sh BOTFLOW_SYSTEM_PACKAGES)")
        return .libdeflate(library)
    }

    static let mib = 1 << 20
    static let sizes = [0, 1, 32_767, 32_768, 32_769, mib - 1, mib, mib + 1, 3 * mib + 12_345, 9 * mib]

    /// Random bytes do not compress; a short alphabet with repeats does (matches reach across block ends).
    static func data(_ count: Int, compressible: Bool, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = state >> 33
            if compressible {
                // Words of a tiny vocabulary: long matches, including ones that straddle block boundaries.
                let word = Array("lorem ipsum dolor sit amet \(r % 97) ".utf8)
                for b in word where i < count { out[i] = b; i += 1 }
            } else {
                out[i] = UInt8(truncatingIfNeeded: r)
                i += 1
            }
        }
        return out
    }

    static func compress(_ input: [UInt8], blockSize: Int = mib, workers: Int = 2, engine: DeflateEngine = .zlib) throws
        -> (gzip: [UInt8], consumed: [UInt8])
    {
        let gzip = try ParallelGzip(level: 6, blockSize: blockSize, workers: workers, engine: engine)
        var offset = 0
        var consumed: [UInt8] = []
        var output: [UInt8] = []
        try gzip.compress(
            read: { buffer in
                let n = min(buffer.count, input.count - offset)
                input.withUnsafeBytes { src in
                    if n > 0 { buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n) }
                }
                offset += n
                return n
            },
            consumed: { consumed.append(contentsOf: $0) },
            emit: { output.append(contentsOf: $0) })
        return (output, consumed)
    }

    static func inflate(_ gzip: [UInt8]) throws -> [UInt8] {
        let inflater = try Inflater()
        // Fed in uneven pieces, as the decrypting reader does.
        var out: [UInt8] = []
        var at = 0
        while at < gzip.count {
            let end = min(gzip.count, at + 77_777)
            out += try inflater.process(Array(gzip[at..<end]))
            at = end
        }
        #expect(inflater.ended, "the gzip member is complete")
        return out
    }

    @Test(arguments: engines, [false, true])
    func roundTripsThroughZlibAtEveryBoundarySize(engine: String, compressible: Bool) throws {
        for (n, size) in Self.sizes.enumerated() {
            let input = Self.data(size, compressible: compressible, seed: UInt64(n))
            let (gzip, consumed) = try Self.compress(input, engine: try Self.engine(engine))
            #expect(consumed == input, "every input byte is handed to the hash once, in order (size \(size))")
            #expect(Array(gzip.prefix(3)) == [0x1F, 0x8B, 8], "a gzip header with deflate")
            let back = try Self.inflate(gzip)
            #expect(back == input, "size \(size), compressible \(compressible)")
            if compressible && size >= Self.mib { #expect(gzip.count < size / 4, "it really compresses (size \(size))") }
        }
    }

    @Test(arguments: engines)
    func smallBlocksAndOneWorkerGiveTheSameStream(engine: String) throws {
        // Blocks smaller than the window exercise the dictionary taken from several earlier blocks and rounds (zlib),
        // and hundreds of joins that end at every bit position of a byte (libdeflate).
        let input = Self.data(2 * Self.mib + 5, compressible: true, seed: 42)
        let one = try Self.compress(input, blockSize: 10_000, workers: 1, engine: try Self.engine(engine)).gzip
        let two = try Self.compress(input, blockSize: 10_000, workers: 2, engine: try Self.engine(engine)).gzip
        #expect(one == two, "the output does not depend on the number of workers")
        #expect(try Self.inflate(one) == input)
    }

    @Test(arguments: engines)
    func theSystemGunzipReadsIt(engine: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgzip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (n, size) in Self.sizes.enumerated() {
            for compressible in [false, true] {
                let input = Self.data(size, compressible: compressible, seed: UInt64(100 + n))
                let gz = directory + "/in.gz", out = directory + "/out.bin"
                try writeBytes(try Self.compress(input, engine: try Self.engine(engine)).gzip, gz)
                let run = try shell("gunzip -c \(gz) > \(out) && gzip -t \(gz)")
                #expect(run.status == 0, "gunzip refused size \(size): \(run.stderr)")
                #expect(readBytes(out) == input, "size \(size), compressible \(compressible)")
            }
        }
    }

    @Test func libdeflateJoinsAtEveryBitPositionAndGunzipAgrees() throws {
        // Tiny blocks: thousands of joins, so the last DEFLATE block ends at each of the 8 bit positions many times.
        let input = Self.data(3 * Self.mib + 321, compressible: true, seed: 9)
        let (gzip, _) = try Self.compress(input, blockSize: 777, engine: try Self.engine("libdeflate"))
        #expect(try Self.inflate(gzip) == input)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgzip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try writeBytes(gzip, directory + "/in.gz")
        let run = try shell("gunzip -c \(directory)/in.gz > \(directory)/out.bin && gzip -t \(directory)/in.gz")
        #expect(run.status == 0, "gunzip refused it: \(run.stderr)")
        #expect(readBytes(directory + "/out.bin") == input)
    }

    @Test func libdeflateOutputIsAboutAsSmallAsZlibs() throws {
        // No preset dictionary costs a little at each 1 MiB block start; it must stay a little. This data compresses
        // 17×, so the first matches of a block matter more than usual (~3 %); on chat-like data it is ~0.1 %.
        let input = Self.data(6 * Self.mib, compressible: true, seed: 11)
        let zlib = try Self.compress(input, engine: .zlib).gzip.count
        let libdeflate = try Self.compress(input, engine: try Self.engine("libdeflate")).gzip.count
        #expect(Double(libdeflate) < Double(zlib) * 1.05, "libdeflate \(libdeflate) vs zlib \(zlib) bytes")
    }

    @Test(arguments: engines)
    func aDamagedStreamIsRefused(engine: String) throws {
        let input = Self.data(3 * Self.mib, compressible: true, seed: 7)
        var gzip = try Self.compress(input, engine: try Self.engine(engine)).gzip
        gzip[gzip.count - 6] ^= 0x01 // inside the CRC-32 of the trailer
        #expect(throws: BackupError.self) { _ = try Self.inflate(gzip) }
    }
}
