import Foundation

/// One piece of blocking work on a thread of its own, whose result is collected later with `wait()`. A backup runs
/// the snapshot's `quick_check` this way while the compressor reads the same file: on two cores the check fills the
/// moments the compressor leaves a core idle instead of adding its own seconds to the backup.
final class BackgroundWork<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, BackupError>?

    init(name: String, _ work: @escaping @Sendable () throws(BackupError) -> T) {
        let thread = Thread { [self] in
            do throws(BackupError) { result = .success(try work()) } catch { result = .failure(error) }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Blocks until the work has finished; its value or its error.
    func wait() throws(BackupError) -> T {
        done.wait()
        done.signal()  // a second wait() returns at once
        return try result!.get()
    }
}
