import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// libdeflate (Debian/Ubuntu package `libdeflate0`), loaded at run time with `dlopen`: its level-6 deflate is 1.7–2.6×
/// faster than zlib's on our data (docs/PERFORMANCE.md "Backups"). Optional on purpose: without the library — or
/// with `BOTFLOW_BACKUP_DEFLATE=zlib` — backups use zlib, whose output is the same format (one gzip member,
/// behaviour §13.1); nothing needs the library at build time.
final class LibDeflate: @unchecked Sendable {
    typealias Alloc = @convention(c) (Int32) -> OpaquePointer?
    typealias Free = @convention(c) (OpaquePointer?) -> Void
    typealias Compress = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int) -> Int
    typealias Bound = @convention(c) (OpaquePointer?, Int) -> Int

    let allocCompressor: Alloc
    let freeCompressor: Free
    /// Raw DEFLATE of a whole buffer; returns the compressed size, 0 when `out` is too small.
    let deflateCompress: Compress
    let compressBound: Bound

    private init?(handle: UnsafeMutableRawPointer) {
        guard let alloc = dlsym(handle, "libdeflate_alloc_compressor"),
              let free = dlsym(handle, "libdeflate_free_compressor"),
              let compress = dlsym(handle, "libdeflate_deflate_compress"),
              let bound = dlsym(handle, "libdeflate_deflate_compress_bound")
        else { return nil }
        allocCompressor = unsafeBitCast(alloc, to: Alloc.self)
        freeCompressor = unsafeBitCast(free, to: Free.self)
        deflateCompress = unsafeBitCast(compress, to: Compress.self)
        compressBound = unsafeBitCast(bound, to: Bound.self)
    }

    /// The library when it is installed and not switched off; loaded once (the handle stays open for the process).
    static let shared: LibDeflate? = {
        if ProcessInfo.processInfo.environment["BOTFLOW_BACKUP_DEFLATE"] == "zlib" { return nil }
        return loaded
    }()

    /// The library whatever the environment says (tests compare both engines).
    static let loaded: LibDeflate? = {
        for name in ["libdeflate.so.0", "libdeflate.so"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            if let library = LibDeflate(handle: handle) { return library }
            dlclose(handle)  // a library without the functions: try the next name
        }
        return nil
    }()
}
