import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `botflow serve` process on a temporary data directory and an OS-chosen port.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let dataDirectory: String
    private(set) var port = 0
    private let output = Pipe()
    private var log = ""

    static var binary: String {
        // Tests/BotFlowEndToEndTests/ServerProcess.swift → package root → .build/debug/botflow
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/botflow").path
    }

    init(dataDirectory: String? = nil, environment: [String: String] = [:]) {
        self.dataDirectory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("botflow-e2e-\(UUID())").path
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--data-dir", self.dataDirectory, "--host", "127.0.0.1", "--port", "0"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = output
        process.standardError = output
    }

    /// Starts the process and waits until it logs its listening port; returns the seconds that took.
    @discardableResult
    func start(timeout: Double = 30) throws -> Double {
        let started = Date()
        try process.run()
        let handle = output.fileHandleForReading
        while Date().timeIntervalSince(started) < timeout {
            let chunk = handle.availableData
            if chunk.isEmpty { if !process.isRunning { break }; continue }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last!)!
                drainInBackground()
                return Date().timeIntervalSince(started)
            }
        }
        throw ServerError("server did not start: \(log)")
    }

    private func drainInBackground() {
        let handle = output.fileHandleForReading
        Thread.detachNewThread { while !handle.availableData.isEmpty {} }
    }

    /// Sends a signal and waits for the exit status.
    func stop(signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func request(_ method: String, _ path: String, json: String? = nil, token: String? = nil) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let json { request.httpBody = Data(json.utf8); request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, data)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
