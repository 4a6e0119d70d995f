/// The supported upload types (api.md K2).
public enum KnowledgeFileType {
    public static let pdf = "application/pdf"
    public static let plain = "text/plain"
    public static let markdown = "text/markdown"
    public static let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    public static let all = [pdf, plain, markdown, docx]
}

/// An extraction failure with the article's `error_message` (behaviour §7.2).
public struct ExtractionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    public static let encryptedPDF = ExtractionError("Encrypted PDFs are not supported")
    public static let corruptPDF = ExtractionError("Unsupported or corrupt PDF")
    public static let invalidDOCX = ExtractionError("Invalid DOCX file")
    public static let emptyPDF = ExtractionError("PDF contains no text content")
    public static let emptyDocument = ExtractionError("Document contains no text content")
}

/// Text of an uploaded file by its declared type, cleaned up; fails with the spec's messages, never crashes.
public enum TextExtractor {
    public static func extract(_ bytes: [UInt8], fileType: String) throws(ExtractionError) -> String {
        let raw: String
        switch fileType {
        case KnowledgeFileType.pdf:
            do { raw = try PDFTextExtractor.extract(bytes) } catch .encrypted { throw .encryptedPDF } catch { throw .corruptPDF }
        case KnowledgeFileType.docx:
            do { raw = try DOCXExtractor.extract(bytes) } catch { throw .invalidDOCX }
        default:
            raw = TextCleanup.decodeUTF8(bytes)
        }
        let text = TextCleanup.clean(raw)
        if text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
            throw fileType == KnowledgeFileType.pdf ? .emptyPDF : .emptyDocument
        }
        return text
    }
}
