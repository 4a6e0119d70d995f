import BotFlowCore
import Foundation
import Testing

/// appliance/botflow.env.sample is what an operator edits: it must name every setting of docs/CONFIGURATION.md
/// (behaviour §1.1), and its shown defaults must be accepted and equal the built-in defaults.
@Suite struct EnvironmentSampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }

    /// `#NAME=value` lines of the sample.
    static func sampleEntries() throws -> [(String, String)] {
        try read("appliance/botflow.env.sample").split(separator: "\n").compactMap { line in
            guard line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { return nil }
            let name = line[line.index(after: line.startIndex)..<eq]
            guard !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { return nil }
            return (String(name), String(line[line.index(after: eq)...]))
        }
    }

    /// Variable names in the first column of the configuration table (`A` / `B` cells list several).
    static func documentedNames() throws -> Set<String> {
        var names = Set<String>()
        for line in try read("docs/CONFIGURATION.md").split(separator: "\n") where line.hasPrefix("| `") {
            let firstCell = line.split(separator: "|")[0]
            for part in firstCell.split(separator: "`") where part.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) && !part.isEmpty {
                names.insert(String(part))
            }
        }
        return names
    }

    @Test func namesEverySettingOnce() throws {
        let names = try Self.sampleEntries().map(\.0)
        #expect(names.count == Set(names).count)
        let documented = try Self.documentedNames()
        #expect(documented.count >= 57)
        #expect(Set(names) == documented)
    }

    @Test func itsDefaultsAreAcceptedAndAreTheBuiltInDefaults() throws {
        var env: [String: String] = [:]
        for (name, value) in try Self.sampleEntries() where !value.isEmpty { env[name] = value }
        let fromSample = try Settings.fromEnvironment(env)
        let builtIn = Settings()
        #expect(fromSample.port == builtIn.port && fromSample.host == builtIn.host && fromSample.dataDirectory == builtIn.dataDirectory)
        #expect(fromSample.rateLimitGlobal == builtIn.rateLimitGlobal && fromSample.rateLimitAuth == builtIn.rateLimitAuth)
        #expect(fromSample.cacheMaxBytes == builtIn.cacheMaxBytes && fromSample.jobConcurrency == builtIn.jobConcurrency)
        #expect(fromSample.backupKDFIterations == builtIn.backupKDFIterations && fromSample.backupScheduleUTC == builtIn.backupScheduleUTC)
        #expect(fromSample.metaGraphBaseURL == builtIn.metaGraphBaseURL && fromSample.costPer1KTokensUSD == builtIn.costPer1KTokensUSD)
        #expect(fromSample.llmMaxTokens == builtIn.llmMaxTokens && fromSample.slowQueryMilliseconds == builtIn.slowQueryMilliseconds)
        #expect(fromSample.logLevel == builtIn.logLevel && fromSample.frontendURL == builtIn.frontendURL)
    }
}
