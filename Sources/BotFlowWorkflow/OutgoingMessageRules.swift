/// The rules for every bot message (behaviour §6.5): `{{…}}` placeholders still present are removed; text longer
/// than 4096 characters is cut at the last whitespace before position 4096 and `…` appended. The workflow applies
/// them before deciding a reply or question is empty; the reply pipeline applies them to everything it stores.
public enum OutgoingMessageRules {
    public static let maxLength = 4096

    public static func clean(_ text: String) -> String {
        var out = WorkflowPlaceholders.stripUnresolved(text)
        let scalars = Array(out.unicodeScalars)
        if scalars.count > maxLength {
            let head = scalars[..<maxLength]
            let cut = head.lastIndex(where: { $0.properties.isWhitespace }) ?? (maxLength - 1)
            out = String(String.UnicodeScalarView(scalars[..<cut])) + "…"
        }
        return out
    }
}
