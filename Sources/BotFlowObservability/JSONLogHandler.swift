import BotFlowCore
import Foundation
import Logging

/// Structured logs (behaviour §12): one JSON object per line on stdout — `ts`, `level`, `msg`, then the metadata
/// (`request_id` and the other context fields). Writes are serialised so lines never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: @Sendable ([UInt8]) -> Void

    public init(label: String, level: Logger.Level, sink: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardOutput) {
        self.label = label; self.logLevel = level; self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: JSONObject = [
            "ts": .string(Timestamp.format(epochMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))),
            "level": .string(Self.name(event.level)), "msg": .string(event.message.description),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() { object[key] = Self.json(merged[key]!) }
        var bytes = JSONWriter.bytes(.object(object))
        bytes.append(UInt8(ascii: "\n"))
        sink(bytes)
    }

    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warn"
        case .error, .critical: "error"
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSON {
        switch value {
        case .string(let s):
            // Numbers logged as text (durations, statuses) stay numbers in the JSON line.
            if let i = Int64(s), String(i) == s { return .int(i) }
            return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(JSONObject(uniqueKeysWithValues: d.keys.sorted().map { ($0, json(d[$0]!)) }))
        }
    }

    private static let lock = NSLock()
    public static let standardOutput: @Sendable ([UInt8]) -> Void = { bytes in
        lock.lock()
        defer { lock.unlock() }
        // One write(2) per line on fd 1: atomic for lines under PIPE_BUF and never buffered across a crash.
        bytes.withUnsafeBufferPointer { p in
            var offset = 0
            while offset < p.count {
                let n = write(1, p.baseAddress! + offset, p.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}
