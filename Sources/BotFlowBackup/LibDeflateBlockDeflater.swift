import CZlib

#if canImport(Glibc)
import Glibc
#endif

/// A block compressed by libdeflate, made joinable. libdeflate compresses a whole buffer into a complete DEFLATE
/// stream — its last DEFLATE block marked final — and has no preset dictionary or sync flush, so this:
/// 1. decodes the output with zlib's inflate in `Z_BLOCK` mode (stopping at every DEFLATE block boundary) into a
///    scratch buffer and compares it with the input — every block is proven to give its input back before it is
///    written — and notes the bit where the last DEFLATE block's header starts and the bit where the data ends;
/// 2. unless this is the stream's last block, clears that header's BFINAL bit (the first bit of the header) and
///    appends what zlib's `Z_SYNC_FLUSH` appends: an empty stored block (3 header bits, padding to the byte, then
///    LEN 0000 / NLEN FFFF), so the next block's output starts byte-aligned.
/// Blocks are compressed without the previous 32 KiB (no dictionary API): the output is ~0.1 % larger than with it.
final class LibDeflateBlockDeflater: BlockDeflater {
    private let library: LibDeflate
    private let compressor: OpaquePointer
    private let inflater = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let scratch: UnsafeMutableRawBufferPointer
    let outputCapacity: Int
    /// The most `deflate` appends to libdeflate's output (a padding byte and LEN/NLEN).
    private static let markerRoom = 5

    init(library: LibDeflate, level: Int32, blockSize: Int) throws(BackupError) {
        guard let compressor = library.allocCompressor(level) else { throw BackupError("gzip: libdeflate refused level \(level)") }
        inflater.initialize(to: z_stream())
        let rc = inflateInit2_(inflater, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            library.freeCompressor(compressor)
            inflater.deallocate()
            throw BackupError("gzip: inflateInit2 failed (\(rc))")
        }
        self.library = library
        self.compressor = compressor
        scratch = .allocate(byteCount: max(1, blockSize), alignment: 64)
        outputCapacity = library.compressBound(compressor, blockSize) + Self.markerRoom
    }

    func deflate(block: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, final: Bool,
                 into output: UnsafeMutableRawBufferPointer) -> Result<Int, BackupError> {
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var length = library.deflateCompress(compressor, block.baseAddress, block.count, output.baseAddress,
                                             output.count - Self.markerRoom)
        guard length > 0, block.count <= scratch.count else { return .failure(BackupError("gzip: libdeflate output did not fit")) }

        // 1. Decode: the bytes must come back, and the decoder tells where the DEFLATE blocks start and end.
        guard inflateReset(inflater) == Z_OK else { return .failure(BackupError("gzip: inflateReset failed")) }
        inflater.pointee.next_in = out
        inflater.pointee.avail_in = uInt(length)
        inflater.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
        inflater.pointee.avail_out = uInt(block.count)
        var lastHeaderBit = 0, endBit = -1
        while true {
            let rc = inflate(inflater, Z_BLOCK)
            if rc == Z_STREAM_END { break }
            guard rc == Z_OK else { return .failure(BackupError("gzip: libdeflate output does not decode (\(rc))")) }
            // data_type: unused bits of the last byte read (0–7), +64 in the final block, +128 at a block boundary.
            let type = Int(inflater.pointee.data_type)
            guard type & 128 != 0 else { continue }
            let bit = (length - Int(inflater.pointee.avail_in)) * 8 - (type & 7)
            if type & 64 != 0 { endBit = bit } else { lastHeaderBit = bit }
        }
        let decodedAll = Int(inflater.pointee.total_out) == block.count
            && (block.count == 0 || memcmp(scratch.baseAddress!, block.baseAddress!, block.count) == 0)
        guard decodedAll, endBit >= 0, (endBit + 7) / 8 == length, out[lastHeaderBit / 8] & (1 << (lastHeaderBit % 8)) != 0 else {
            return .failure(BackupError("gzip: libdeflate output does not give the block back"))
        }
        if final { return .success(length) }

        // 2. Not the end of the stream: the last DEFLATE block is not final, and an empty stored block aligns.
        out[lastHeaderBit / 8] &= ~UInt8(1 << (lastHeaderBit % 8))
        // Its 3 header bits (all zero) fit in the zero padding of the last byte when at least 3 bits are free there.
        let used = endBit % 8
        if used != 0 { out[length - 1] &= UInt8((1 << used) - 1) }  // zero padding, whatever libdeflate left there
        if used == 0 || used > 5 { out[length] = 0; length += 1 }
        for byte: UInt8 in [0x00, 0x00, 0xFF, 0xFF] { out[length] = byte; length += 1 }
        return .success(length)
    }

    deinit {
        library.freeCompressor(compressor)
        inflateEnd(inflater)
        inflater.deallocate()
        scratch.deallocate()
    }
}
