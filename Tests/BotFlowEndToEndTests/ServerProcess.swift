import BotFlowTestSupport
import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `botflow serve` process on a data directory and an OS-chosen port (`--port 0`, read back from the log).
///
///     let server = ServerProcess(environment: ["JOB_BACKOFF_BASE_SECONDS": "0"])
///     try await server.start()
///     let (status, body) = try await server.request("GET", "/health")
///     let response = try await server.send("POST", "/webhooks/meta/whatsapp", body: bytes, headers: ["X-Hub-Signature-256": sig])
///     server.kill()                              // SIGKILL: a crash, nothing flushed
///     let again = server.restarted()             // a new process on the same data directory and environment
///     try await again.start()
///     again.stop()                               // SIGTERM and wait: a graceful stop (exit status 0)
///
/// Data directory ownership: a server created without `dataDirectory` makes a fresh temporary one and removes it when
/// it is released; a directory passed in belongs to the caller and is never removed. `restarted()` hands ownership on
/// to the new process, so a killed first process going away never deletes the directory its successor uses.
/// The process's output (stdout + stderr) is kept in `log` for diagnostics.
final class ServerProcess: @unchecked Sendable {
    /// The running server once `start` launched it.
    private let childProcess = Mutex<ChildProcess?>(nil)
    var child: ChildProcess? { childProcess.withLock { $0 } }
    private let environment: [String: String]
    let dataDirectory: String
    /// The variables given to `init`, on top of the test process's own environment.
    let environmentOverrides: [String: String]
    private(set) var port = 0
    private let output = Pipe()
    private let logSink = LogSink()
    private let ownership: Mutex<Bool>
    /// One HTTP session per server: no response cache (polling must see fresh data) and enough connections for
    /// concurrent bursts.
    let session: URLSession

    /// `http://127.0.0.1:<port>` once started.
    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// The SQLite database inside the data directory (behaviour §1.1).
    var databasePath: String { dataDirectory + "/botflow.sqlite" }
    /// Everything the process printed so far.
    var log: String { logSink.text.withLock { $0 } }
    /// Whether releasing this object removes `dataDirectory`.
    var ownsDataDirectory: Bool { ownership.withLock { $0 } }

    static var binary: String {
        // Tests/BotFlowEndToEndTests/ServerProcess.swift → package root → .build/debug/botflow
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/botflow").path
    }

    /// - Parameters:
    ///   - dataDirectory: reuse this directory (kept on release); nil → a fresh temporary one (removed on release).
    ///   - environment: variables set (or replaced) on top of the test process's environment.
    init(dataDirectory: String? = nil, environment: [String: String] = [:]) {
        self.dataDirectory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("botflow-e2e-\(UUID())").path
        ownership = Mutex(dataDirectory == nil)
        environmentOverrides = environment
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        self.environment = env
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration)
    }

    /// A new, not yet started process on the same data directory with the same environment overrides. Ownership of
    /// the directory moves to the new object (it is removed when the last owner is released).
    func restarted() -> ServerProcess {
        let next = ServerProcess(dataDirectory: dataDirectory, environment: environmentOverrides)
        let owned = ownership.withLock { owned in defer { owned = false }; return owned }
        next.ownership.withLock { $0 = owned }
        return next
    }

    /// Starts the process and waits until it logs its listening port; returns the seconds that took. The wait (a
    /// blocking read of the process's output) runs on a thread of its own: on a 2-core machine Swift concurrency has
    /// two threads, and two tests blocking them starved every other test into its time limit.
    @discardableResult
    func start(timeout: Double = 30) async throws -> Double {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { [self] in continuation.resume(with: Result { try startBlocking(timeout: timeout) }) }
        }
    }

    private func startBlocking(timeout: Double) throws -> Double {
        let started = Date()
        let writeEnd = output.fileHandleForWriting
        let child = try ChildProcess(executable: Self.binary,
                                     arguments: ["serve", "--data-dir", dataDirectory, "--host", "127.0.0.1", "--port", "0"],
                                     environment: environment, stdout: writeEnd.fileDescriptor, stderr: writeEnd.fileDescriptor)
        childProcess.withLock { $0 = child }
        // The child has its own copy: the pipe reports end-of-file when the server exits.
        try writeEnd.close()
        let handle = output.fileHandleForReading
        var text = ""
        while Date().timeIntervalSince(started) < timeout {
            let chunk = handle.availableData
            if chunk.isEmpty { if !child.isRunning { break }; continue }
            text += String(decoding: chunk, as: UTF8.self)
            logSink.text.withLock { $0 = text }
            if let range = text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
                drainInBackground()
                return Date().timeIntervalSince(started)
            }
        }
        throw ServerError("server did not start: \(text)")
    }

    /// Keeps reading the output (so the process never blocks on a full pipe) into `log`, until the pipe closes.
    private func drainInBackground() {
        let handle = output.fileHandleForReading
        let sink = logSink  // not `self`: the thread must not keep the process object alive
        Thread.detachNewThread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                let text = String(decoding: chunk, as: UTF8.self)
                sink.text.withLock { log in
                    log += text
                    // Bounded: the last ~1 MB is plenty for diagnostics.
                    if log.utf8.count > 2_000_000 { log = String(log.suffix(1_000_000)) }
                }
            }
        }
    }

    /// Sends a signal and waits for the exit status (nil when the process is still running after `timeout`).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32? {
        guard let child else { return nil }
        if child.isRunning { child.signal(signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning && Date() < deadline { usleep(20_000) }
        return child.terminationStatus
    }

    /// `kill -9`: the process dies at once, without flushing or checkpointing anything.
    func kill() {
        _ = stop(signal: SIGKILL, timeout: 10)
    }

    /// A JSON (or body-less) request; returns the status and the body.
    func request(_ method: String, _ path: String, json: String? = nil, token: String? = nil) async throws -> (Int, Data) {
        let response = try await send(method, path, body: json.map { Data($0.utf8) },
                                      headers: json == nil ? [:] : ["Content-Type": "application/json"], token: token)
        return (response.status, response.body)
    }

    /// Any request: raw body bytes and headers as given (`token` adds `Authorization: Bearer <token>`).
    func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:], token: String? = nil) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await session.data(for: request)
        return HTTPResult(response: response as! HTTPURLResponse, body: data)
    }

    deinit {
        // ChildProcess's own deinit kills and reaps a server still running.
        childProcess.withLock { $0 = nil }
        session.invalidateAndCancel()
        if ownsDataDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }
}

/// The process output collected so far (shared with the draining thread).
private final class LogSink: Sendable {
    let text = Mutex("")
}

/// One HTTP response: status, headers (case-insensitive lookup) and body.
struct HTTPResult: @unchecked Sendable {
    let response: HTTPURLResponse
    let body: Data

    var status: Int { response.statusCode }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { response.value(forHTTPHeaderField: name) }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
