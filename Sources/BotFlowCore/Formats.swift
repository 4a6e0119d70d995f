/// Hand-written checks for the string formats the API validates (no regex engine on the hot path).
public enum Formats {
    /// A pragmatic email check: one `@`, a dot-atom local part and a domain of at least two labels with an alphabetic TLD.
    public static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.allSatisfy({ localAllowed.contains($0) }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, domain.utf8.count <= 253 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), !label.hasPrefix("-"), !label.hasSuffix("-"),
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        let tld = labels.last!
        return tld.count >= 2 && tld.allSatisfy { $0.isASCII && $0.isLetter }
    }

    /// E.164: `^\+[1-9]\d{6,14}$`.
    public static func isE164(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (8...16).contains(b.count), b[0] == UInt8(ascii: "+"), (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(b[1])
        else { return false }
        return b[2...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Strips a leading `whatsapp:` (providers prefix numbers with it).
    public static func stripWhatsAppPrefix(_ s: String) -> String {
        s.hasPrefix("whatsapp:") ? String(s.dropFirst("whatsapp:".count)) : s
    }

    public static func isHTTPURL(_ s: String) -> Bool {
        (s.hasPrefix("http://") || s.hasPrefix("https://")) && s.count > 8 && !s.contains(" ")
    }

    /// `^[a-z0-9]+(?:-[a-z0-9]+)*$` (organization slugs, marketplace slugs).
    public static func isSlug(_ s: String) -> Bool {
        guard !s.isEmpty, !s.hasPrefix("-"), !s.hasSuffix("-"), !s.contains("--") else { return false }
        return s.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// `^[a-z][a-z0-9_]*$` (template field keys and intent names).
    public static func isIdentifierKey(_ s: String) -> Bool {
        guard let first = s.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return s.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// `^[a-z0-9_]+$` (template verticals).
    public static func isVertical(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }
}
