/// DOCX text (behaviour §7.2): `word/document.xml` of the zip; text of `w:t`, `w:tab` → tab, `w:br`/`w:cr` →
/// newline, end of `w:p` → newline; XML entities decoded.
///
/// A small XML scanner instead of FoundationXML's `XMLParser`: on Linux that parser crashes the process on some
/// malformed input (invalid UTF-8 in element names, found by the corrupt-file test), and an upload must never do that.
enum DOCXExtractor {
    struct Invalid: Error {}

    static func extract(_ data: [UInt8]) throws -> String {
        guard let xml = try? ZipReader(data).entry("word/document.xml") else { throw Invalid() }
        return try text(ofDocumentXML: xml)
    }

    static func text(ofDocumentXML x: [UInt8]) throws -> String {
        var out: [UInt8] = []
        var i = 0
        var inText = 0
        var inTabStops = 0 // `w:tab` inside `w:tabs` defines a tab stop, not a tab character
        var depth = 0
        var sawRoot = false
        func starts(_ s: String, at p: Int) -> Bool {
            let b = Array(s.utf8)
            return p + b.count <= x.count && Array(x[p..<(p + b.count)]) == b
        }
        func skip(to terminator: String, from p: Int) throws -> Int {
            let t = Array(terminator.utf8)
            var k = p
            while k + t.count <= x.count {
                if x[k] == t[0], Array(x[k..<(k + t.count)]) == t { return k + t.count }
                k += 1
            }
            throw Invalid()
        }
        while i < x.count {
            if x[i] != 0x3C { // text
                let start = i
                while i < x.count, x[i] != 0x3C { i += 1 }
                if inText > 0 { out += try decodeEntities(x[start..<i]) }
                continue
            }
            if starts("<?", at: i) { i = try skip(to: "?>", from: i + 2); continue }
            if starts("<!--", at: i) { i = try skip(to: "-->", from: i + 4); continue }
            if starts("<![CDATA[", at: i) {
                let end = try skip(to: "]]>", from: i + 9)
                if inText > 0 { out += x[(i + 9)..<(end - 3)] }
                i = end
                continue
            }
            if starts("<!", at: i) { i = try skip(to: ">", from: i + 2); continue }
            // A tag: name, attributes (quoted values may hold `>`), then `>` or `/>`.
            let closing = i + 1 < x.count && x[i + 1] == 0x2F
            var k = i + (closing ? 2 : 1)
            let nameStart = k
            while k < x.count, !isSpace(x[k]), x[k] != 0x3E, x[k] != 0x2F { k += 1 }
            let name = Array(x[nameStart..<k])
            guard !name.isEmpty else { throw Invalid() }
            var quote: UInt8 = 0
            while k < x.count {
                let c = x[k]
                if quote != 0 { if c == quote { quote = 0 } } else if c == 0x22 || c == 0x27 { quote = c } else if c == 0x3E { break }
                k += 1
            }
            guard k < x.count else { throw Invalid() }
            let selfClosing = !closing && x[k - 1] == 0x2F
            i = k + 1
            let tag = String(decoding: name, as: UTF8.self)
            if closing {
                depth -= 1
                guard depth >= 0 else { throw Invalid() }
                switch tag {
                case "w:t": inText = max(0, inText - 1)
                case "w:tabs": inTabStops = max(0, inTabStops - 1)
                case "w:p": out.append(0x0A)
                default: break
                }
            } else {
                sawRoot = true
                if !selfClosing { depth += 1 }
                switch tag {
                case "w:t": if !selfClosing { inText += 1 }
                case "w:tabs": if !selfClosing { inTabStops += 1 }
                case "w:tab": if inTabStops == 0 { out.append(0x09) }
                case "w:br", "w:cr": out.append(0x0A)
                case "w:p": if selfClosing { out.append(0x0A) }
                default: break
                }
            }
        }
        guard sawRoot, depth == 0 else { throw Invalid() }
        return String(decoding: out, as: UTF8.self)
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// `&lt; &gt; &amp; &quot; &apos;` and numeric references; anything else is kept as written.
    static func decodeEntities(_ s: ArraySlice<UInt8>) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            guard s[i] == 0x26, let semi = s[i..<min(s.endIndex, i + 12)].firstIndex(of: 0x3B) else { out.append(s[i]); i += 1; continue }
            let entity = String(decoding: s[(i + 1)..<semi], as: UTF8.self)
            var scalar: Unicode.Scalar?
            switch entity {
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "amp": scalar = "&"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") { scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst(1)).flatMap(Unicode.Scalar.init) }
            }
            if let scalar { out += Array(String(scalar).utf8); i = semi + 1 } else { out.append(s[i]); i += 1 }
        }
        return out
    }
}
