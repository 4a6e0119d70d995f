import ArgumentParser

/// `botflow`: one binary for the server and its operator commands.
@main
struct BotflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botflow",
        abstract: "BotFlow Appliance: a self-hosted WhatsApp chatbot server on one SQLite file.",
        subcommands: [ServeCommand.self, MigrateCommand.self],
        defaultSubcommand: ServeCommand.self)
}
