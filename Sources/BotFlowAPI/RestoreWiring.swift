import BotFlowBackup

extension AppDependencies {
    /// What a restore through the API does around the database swap (behaviour §13.7): close the gate and wait for
    /// requests inside (the restore request itself is `ownRequests`), stop and restart the job workers and the
    /// backup scheduler, run startup recovery on the restored database and empty the cache (§3.4: restore → everything).
    public func restoreHooks(ownRequests: Int = 1) -> RestoreHooks {
        let (gate, jobs, scheduler, messaging, database, clock, cache) = (restoreGate, messaging.jobs, backupScheduler, messaging, database, clock,
                                                                          self.cache)
        var hooks = RestoreHooks()
        hooks.closeGate = { await gate.close(ownRequests: ownRequests) }
        hooks.openGate = { gate.open() }
        hooks.stopWorkers = {
            scheduler.pause()
            await jobs.pause(grace: .seconds(30))
        }
        hooks.startWorkers = {
            jobs.resume()
            scheduler.resume()
        }
        hooks.afterRestore = {
            cache.removeAll()
            try await messaging.recover(database: database, clock: clock)
        }
        return hooks
    }
}
