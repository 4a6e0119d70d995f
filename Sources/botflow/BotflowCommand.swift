import ArgumentParser
import Foundation

/// `botflow`: one binary for the server and its operator commands.
@main
struct BotflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botflow",
        abstract: "BotFlow Appliance: a self-hosted WhatsApp chatbot server on one SQLite file.",
        subcommands: [ServeCommand.self, MigrateCommand.self, BackupCommand.self, SeedDemoCommand.self],
        defaultSubcommand: ServeCommand.self)

    /// Runs the command; usage errors exit 2 (behaviour §13.8) instead of ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
