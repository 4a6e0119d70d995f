/// A parsed PDF object (ISO 32000-1 §7.3).
indirect enum PDFObject: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string([UInt8])
    case name(String)
    case array([PDFObject])
    case dictionary([String: PDFObject])
    case reference(Int, Int)
    case stream([String: PDFObject], [UInt8])

    var dictionary: [String: PDFObject]? {
        switch self {
        case .dictionary(let d): return d
        case .stream(let d, _): return d
        default: return nil
        }
    }
    var array: [PDFObject]? { if case .array(let a) = self { return a } else { return nil } }
    var name: String? { if case .name(let n) = self { return n } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    /// A number as an Int, only when finite and of sane magnitude (corrupt files carry anything).
    var int: Int? {
        guard case .number(let n) = self, n.isFinite, abs(n) < 1e12 else { return nil }
        return Int(n)
    }
    var bytes: [UInt8]? { if case .string(let s) = self { return s } else { return nil } }
}

/// A PDF tokenizer and object parser over raw bytes. Every access is bounds-checked: a corrupt file ends in
/// `PDFSyntaxError`, never in a crash.
struct PDFScanner {
    struct PDFSyntaxError: Error {}

    let data: [UInt8]
    var pos: Int
    var depth = 0

    init(_ data: [UInt8], at pos: Int = 0) { self.data = data; self.pos = pos }

    var atEnd: Bool { pos >= data.count }

    static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C || b == 0x00 }
    static func isDelimiter(_ b: UInt8) -> Bool {
        b == 0x28 || b == 0x29 || b == 0x3C || b == 0x3E || b == 0x5B || b == 0x5D || b == 0x7B || b == 0x7D || b == 0x2F || b == 0x25
    }
    static func isRegular(_ b: UInt8) -> Bool { !isWhitespace(b) && !isDelimiter(b) }

    mutating func skipWhitespace() {
        while pos < data.count {
            let b = data[pos]
            if Self.isWhitespace(b) { pos += 1 }
            else if b == 0x25 { // comment to end of line
                while pos < data.count, data[pos] != 0x0A, data[pos] != 0x0D { pos += 1 }
            } else { break }
        }
    }

    /// A bare keyword or number token (regular characters).
    mutating func regularToken() -> String {
        let start = pos
        while pos < data.count, Self.isRegular(data[pos]) { pos += 1 }
        return String(decoding: data[start..<pos], as: UTF8.self)
    }

    func peekKeyword(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard pos + w.count <= data.count, Array(data[pos..<pos + w.count]) == w else { return false }
        return pos + w.count == data.count || !Self.isRegular(data[pos + w.count])
    }

    /// Parses one object; `operatorsAllowed` returns bare keywords as `.name("op:<kw>")` (content streams).
    mutating func parseObject(operatorsAllowed: Bool = false) throws -> PDFObject {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw PDFSyntaxError() }
        skipWhitespace()
        guard pos < data.count else { throw PDFSyntaxError() }
        let b = data[pos]
        switch b {
        case 0x2F: // /Name
            pos += 1
            let start = pos
            while pos < data.count, Self.isRegular(data[pos]) { pos += 1 }
            return .name(Self.decodeName(Array(data[start..<pos])))
        case 0x28: return .string(try literalString())
        case 0x3C:
            if pos + 1 < data.count, data[pos + 1] == 0x3C {
                pos += 2
                var dict: [String: PDFObject] = [:]
                while true {
                    skipWhitespace()
                    guard pos < data.count else { throw PDFSyntaxError() }
                    if data[pos] == 0x3E { pos += 1; if pos < data.count, data[pos] == 0x3E { pos += 1 }; break }
                    guard case .name(let key) = try parseObject() else { throw PDFSyntaxError() }
                    skipWhitespace()
                    if pos < data.count, data[pos] == 0x3E { dict[key] = .null; continue }
                    dict[key] = try parseObject()
                }
                return .dictionary(dict)
            }
            return .string(try hexString())
        case 0x5B:
            pos += 1
            var items: [PDFObject] = []
            while true {
                skipWhitespace()
                guard pos < data.count else { throw PDFSyntaxError() }
                if data[pos] == 0x5D { pos += 1; break }
                items.append(try parseObject(operatorsAllowed: operatorsAllowed))
            }
            return .array(items)
        case 0x29, 0x3E, 0x5D, 0x7B, 0x7D:
            pos += 1
            if operatorsAllowed { return .name("op:" + String(UnicodeScalar(b))) }
            throw PDFSyntaxError()
        default:
            let token = regularToken()
            guard !token.isEmpty else { pos += 1; throw PDFSyntaxError() }
            if Self.isNumeric(token), let n = Double(token), n.isFinite {
                // `N G R` is a reference (only outside content streams).
                if !operatorsAllowed, token.allSatisfy({ $0.isNumber }) {
                    let save = pos
                    skipWhitespace()
                    let g = regularToken()
                    if !g.isEmpty, g.allSatisfy({ $0.isNumber }) {
                        skipWhitespace()
                        if pos < data.count, data[pos] == 0x52, pos + 1 >= data.count || !Self.isRegular(data[pos + 1]) {
                            pos += 1
                            return .reference(Int(token) ?? 0, Int(g) ?? 0)
                        }
                    }
                    pos = save
                }
                return .number(n)
            }
            switch token {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                if operatorsAllowed { return .name("op:" + token) }
                throw PDFSyntaxError()
            }
        }
    }

    /// PDF numbers: optional sign, digits with at most one period (no exponents, `nan` or `inf`).
    static func isNumeric(_ token: String) -> Bool {
        var digits = 0, periods = 0
        for (i, c) in token.utf8.enumerated() {
            switch c {
            case 0x30...0x39: digits += 1
            case 0x2E: periods += 1
            case 0x2B, 0x2D: if i != 0 { return false }
            default: return false
            }
        }
        return digits > 0 && periods <= 1
    }

    mutating func literalString() throws -> [UInt8] {
        pos += 1
        var out: [UInt8] = []
        var nesting = 1
        while pos < data.count {
            let c = data[pos]
            pos += 1
            switch c {
            case 0x5C: // backslash escape
                guard pos < data.count else { throw PDFSyntaxError() }
                let e = data[pos]
                pos += 1
                switch e {
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x0D: if pos < data.count, data[pos] == 0x0A { pos += 1 }
                case 0x0A: break
                case 0x30...0x37:
                    var value = Int(e - 0x30)
                    var digits = 1
                    while digits < 3, pos < data.count, (0x30...0x37).contains(data[pos]) {
                        value = value * 8 + Int(data[pos] - 0x30); pos += 1; digits += 1
                    }
                    out.append(UInt8(value & 0xFF))
                default: out.append(e)
                }
            case 0x28: nesting += 1; out.append(c)
            case 0x29:
                nesting -= 1
                if nesting == 0 { return out }
                out.append(c)
            default: out.append(c)
            }
        }
        throw PDFSyntaxError()
    }

    mutating func hexString() throws -> [UInt8] {
        pos += 1
        var nibbles: [UInt8] = []
        while pos < data.count {
            let c = data[pos]
            pos += 1
            if c == 0x3E {
                if nibbles.count % 2 == 1 { nibbles.append(0) }
                return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
            }
            if let v = Self.hexValue(c) { nibbles.append(v) }
        }
        throw PDFSyntaxError()
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// `#xx` escapes of names.
    static func decodeName(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x23, i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else { out.append(bytes[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
