import Foundation

/// Vector BLOBs of data-model §6: `dim` float32 values, little-endian, no header.
public enum VectorCodec {
    public static func encode(_ v: [Float]) -> Data {
        let bits = v.map { $0.bitPattern.littleEndian }
        return bits.withUnsafeBytes { Data($0) }
    }

    public static func decode(_ data: Data) -> [Float] {
        let n = data.count / 4
        var out = [Float](repeating: 0, count: n)
        data.withUnsafeBytes { raw in
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        }
        return out
    }

    /// Appends the floats of `data` to `into` (the in-memory matrix is built this way without temporaries).
    public static func append(_ data: Data, to into: inout [Float]) {
        let n = data.count / 4
        data.withUnsafeBytes { raw in
            for i in 0..<n { into.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))) }
        }
    }

    /// L2-normalised copy (zero stays zero).
    public static func normalised(_ v: [Float]) -> [Float] {
        var sum: Double = 0
        for x in v { sum += Double(x) * Double(x) }
        let norm = sum.squareRoot()
        guard norm > 0 else { return v }
        return v.map { Float(Double($0) / norm) }
    }
}
