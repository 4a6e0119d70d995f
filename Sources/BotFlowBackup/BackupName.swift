import BotFlowCore
import Foundation

/// What a backup is for (manifest `kind`, behaviour §13.3).
public enum BackupKind: String, Sendable, CaseIterable {
    case scheduled, manual, pre_restore

    /// Pre-restore snapshots get their own prefix so an operator can tell them apart at a glance (§13.2).
    var prefix: String { self == .pre_restore ? "pre_restore_backup" : "botflow_backup" }
}

/// The file names of behaviour §13.2: `<prefix>_YYYYMMDD_HHMMSS.db.gz.enc` and `.manifest.json` beside it.
public struct BackupName: Sendable, Hashable, CustomStringConvertible {
    public static let fileSuffix = ".db.gz.enc"
    public static let manifestSuffix = ".manifest.json"

    /// The encrypted file's name, e.g. `botflow_backup_20260117_020000.db.gz.enc`.
    public let file: String
    /// UTC seconds since the epoch encoded in the name (retention compares these, never file dates).
    public let epochSeconds: Int64

    public var description: String { file }
    public var stem: String { String(file.dropLast(Self.fileSuffix.count)) }
    public var manifest: String { stem + Self.manifestSuffix }
    public var isPreRestore: Bool { file.hasPrefix("pre_restore_backup_") }

    public init(kind: BackupKind, epochSeconds: Int64) {
        self.epochSeconds = epochSeconds
        file = "\(kind.prefix)_\(Self.stamp(epochSeconds))\(Self.fileSuffix)"
    }

    /// Parses an encrypted file's name; nil for anything not matching
    /// `^(botflow_backup|pre_restore_backup)_\d{8}_\d{6}\.db\.gz\.enc$` (api.md §4.15).
    public init?(file: String) {
        guard file.hasSuffix(Self.fileSuffix) else { return nil }
        self.init(stem: String(file.dropLast(Self.fileSuffix.count)))
    }

    /// Parses a manifest's name (`…manifest.json`).
    public init?(manifest: String) {
        guard manifest.hasSuffix(Self.manifestSuffix) else { return nil }
        self.init(stem: String(manifest.dropLast(Self.manifestSuffix.count)))
    }

    private init?(stem: String) {
        let prefix: String
        if stem.hasPrefix("botflow_backup_") { prefix = "botflow_backup_" }
        else if stem.hasPrefix("pre_restore_backup_") { prefix = "pre_restore_backup_" }
        else { return nil }
        let stamp = stem.dropFirst(prefix.count)
        guard let seconds = Self.parse(stamp) else { return nil }
        epochSeconds = seconds
        file = stem + Self.fileSuffix
    }

    /// `YYYYMMDD_HHMMSS` in UTC.
    static func stamp(_ epochSeconds: Int64) -> String {
        var t = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02d_%02d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    static func parse<S: StringProtocol>(_ stamp: S) -> Int64? {
        let chars = Array(stamp.utf8)
        guard chars.count == 15, chars[8] == UInt8(ascii: "_") else { return nil }
        let digits = chars[0..<8] + chars[9..<15]
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        func number(_ range: Range<Int>) -> Int32 { Int32(String(decoding: chars[range], as: UTF8.self))! }
        var parts = tm()
        parts.tm_year = number(0..<4) - 1900
        parts.tm_mon = number(4..<6) - 1
        parts.tm_mday = number(6..<8)
        parts.tm_hour = number(9..<11)
        parts.tm_min = number(11..<13)
        parts.tm_sec = number(13..<15)
        let seconds = Int64(timegm(&parts))
        // timegm normalises 20260231 to March 3rd; such a name is not one we wrote.
        return Self.stamp(seconds) == String(stamp) ? seconds : nil
    }
}
