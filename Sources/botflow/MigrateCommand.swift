import ArgumentParser
import BotFlowAPI
import BotFlowStorage
import Logging

/// `botflow migrate`: apply pending migrations to the data directory's database and exit.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations and exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = try common.settings()
        let logger = makeLogger(level: settings.logLevel)
        try Appliance.createDataDirectory(settings.dataDirectory)
        let database = try AppDatabase(path: settings.databasePath, logger: logger)
        print("schema_version \(try database.schemaVersion())")
        try database.close()
    }
}
