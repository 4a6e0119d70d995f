import CZlib

// Compression is `ParallelGzip` (one gzip member written on every core).

/// Streaming gunzip that insists on exactly one complete member: a truncated stream, a CRC mismatch or bytes after
/// the member are errors (behaviour §13.6 step 3 "decompresses completely").
final class Inflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private(set) var ended = false

    init() throws(BackupError) {
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, 31, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { stream.deallocate(); throw BackupError("gzip: inflateInit2 failed (\(rc))") }
    }

    func process(_ input: [UInt8]) throws(BackupError) -> [UInt8] {
        guard !input.isEmpty else { return [] }
        if ended { throw BackupError("gzip: unexpected data after the end of the gzip stream") }
        var output: [UInt8] = []
        var out = [UInt8](repeating: 0, count: 1 << 18)
        var input = input
        var failure: String?
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.pointee.next_in = inBuf.baseAddress
            stream.pointee.avail_in = UInt32(inBuf.count)
            while true {
                let (rc, produced) = out.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                    stream.pointee.next_out = outBuf.baseAddress
                    stream.pointee.avail_out = UInt32(outBuf.count)
                    let rc = inflate(stream, Z_NO_FLUSH)
                    return (rc, outBuf.count - Int(stream.pointee.avail_out))
                }
                output.append(contentsOf: out[0..<produced])
                switch rc {
                case Z_STREAM_END:
                    ended = true
                    if stream.pointee.avail_in != 0 { failure = "unexpected data after the end of the gzip stream" }
                    return
                case Z_OK, Z_BUF_ERROR:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
                    if rc == Z_BUF_ERROR && produced == 0 { return }
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                    failure = "gzip data error: \(reason)"
                    return
                }
            }
        }
        if let failure { throw BackupError("gzip: \(failure)") }
        return output
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }
}
