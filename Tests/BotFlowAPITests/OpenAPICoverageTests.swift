import BotFlowAPI
import BotFlowTestSupport
import Foundation
import Hummingbird
import Testing

/// Issue 6: `docs/openapi.yaml` describes every route the router registers (method and path; parameter names may
/// differ — the router needs one name per position — so `{…}` segments compare as placeholders).
@Suite struct OpenAPICoverageTests {
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path

    /// `path → methods` from the YAML's `paths:` block (two-space path keys, four-space method keys).
    static func documented() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: documentPath, encoding: .utf8)
        var out: [String: Set<String>] = [:]
        var inPaths = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                current = normalise(String(line.dropFirst(2).dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'\"")))
                continue
            }
            let methods = ["get", "post", "put", "patch", "delete", "options"]
            if let current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
               case let m = String(line.dropFirst(4).dropLast()), methods.contains(m) {
                out[current, default: []].insert(m.uppercased())
            }
        }
        return out
    }

    static func normalise(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            if segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}")) { return "{}" }
            return String(segment)
        }.joined(separator: "/")
    }

    @Test func everyRegisteredRouteIsInTheOpenAPIDocument() async throws {
        let app = try await TestAppliance.make()
        let router = buildRouter(app.deps)
        let documented = try Self.documented()
        #expect(documented.count > 50, "the paths block was read")
        #expect(router.routes.count > 50, "the router lists its routes")
        var missing: [String] = []
        for route in router.routes where route.method != .head {
            let path = Self.normalise(route.path.description)
            if documented[path]?.contains(route.method.rawValue) != true { missing.append("\(route.method) \(route.path)") }
        }
        #expect(missing.isEmpty, "routes missing from docs/openapi.yaml: \(missing.sorted())")
    }
}
