/// The numbered SQL migrations of this folder, embedded in the binary (SwiftPM `embedInCode`).
///
/// To add a migration: create `NNN_name.sql` here, list it in Package.swift's `BotFlowSchema` resources and append
/// it below. Numbers only grow; a shipped file is never edited.
public enum Schema {
    public struct Migration: Sendable {
        public let number: Int
        public let name: String
        public let sql: String
    }

    public static let migrations: [Migration] = [
        Migration(number: 1, name: "001_core", sql: String(decoding: PackageResources._01_core_sql, as: UTF8.self)),
        Migration(number: 2, name: "002_analytics", sql: String(decoding: PackageResources._02_analytics_sql, as: UTF8.self)),
    ]

    public static var latestVersion: Int { migrations.last?.number ?? 0 }
}
