import ArgumentParser
import BotFlowCore
import Foundation
import BotFlowObservability
import Logging

/// Flags shared by the subcommands; each overrides the environment variable of the same meaning.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (overrides BOTFLOW_DATA_DIR; default ./data).")
    var dataDir: String?

    /// Settings from the environment with the flags applied; a refused configuration exits non-zero with a message.
    func settings(host: String? = nil, port: Int? = nil) throws -> Settings {
        do {
            var s = try Settings.fromEnvironment(ProcessInfo.processInfo.environment)
            if let dataDir { s.dataDirectory = dataDir }
            if let host { s.host = host }
            if let port { s.port = port }
            try s.validate()
            return s
        } catch {
            throw ValidationError("configuration refused: \(error)")
        }
    }
}

/// Structured JSON log lines on stdout (behaviour §12) at the configured level.
func makeLogger(level: String) -> Logger {
    let logLevel: Logger.Level = switch level {
    case "debug": .debug
    case "warn": .warning
    case "error": .error
    default: .info
    }
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: logLevel) }
    return Logger(label: "botflow")
}
