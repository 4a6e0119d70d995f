/// How a font's string bytes become text: its ToUnicode CMap when present, else WinAnsi (with `/Differences`).
struct PDFFont {
    var codeWidths: [Int] = [1]          // byte lengths of codes, from the CMap's codespace ranges
    var cmap: [UInt32: String] = [:]     // code → Unicode text
    var differences: [UInt8: String] = [:]
    var twoByteDefault = false           // Type0 fonts without a usable CMap: 2-byte codes

    init() {}

    init(_ font: [String: PDFObject], in doc: PDFDocument) {
        if let bytes = doc.streamData(font["ToUnicode"]) { parseCMap(bytes) }
        if doc.resolve(font["Subtype"])?.name == "Type0", cmap.isEmpty { twoByteDefault = true }
        if let enc = doc.dict(font["Encoding"]), let diffs = doc.resolve(enc["Differences"])?.array {
            var code = 0
            for item in diffs {
                switch doc.resolve(item) {
                case .number: code = doc.resolve(item)?.int ?? -1
                case .name(let glyph):
                    if code >= 0, code < 256, let text = Self.glyphText(glyph) { differences[UInt8(code)] = text }
                    code += 1
                default: break
                }
            }
        }
    }

    func decode(_ bytes: [UInt8]) -> String {
        if !cmap.isEmpty {
            var out = ""
            var i = 0
            let widths = codeWidths.sorted()
            outer: while i < bytes.count {
                for w in widths where i + w <= bytes.count {
                    var code: UInt32 = 0
                    for k in 0..<w { code = code << 8 | UInt32(bytes[i + k]) }
                    if let text = cmap[code] { out += text; i += w; continue outer }
                }
                let w = widths.first ?? 1
                i += max(1, w)
            }
            return out
        }
        if twoByteDefault {
            var out = String.UnicodeScalarView()
            var i = 0
            while i + 1 < bytes.count {
                if let s = Unicode.Scalar(UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])) { out.append(s) }
                i += 2
            }
            return String(out)
        }
        var out = ""
        for b in bytes {
            if let d = differences[b] { out += d } else { out.unicodeScalars.append(WinAnsi.scalar(b)) }
        }
        return out
    }

    /// `beginbfchar`/`beginbfrange`/`begincodespacerange` sections of a ToUnicode CMap.
    mutating func parseCMap(_ bytes: [UInt8]) {
        var s = PDFScanner(bytes)
        var operands: [PDFObject] = []
        var widths = Set<Int>()
        while !s.atEnd {
            guard let o = try? s.parseObject(operatorsAllowed: true) else { s.pos += 1; continue }
            guard case .name(let n) = o, n.hasPrefix("op:") else { operands.append(o); continue }
            switch n {
            case "op:endcodespacerange":
                for case .string(let lo) in operands { widths.insert(lo.count) }
            case "op:endbfchar":
                let items = operands.filter { if case .string = $0 { return true } else { return false } }
                var k = 0
                while k + 1 < items.count {
                    if let src = items[k].bytes, let dst = items[k + 1].bytes { cmap[Self.code(src)] = Self.utf16BE(dst); widths.insert(src.count) }
                    k += 2
                }
            case "op:endbfrange":
                var k = 0
                while k + 2 < operands.count {
                    guard let lo = operands[k].bytes, let hi = operands[k + 1].bytes else { k += 1; continue }
                    let a = Self.code(lo), b = Self.code(hi)
                    widths.insert(lo.count)
                    if b >= a, b - a <= 65_535 {
                        switch operands[k + 2] {
                        case .string(let dst):
                            var base = dst
                            for c in a...b {
                                cmap[c] = Self.utf16BE(base)
                                if var last = base.last { last &+= 1; base[base.count - 1] = last }
                            }
                        case .array(let list):
                            for (offset, item) in list.enumerated() where UInt32(offset) <= b - a {
                                if let dst = item.bytes { cmap[a + UInt32(offset)] = Self.utf16BE(dst) }
                            }
                        default: break
                        }
                    }
                    k += 3
                }
            default: break
            }
            operands.removeAll(keepingCapacity: true)
        }
        if !widths.isEmpty { codeWidths = Array(widths).filter { $0 > 0 && $0 <= 4 } }
        if codeWidths.isEmpty { codeWidths = [1] }
    }

    static func code(_ bytes: [UInt8]) -> UInt32 { bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }

    static func utf16BE(_ bytes: [UInt8]) -> String {
        var units: [UInt16] = []
        var i = 0
        while i + 1 < bytes.count { units.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])); i += 2 }
        if bytes.count % 2 == 1, let last = bytes.last { units.append(UInt16(last)) }
        return String(decoding: units, as: UTF16.self)
    }

    /// Glyph names of `/Differences`: `uniXXXX`, single characters and a few common names.
    static func glyphText(_ name: String) -> String? {
        if name.hasPrefix("uni"), name.count == 7, let v = UInt32(name.dropFirst(3), radix: 16), let s = Unicode.Scalar(v) { return String(s) }
        if name.count == 1 { return name }
        let common: [String: String] = [
            "space": " ", "period": ".", "comma": ",", "hyphen": "-", "quoteright": "\u{2019}", "quoteleft": "\u{2018}",
            "quotedbl": "\"", "quotesingle": "'", "colon": ":", "semicolon": ";", "question": "?", "exclam": "!",
            "parenleft": "(", "parenright": ")", "slash": "/", "fi": "fi", "fl": "fl", "endash": "\u{2013}", "emdash": "\u{2014}",
            "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
        ]
        return common[name]
    }
}

/// WinAnsiEncoding (PDF Annex D): Latin-1 with the Windows-1252 characters at 0x80–0x9F.
enum WinAnsi {
    static let high: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    static func scalar(_ b: UInt8) -> Unicode.Scalar {
        if (0x80...0x9F).contains(b) { return Unicode.Scalar(high[Int(b) - 0x80]) ?? "\u{FFFD}" }
        return Unicode.Scalar(b)
    }
}
