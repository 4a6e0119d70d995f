import BotFlowCore

/// The backup settings of behaviour §1.1 in the form the backup code uses them.
public struct BackupConfiguration: Sendable {
    public var dataDirectory: String
    /// Up to three; the first is primary (§13.5).
    public var directories: [String]
    public var passphrase: String
    public var kdfIterations: Int
    public var retentionDays: Int
    public var enabled: Bool
    /// Daily time, `HH:MM` UTC.
    public var scheduleUTC: String

    /// `settings.backupEncryptionKey` must be resolved already (environment or `backup.key`, §1.2).
    public init(settings: Settings) throws(BackupError) {
        guard let key = settings.backupEncryptionKey else { throw BackupError("no backup passphrase (BACKUP_ENCRYPTION_KEY or backup.key)") }
        dataDirectory = settings.dataDirectory
        directories = settings.effectiveBackupDirectories
        passphrase = key
        kdfIterations = settings.backupKDFIterations
        retentionDays = settings.backupRetentionDays
        enabled = settings.backupEnabled
        scheduleUTC = settings.backupScheduleUTC
    }

    public var primary: String { directories[0] }
    /// Snapshots and decrypted copies live here, on the data volume, never in a backup folder.
    public var temporaryDirectory: String { dataDirectory + "/tmp" }
    public var databasePath: String { dataDirectory + "/botflow.sqlite" }
}
