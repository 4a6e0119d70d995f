import Foundation

/// A small parser of the text exposition format (comments `# TYPE`, samples `name{labels} value`), strict enough that
/// malformed output fails the test.
public struct PrometheusText {
    public struct Line: Sendable { public let name: String; public let labels: [String: String]; public let value: Double }
    public var types: [String: String] = [:]
    public var lines: [Line] = []

    public struct Malformed: Error { public let line: String }

    public static func parse(_ text: String) throws -> PrometheusText {
        var out = PrometheusText()
        for raw in text.split(separator: "\n") {
            let line = String(raw)
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4 else { throw Malformed(line: line) }
                out.types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            var name = "", labels: [String: String] = [:], rest = Substring(line)
            if let brace = line.firstIndex(of: "{") {
                name = String(line[..<brace])
                guard let close = line.lastIndex(of: "}") else { throw Malformed(line: line) }
                for pair in line[line.index(after: brace)..<close].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, kv[1].hasPrefix("\""), kv[1].hasSuffix("\"") else { throw Malformed(line: line) }
                    labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                }
                rest = line[line.index(after: close)...]
            } else {
                guard let space = line.firstIndex(of: " ") else { throw Malformed(line: line) }
                name = String(line[..<space])
                rest = line[space...]
            }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }), !name.isEmpty,
                  let value = Double(rest.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "+Inf", with: "inf"))
            else { throw Malformed(line: line) }
            out.lines.append(Line(name: name, labels: labels, value: value))
        }
        return out
    }

    public func value(_ name: String, _ labels: [String: String]) -> Double? {
        lines.first { $0.name == name && $0.labels == labels }?.value
    }
}
