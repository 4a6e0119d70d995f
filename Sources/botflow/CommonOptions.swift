import ArgumentParser
import BotFlowCore
import Foundation
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

func makeLogger(level: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardOutput(label: label)
        handler.logLevel = switch level {
        case "debug": .debug
        case "warn": .warning
        case "error": .error
        default: .info
        }
        return handler
    }
    return Logger(label: "botflow")
}
