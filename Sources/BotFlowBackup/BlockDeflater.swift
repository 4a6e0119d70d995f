/// Deflates one block of `ParallelGzip`'s stream into raw DEFLATE that the next block's output can follow directly:
/// byte-aligned and not marked final — except the stream's last block, which is final. Each worker slot owns one.
protocol BlockDeflater: AnyObject {
    /// Bytes `output` must have for one block of the size given at creation.
    var outputCapacity: Int { get }

    /// Compresses `block` (`dictionary` = up to 32 KiB of the input just before it) into `output`; returns the
    /// compressed length.
    func deflate(block: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, final: Bool,
                 into output: UnsafeMutableRawBufferPointer) -> Result<Int, BackupError>
}

enum DeflateEngine {
    case zlib
    case libdeflate(LibDeflate)

    /// libdeflate when it is installed (see `LibDeflate`), otherwise zlib.
    static var preferred: DeflateEngine { LibDeflate.shared.map { .libdeflate($0) } ?? .zlib }

    var name: String {
        switch self {
        case .zlib: "zlib"
        case .libdeflate: "libdeflate"
        }
    }

    func makeDeflater(level: Int32, blockSize: Int) throws(BackupError) -> any BlockDeflater {
        switch self {
        case .zlib: try ZlibBlockDeflater(level: level, blockSize: blockSize)
        case .libdeflate(let library): try LibDeflateBlockDeflater(library: library, level: level, blockSize: blockSize)
        }
    }
}
