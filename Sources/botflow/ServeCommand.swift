import ArgumentParser
import BotFlowAPI
import BotFlowCore
import BotFlowStorage
import Hummingbird
import Logging

/// `botflow serve`: start the HTTP server (data directory, secrets, migrations and seed data are set up first).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server.")

    @OptionGroup var common: CommonOptions
    @Option(name: .long, help: "Listen address (overrides HOST; default 0.0.0.0).") var host: String?
    @Option(name: .long, help: "Listen port (overrides PORT; default 3001).") var port: Int?

    func run() async throws {
        let settings = try common.settings(host: host, port: port)
        let logger = makeLogger(level: settings.logLevel)
        // One server per data directory; `botflow backup restore` checks this lock too (behaviour §13.8).
        let dataDirectoryLock: DataDirectoryLock?
        do {
            try Appliance.createDataDirectory(settings.dataDirectory)
            dataDirectoryLock = try DataDirectoryLock.acquire(dataDirectory: settings.dataDirectory)
        } catch {
            throw ValidationError("configuration refused: \(error)")
        }
        guard let dataDirectoryLock else {
            throw ValidationError("configuration refused: another botflow server is using \(settings.dataDirectory)")
        }
        defer { _ = dataDirectoryLock }
        let deps: AppDependencies
        do {
            deps = try await Appliance.prepare(settings: settings, logger: logger)
        } catch let error as ConfigurationError {
            throw ValidationError("configuration refused: \(error.message)")
        }
        logger.info("botflow listening", metadata: [
            "host": "\(settings.host)", "port": "\(settings.port)", "data_dir": "\(settings.dataDirectory)",
        ])
        let app = buildApplication(deps)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
