import CZlib

/// zlib inflate for PDF `FlateDecode` streams (zlib format) and DOCX entries (raw deflate).
public enum Inflate {
    public struct Failure: Error {}

    /// - Parameters:
    ///   - raw: raw deflate (zip entries) instead of the zlib wrapper (PDF streams).
    ///   - limit: refuses output beyond this many bytes (a zip bomb fails instead of exhausting memory).
    ///   - lenient: returns what was inflated so far when the stream is truncated or damaged (PDF writers often
    ///     leave trailing garbage after the compressed data).
    public static func inflate(_ input: [UInt8], raw: Bool, limit: Int = 256 << 20, lenient: Bool = false) throws -> [UInt8] {
        if input.isEmpty { return [] }
        var stream = z_stream()
        let windowBits: Int32 = raw ? -15 : 15
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Failure() }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(input.count * 4, 4096)))
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inPtr in
            stream.next_in = inPtr.baseAddress
            stream.avail_in = UInt32(inPtr.count)
            var result: Int32 = Z_OK
            repeat {
                result = buffer.withUnsafeMutableBufferPointer { outPtr in
                    stream.next_out = outPtr.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                output.append(contentsOf: buffer[0..<produced])
                if output.count > limit { return Z_MEM_ERROR }
                if result == Z_BUF_ERROR && stream.avail_in == 0 { break }
            } while result == Z_OK
            return result
        }
        if status == Z_STREAM_END { return output }
        if lenient, status != Z_MEM_ERROR, !output.isEmpty { return output }
        throw Failure()
    }
}
