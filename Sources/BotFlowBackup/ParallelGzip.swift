import CZlib
import Foundation

/// gzip level 6 on every core, still ONE standard gzip member (behaviour §13.1), the way pigz does it: the input is
/// cut into blocks, each block is raw-deflated on its own worker into DEFLATE that the next block's can follow (see
/// `BlockDeflater`: libdeflate when installed, else zlib with the previous 32 KiB as dictionary), and the blocks are
/// written in order behind one gzip header. The trailer's CRC-32 is the blocks' CRC-32s joined with `crc32_combine`.
/// `gunzip`, `openssl … | gunzip` and zlib's inflate read the result like any other gzip file.
final class ParallelGzip {
    static let window = 32 * 1024

    let blockSize: Int
    /// Blocks compressed per round; a round is read, then deflated on all workers while the previous one is written.
    let batch: Int
    private let level: Int32
    private let deflaters: [any BlockDeflater]
    /// `[window][block 0][block 1]…`: block i's dictionary is the 32 KiB just before it, in the same buffer.
    private let input: UnsafeMutableRawBufferPointer
    /// Two sets of per-block output buffers: a round deflates into one while the previous round's, in the other, is
    /// written out.
    private let outputs: [[UnsafeMutableRawBufferPointer]]
    private var crc: uLong = crc32(0, nil, 0)
    private var total: Int64 = 0
    /// How much of the window area holds the previous round's tail (0 before the first block).
    private var history = 0
    private let team: WorkerTeam

    init(level: Int32 = 6, blockSize: Int = 1 << 20, workers: Int = ParallelGzip.defaultWorkers,
         engine: DeflateEngine = .preferred) throws(BackupError) {
        precondition(blockSize >= 1)
        self.level = level
        self.blockSize = blockSize
        // Several blocks per worker, so a round's slowest block leaves the other cores idle for a smaller share of it.
        batch = max(2, workers * 4)
        var deflaters: [any BlockDeflater] = []
        for _ in 0..<batch { deflaters.append(try engine.makeDeflater(level: level, blockSize: blockSize)) }
        self.deflaters = deflaters
        input = .allocate(byteCount: Self.window + batch * blockSize, alignment: 64)
        outputs = (0..<2).map { _ in deflaters.map { .allocate(byteCount: $0.outputCapacity, alignment: 64) } }
        team = WorkerTeam(threads: workers)  // last: nothing after it can throw and leave its threads waiting
    }

    /// Both cores of the appliance: the API keeps serving (its p99 during a backup is measured by `bench-backup`).
    static var defaultWorkers: Int { max(1, min(8, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Compresses everything `read` hands out (it fills the buffer it is given and returns how many bytes it put there,
    /// fewer only at the end). `consumed` sees every input byte once, in order (the snapshot's SHA-256); `emit` gets
    /// the gzip stream in order. Buffers passed to the closures are valid only during the call. `read` runs on the
    /// caller's thread; `consumed` and `emit` may run on a worker thread, one call at a time.
    func compress(read: (UnsafeMutableRawBufferPointer) throws(BackupError) -> Int,
                  consumed: (UnsafeRawBufferPointer) -> Void,
                  emit: (UnsafeRawBufferPointer) throws(BackupError) -> Void) throws(BackupError) {
        try emitHeader(emit)
        // The workers call `consumed` and `emit` only inside `team.run`, which returns when they are done.
        let outcome: Result<Void, BackupError> = withoutActuallyEscaping(consumed) { consumed in
            withoutActuallyEscaping(emit) { emit in
                Result { () throws(BackupError) in try pipeline(read: read, consumed: consumed, emit: emit) }
            }
        }
        try outcome.get()
        try emitTrailer(emit)
    }

    /// Round k's blocks are deflated on all workers while, as two more tasks of the same round, round k's input is
    /// hashed (`consumed`) and round k − 1's output is written (`emit`: encryption, hashing, the file), so no core
    /// waits for those sequential steps; only reading the next round's input happens between rounds.
    private func pipeline(read: (UnsafeMutableRawBufferPointer) throws(BackupError) -> Int,
                          consumed: @escaping (UnsafeRawBufferPointer) -> Void,
                          emit: @escaping (UnsafeRawBufferPointer) throws(BackupError) -> Void) throws(BackupError) {
        var pending: [Int] = []  // the compressed lengths of the previous round, in outputs[1 − set]
        var set = 0
        while true {
            let (lengths, finished) = try readRound(read)
            let base = UnsafeRawPointer(input.baseAddress!), blockSize = blockSize
            let previous = outputs[1 - set], toWrite = pending
            var written: Result<Void, BackupError> = .success(())
            let hash = {
                for (i, length) in lengths.enumerated() {
                    consumed(UnsafeRawBufferPointer(start: base + Self.window + i * blockSize, count: length))
                }
            }
            let write = {
                written = Result { () throws(BackupError) in
                    for (i, length) in toWrite.enumerated() { try emit(UnsafeRawBufferPointer(rebasing: previous[i][0..<length])) }
                }
            }
            let produced = try deflateRound(lengths: lengths, last: finished, into: outputs[set], alongside: [write, hash])
            try written.get()
            for (i, length) in lengths.enumerated() {
                crc = crc32_combine(crc, produced[i].crc, .init(length))
                total += Int64(length)
            }
            keepWindow(lengths: lengths)
            pending = produced.map(\.length)
            set = 1 - set
            if finished { break }
        }
        for (i, length) in pending.enumerated() { try emit(UnsafeRawBufferPointer(rebasing: outputs[1 - set][i][0..<length])) }
    }

    /// Reads a round of blocks into the input buffer; a short block (or none) means the end of the input.
    private func readRound(_ read: (UnsafeMutableRawBufferPointer) throws(BackupError) -> Int) throws(BackupError)
        -> (lengths: [Int], atEnd: Bool)
    {
        var lengths: [Int] = []
        var atEnd = false
        while lengths.count < batch && !atEnd {
            let start = Self.window + lengths.count * blockSize
            let n = try read(UnsafeMutableRawBufferPointer(rebasing: input[start..<start + blockSize]))
            if n < blockSize { atEnd = true }
            if n > 0 || lengths.isEmpty { lengths.append(n) }
        }
        return (lengths, atEnd)
    }

    /// Deflates the round's blocks in parallel, the `alongside` tasks (started first) on the same workers; returns the
    /// compressed length and the CRC-32 of each block.
    private func deflateRound(lengths: [Int], last: Bool, into outputs: [UnsafeMutableRawBufferPointer],
                              alongside: [() -> Void]) throws(BackupError) -> [(length: Int, crc: uLong)] {
        var results = [Result<(length: Int, crc: uLong), BackupError>?](repeating: nil, count: lengths.count)
        let base = UnsafeRawPointer(input.baseAddress!), history = history, blockSize = blockSize
        let deflaters = deflaters, count = lengths.count, extra = alongside.count
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = buffer  // each worker writes its own slot; `run` returns only when all have
            team.run(iterations: extra + count) { task in
                guard task >= extra else { return alongside[task]() }
                let i = task - extra
                let blockStart = Self.window + i * blockSize
                // The dictionary: up to 32 KiB of whatever came before this block (earlier blocks of this round, or
                // the previous round's tail kept in the window area).
                let dictionaryLength = min(Self.window, i * blockSize + history)
                let block = UnsafeRawBufferPointer(start: base + blockStart, count: lengths[i])
                let dictionary = UnsafeRawBufferPointer(start: base + blockStart - dictionaryLength, count: dictionaryLength)
                let check = crc32(0, block.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(block.count))
                let final = last && i == count - 1
                slots[i] = deflaters[i].deflate(block: block, dictionary: dictionary, final: final, into: outputs[i])
                    .map { (length: $0, crc: check) }
            }
        }
        var produced: [(length: Int, crc: uLong)] = []
        for result in results { produced.append(try result!.get()) }
        return produced
    }

    /// Moves the last 32 KiB of input (or all of it, if less) to the window area for the next round's first block.
    private func keepWindow(lengths: [Int]) {
        let end = Self.window + (lengths.count - 1) * blockSize + (lengths.last ?? 0)
        let available = end - Self.window + history
        let keep = min(Self.window, available)
        let base = input.baseAddress!
        // The regions overlap when a round was shorter than the window: memmove, not memcpy.
        memmove(base.advanced(by: Self.window - keep), base.advanced(by: end - keep), keep)
        history = keep
    }

    private func emitHeader(_ emit: (UnsafeRawBufferPointer) throws(BackupError) -> Void) throws(BackupError) {
        // ID1 ID2, CM = deflate, no flags, MTIME 0, XFL 0 (what zlib writes for level 6), OS 3 (Unix).
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, level == 9 ? 2 : (level == 1 ? 4 : 0), 3]
        try Self.emit(header, emit)
    }

    private func emitTrailer(_ emit: (UnsafeRawBufferPointer) throws(BackupError) -> Void) throws(BackupError) {
        let size = UInt32(truncatingIfNeeded: total), check = UInt32(truncatingIfNeeded: crc)
        var trailer: [UInt8] = []
        for value in [check, size] { for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: value >> shift)) } }
        try Self.emit(trailer, emit)
    }

    private static func emit(_ bytes: [UInt8], _ emit: (UnsafeRawBufferPointer) throws(BackupError) -> Void) throws(BackupError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(BackupError) in try emit(raw) } }
        try result.get()
    }

    deinit {
        team.stop()
        for set in outputs { for output in set { output.deallocate() } }
        input.deallocate()
    }
}
