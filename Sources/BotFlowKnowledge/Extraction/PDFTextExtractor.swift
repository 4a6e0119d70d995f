/// The text layer of a PDF (behaviour §7.2): each page's content streams in order, text-showing operators `Tj`,
/// `TJ`, `'` and `"`; `T*`, and `Td`/`TD` with a vertical offset, start a new line; pages separated by a blank line.
enum PDFTextExtractor {
    enum Failure: Error { case encrypted, corrupt }

    static func extract(_ data: [UInt8]) throws(Failure) -> String {
        let doc: PDFDocument
        do { doc = try PDFDocument(data) } catch is PDFDocument.Encrypted { throw .encrypted } catch { throw .corrupt }
        let pages = doc.pages()
        guard !pages.isEmpty else { throw .corrupt }
        var texts: [String] = []
        for page in pages {
            var fonts: [String: PDFFont] = [:]
            if let resources = doc.dict(page["Resources"]), let fontDict = doc.dict(resources["Font"]) {
                for (name, ref) in fontDict { if let f = doc.dict(ref) { fonts[name] = PDFFont(f, in: doc) } }
            }
            var content: [UInt8] = []
            switch doc.resolve(page["Contents"]) {
            case .array(let parts):
                for part in parts { if let bytes = doc.streamData(part) { content += bytes; content.append(0x0A) } }
            case .some(let single):
                if let bytes = doc.streamData(single) { content = bytes }
            case .none: break
            }
            texts.append(pageText(content, fonts: fonts))
        }
        return texts.joined(separator: "\n\n")
    }

    static func pageText(_ content: [UInt8], fonts: [String: PDFFont]) -> String {
        var s = PDFScanner(content)
        var operands: [PDFObject] = []
        var font = PDFFont()
        var out = ""
        func newline() { if !out.isEmpty, !out.hasSuffix("\n") { out += "\n" } }
        func show(_ bytes: [UInt8]) { out += font.decode(bytes) }
        while !s.atEnd {
            let object: PDFObject
            do { object = try s.parseObject(operatorsAllowed: true) } catch { s.pos += 1; operands.removeAll(); continue }
            guard case .name(let n) = object, n.hasPrefix("op:") else { operands.append(object); continue }
            switch n {
            case "op:Tf":
                if operands.count >= 2, let name = operands[operands.count - 2].name { font = fonts[name] ?? PDFFont() }
            case "op:Tj":
                if let b = operands.last?.bytes { show(b) }
            case "op:'":
                newline()
                if let b = operands.last?.bytes { show(b) }
            case "op:\"":
                newline()
                if let b = operands.last?.bytes { show(b) }
            case "op:TJ":
                for item in operands.last?.array ?? [] {
                    switch item {
                    case .string(let b): show(b)
                    // A wide negative adjustment is how many writers encode a word space.
                    case .number(let adj) where adj <= -200: if !out.hasSuffix(" "), !out.hasSuffix("\n") { out += " " }
                    default: break
                    }
                }
            case "op:T*": newline()
            case "op:Td", "op:TD":
                if operands.count >= 2, let ty = operands[operands.count - 1].number, ty != 0 { newline() }
            case "op:BT": break
            case "op:ET": break
            case "op:ID":
                // Inline image data: skip to `EI` preceded by whitespace.
                while s.pos + 2 < content.count {
                    if PDFScanner.isWhitespace(content[s.pos]), content[s.pos + 1] == 0x45, content[s.pos + 2] == 0x49 { s.pos += 3; break }
                    s.pos += 1
                }
            default: break
            }
            operands.removeAll(keepingCapacity: true)
        }
        return out
    }
}
