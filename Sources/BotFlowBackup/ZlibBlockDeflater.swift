import CZlib

/// pigz's method with zlib: the block is raw-deflated with the 32 KiB before it as preset dictionary (matches reach
/// back across block boundaries exactly as a single stream's would) and ended with `Z_SYNC_FLUSH` (an empty stored
/// block that leaves the stream byte-aligned), the last block with `Z_FINISH`.
final class ZlibBlockDeflater: BlockDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    let outputCapacity: Int

    init(level: Int32, blockSize: Int) throws(BackupError) {
        stream.initialize(to: z_stream())
        // Window bits −15: raw deflate; ParallelGzip writes the gzip header and trailer itself.
        let rc = deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { stream.deallocate(); throw BackupError("gzip: deflateInit2 failed (\(rc))") }
        // Room for incompressible input plus the flush markers: zlib's own bound plus a margin.
        outputCapacity = Int(deflateBound(stream, uLong(blockSize))) + 64
    }

    func deflate(block: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, final: Bool,
                 into output: UnsafeMutableRawBufferPointer) -> Result<Int, BackupError> {
        var rc = deflateReset(stream)
        if rc == Z_OK && !dictionary.isEmpty {
            rc = deflateSetDictionary(stream, dictionary.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        }
        guard rc == Z_OK else { return .failure(BackupError("gzip: deflate failed (\(rc))")) }
        // zlib does not write through next_in; the cast only satisfies its non-const signature.
        stream.pointee.next_in = UnsafeMutablePointer(mutating: block.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(block.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        rc = CZlib.deflate(stream, final ? Z_FINISH : Z_SYNC_FLUSH)
        let complete = final ? rc == Z_STREAM_END : (rc == Z_OK && stream.pointee.avail_out > 0 && stream.pointee.avail_in == 0)
        guard complete else { return .failure(BackupError("gzip: deflate failed (\(rc == Z_OK ? Z_BUF_ERROR : rc))")) }
        return .success(output.count - Int(stream.pointee.avail_out))
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }
}
