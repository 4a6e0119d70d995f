@testable import BotFlowBackup
import Foundation
import Testing

/// The backup's quick_check runs as BackgroundWork beside the compression; its verdict must reach the backup.
@Suite struct BackgroundWorkTests {
    @Test func theValueComesBackAfterTheWorkHasRunOnAnotherThread() throws {
        let caller = pthread_self()
        let work = BackgroundWork(name: "test-work") { () throws(BackupError) -> Bool in
            Thread.sleep(forTimeInterval: 0.05)
            return pthread_equal(pthread_self(), caller) == 0
        }
        #expect(try work.wait() == true, "it ran on a thread of its own")
        #expect(try work.wait() == true, "a second wait returns the same value at once")
    }

    @Test func aFailureIsThrownByWait() {
        let work = BackgroundWork(name: "test-work") { () throws(BackupError) -> Int in
            throw BackupError("quick_check failed: row 3 missing from index")
        }
        #expect(throws: BackupError.self) { _ = try work.wait() }
        do {
            _ = try work.wait()
            Issue.record("the failure was lost on the second wait")
        } catch {
            #expect(error.message.hasPrefix("quick_check failed"))
        }
    }
}
