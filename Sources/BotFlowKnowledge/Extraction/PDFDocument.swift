/// The objects of a PDF file, found by scanning for `N G obj` (damaged or missing cross-reference tables do not
/// matter), plus those packed in object streams (PDF 1.5). Later definitions win, as with incremental updates.
struct PDFDocument {
    struct Corrupt: Error {}
    struct Encrypted: Error {}

    private(set) var objects: [Int: PDFObject] = [:]
    private(set) var trailer: [String: PDFObject] = [:]

    init(_ data: [UInt8]) throws {
        guard data.count >= 8, Array(data[0..<5]) == Array("%PDF-".utf8) || Self.find(Array("%PDF-".utf8), in: data, from: 0, limit: 1024) != nil
        else { throw Corrupt() }
        scanObjects(data)
        scanTrailers(data)
        guard !objects.isEmpty else { throw Corrupt() }
        if trailer["Encrypt"] != nil { throw Encrypted() }
        expandObjectStreams()
    }

    func resolve(_ o: PDFObject?, depth: Int = 0) -> PDFObject? {
        guard let o else { return nil }
        if case .reference(let n, _) = o {
            guard depth < 32 else { return nil }
            return resolve(objects[n], depth: depth + 1)
        }
        return o
    }

    func dict(_ o: PDFObject?) -> [String: PDFObject]? { resolve(o)?.dictionary }

    /// The decoded bytes of a stream: FlateDecode (or no filter); other filters → nil (skipped, behaviour §7.2).
    func streamData(_ o: PDFObject?) -> [UInt8]? {
        guard case .stream(let d, let raw) = resolve(o) else { return nil }
        var filters: [String] = []
        switch resolve(d["Filter"]) {
        case .name(let n): filters = [n]
        case .array(let a): filters = a.compactMap { resolve($0)?.name }
        default: break
        }
        var bytes = raw
        for f in filters {
            guard f == "FlateDecode" || f == "Fl" else { return nil }
            guard let out = try? Inflate.inflate(bytes, raw: false, limit: 64 << 20, lenient: true) else { return nil }
            bytes = out
        }
        if let parms = dict(d["DecodeParms"]), let predictor = resolve(parms["Predictor"])?.int, predictor >= 10 {
            let columns = min(max(resolve(parms["Columns"])?.int ?? 1, 1), 1 << 20)
            bytes = Self.undoPNGPredictor(bytes, columns: columns)
        }
        return bytes
    }

    /// Pages in document order through the page tree; falls back to every `/Type /Page` object by number.
    func pages() -> [[String: PDFObject]] {
        var out: [[String: PDFObject]] = []
        var seen = Set<Int>()
        func walk(_ o: PDFObject?, inherited: [String: PDFObject], depth: Int) {
            guard depth < 64 else { return }
            if case .reference(let n, _) = o { if seen.contains(n) { return }; seen.insert(n) }
            guard var d = dict(o) else { return }
            for key in ["Resources", "MediaBox"] where d[key] == nil { d[key] = inherited[key] }
            if resolve(d["Type"])?.name == "Pages" || d["Kids"] != nil {
                var next = inherited
                if let r = d["Resources"] { next["Resources"] = r }
                for kid in resolve(d["Kids"])?.array ?? [] { walk(kid, inherited: next, depth: depth + 1) }
            } else {
                out.append(d)
            }
        }
        if let root = dict(trailer["Root"]) { walk(root["Pages"], inherited: [:], depth: 0) }
        if out.isEmpty {
            for n in objects.keys.sorted() {
                if let d = dict(objects[n]), resolve(d["Type"])?.name == "Page" { out.append(d) }
            }
        }
        return out
    }

    // MARK: Scanning

    private mutating func scanObjects(_ data: [UInt8]) {
        let marker = Array("obj".utf8)
        var i = 0
        while let at = Self.find(marker, in: data, from: i) {
            i = at + 3
            // Preceded by `<num> <gen> ` and followed by a non-regular character.
            guard i >= data.count || !PDFScanner.isRegular(data[i]) else { continue }
            var j = at - 1
            while j >= 0, PDFScanner.isWhitespace(data[j]) { j -= 1 }
            let genEnd = j + 1
            while j >= 0, (0x30...0x39).contains(data[j]) { j -= 1 }
            guard genEnd > j + 1 else { continue }
            var k = j
            while k >= 0, PDFScanner.isWhitespace(data[k]) { k -= 1 }
            guard k < j else { continue }
            let numEnd = k + 1
            while k >= 0, (0x30...0x39).contains(data[k]) { k -= 1 }
            guard numEnd > k + 1, let number = Int(String(decoding: data[(k + 1)..<numEnd], as: UTF8.self)) else { continue }
            var scanner = PDFScanner(data, at: i)
            guard var object = try? scanner.parseObject() else { continue }
            if case .dictionary(let d) = object {
                scanner.skipWhitespace()
                if scanner.peekKeyword("stream") {
                    var start = scanner.pos + 6
                    if start < data.count, data[start] == 0x0D { start += 1 }
                    if start < data.count, data[start] == 0x0A { start += 1 }
                    var end: Int?
                    if let length = d["Length"]?.int, length >= 0, start + length <= data.count {
                        let candidate = start + length
                        var s = PDFScanner(data, at: candidate)
                        s.skipWhitespace()
                        if s.peekKeyword("endstream") { end = candidate }
                    }
                    if end == nil, let e = Self.find(Array("endstream".utf8), in: data, from: start) {
                        var t = e
                        if t > start, data[t - 1] == 0x0A { t -= 1 }
                        if t > start, data[t - 1] == 0x0D { t -= 1 }
                        end = t
                    }
                    guard let end, end >= start else { continue }
                    object = .stream(d, Array(data[start..<end]))
                    i = end
                }
            }
            objects[number] = object
        }
    }

    private mutating func scanTrailers(_ data: [UInt8]) {
        let marker = Array("trailer".utf8)
        var i = 0
        while let at = Self.find(marker, in: data, from: i) {
            i = at + marker.count
            var s = PDFScanner(data, at: i)
            if let d = try? s.parseObject().dictionary { for (k, v) in d where trailer[k] == nil || k != "Prev" { trailer[k] = v } }
        }
        // Cross-reference streams (PDF 1.5) carry the trailer keys in their dictionary.
        for (_, o) in objects {
            if case .stream(let d, _) = o, d["Type"]?.name == "XRef" {
                for key in ["Root", "Encrypt", "Info"] where trailer[key] == nil { if let v = d[key] { trailer[key] = v } }
            }
        }
    }

    private mutating func expandObjectStreams() {
        for (_, o) in objects {
            guard case .stream(let d, _) = o, resolve(d["Type"])?.name == "ObjStm",
                  let n = resolve(d["N"])?.int, let first = resolve(d["First"])?.int,
                  let bytes = streamData(o), first >= 0, first <= bytes.count else { continue }
            var header = PDFScanner(Array(bytes[0..<first]))
            var entries: [(Int, Int)] = []
            for _ in 0..<max(0, min(n, 100_000)) {
                guard let num = (try? header.parseObject(operatorsAllowed: true))?.int,
                      let offset = (try? header.parseObject(operatorsAllowed: true))?.int else { break }
                entries.append((num, offset))
            }
            for (num, offset) in entries where objects[num] == nil && offset >= 0 {
                var s = PDFScanner(bytes, at: first + offset)
                if let obj = try? s.parseObject() { objects[num] = obj }
            }
        }
    }

    static func find(_ needle: [UInt8], in data: [UInt8], from: Int, limit: Int? = nil) -> Int? {
        guard !needle.isEmpty, data.count >= needle.count else { return nil }
        let last = min(data.count - needle.count, limit.map { from + $0 } ?? Int.max)
        var i = max(0, from)
        let first = needle[0]
        while i <= last {
            if data[i] == first {
                var k = 1
                while k < needle.count, data[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// PNG "Up"/"Sub"… predictors used by cross-reference and object streams.
    static func undoPNGPredictor(_ data: [UInt8], columns: Int) -> [UInt8] {
        let row = columns + 1
        guard columns > 0, data.count >= row else { return data }
        var out: [UInt8] = []
        var previous = [UInt8](repeating: 0, count: columns)
        var i = 0
        while i + row <= data.count {
            let type = data[i]
            var line = Array(data[(i + 1)..<(i + row)])
            for x in 0..<columns {
                let left: UInt8 = x > 0 ? line[x - 1] : 0
                switch type {
                case 1: line[x] = line[x] &+ left
                case 2: line[x] = line[x] &+ previous[x]
                case 3: line[x] = line[x] &+ UInt8((Int(left) + Int(previous[x])) / 2)
                default: break
                }
            }
            out.append(contentsOf: line)
            previous = line
            i += row
        }
        return out
    }
}
