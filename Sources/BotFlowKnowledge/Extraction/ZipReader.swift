/// Reads one entry of a ZIP archive through its central directory (stored or deflated entries). A small reader over
/// zlib: the local package mirror has no ZIP library, and DOCX needs nothing more.
struct ZipReader {
    struct Invalid: Error {}

    let data: [UInt8]

    init(_ data: [UInt8]) { self.data = data }

    func u16(_ at: Int) throws -> Int {
        guard at >= 0, at + 2 <= data.count else { throw Invalid() }
        return Int(data[at]) | Int(data[at + 1]) << 8
    }

    func u32(_ at: Int) throws -> Int {
        guard at >= 0, at + 4 <= data.count else { throw Invalid() }
        return Int(data[at]) | Int(data[at + 1]) << 8 | Int(data[at + 2]) << 16 | Int(data[at + 3]) << 24
    }

    /// The uncompressed bytes of `name`, or nil when the archive has no such entry.
    func entry(_ name: String, limit: Int = 64 << 20) throws -> [UInt8]? {
        // End of central directory: the last `PK\5\6` within the final 64 KiB + 22 bytes.
        guard data.count >= 22 else { throw Invalid() }
        var eocd = data.count - 22
        let lowest = max(0, data.count - 65_557)
        while eocd >= lowest, try u32(eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= lowest else { throw Invalid() }
        let count = try u16(eocd + 10)
        var p = try u32(eocd + 16)
        let wanted = Array(name.utf8)
        for _ in 0..<count {
            guard try u32(p) == 0x0201_4B50 else { throw Invalid() }
            let method = try u16(p + 10)
            let compressed = try u32(p + 20)
            let nameLength = try u16(p + 28), extraLength = try u16(p + 30), commentLength = try u16(p + 32)
            let local = try u32(p + 42)
            guard p + 46 + nameLength <= data.count else { throw Invalid() }
            let entryName = Array(data[(p + 46)..<(p + 46 + nameLength)])
            p += 46 + nameLength + extraLength + commentLength
            guard entryName == wanted else { continue }
            guard try u32(local) == 0x0403_4B50 else { throw Invalid() }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start >= 0, compressed >= 0, start + compressed <= data.count else { throw Invalid() }
            let body = Array(data[start..<(start + compressed)])
            switch method {
            case 0: return body
            case 8:
                do { return try Inflate.inflate(body, raw: true, limit: limit) } catch { throw Invalid() }
            default: throw Invalid()
            }
        }
        return nil
    }
}
