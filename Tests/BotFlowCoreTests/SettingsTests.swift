import BotFlowCore
import Testing

@Suite struct SettingsTests {
    @Test func defaultsMatchBehaviourSection1() throws {
        let s = try Settings.fromEnvironment([:])
        #expect(s.host == "0.0.0.0" && s.port == 3001 && s.dataDirectory == "./data")
        #expect(s.effectivePublicBaseURL == "http://localhost:3001")
        #expect(s.jwtTTLSeconds == 604_800 && s.bodyLimitBytes == 1_048_576 && s.uploadLimitBytes == 10_485_760)
        #expect(s.rateLimitGlobal == 100 && s.rateLimitAuth == 5 && s.rateLimitWebhook == 50)
        #expect(s.cacheMaxBytes == 67_108_864 && s.backupKDFIterations == 600_000 && s.effectiveBackupDirectories == ["./data/backups"])
    }

    @Test func readsEnvironment() throws {
        let s = try Settings.fromEnvironment([
            "PORT": "8080", "ADMIN_EMAILS": "A@x.com, b@y.com", "CORS_ORIGINS": "https://a.example,https://b.example",
            "CACHE_ENABLED": "false", "PUBLIC_BASE_URL": "https://bots.example.com/",
        ])
        #expect(s.port == 8080 && s.adminEmails == ["a@x.com", "b@y.com"] && s.corsOrigins.count == 2 && !s.cacheEnabled)
        #expect(s.effectivePublicBaseURL == "https://bots.example.com")
    }

    @Test(arguments: [
        ["JWT_SECRET": "short"], ["BOTFLOW_SECRET": "x"], ["BACKUP_DIRS": "/a,/b,/c,/d"], ["PORT": "70000"],
        ["CACHE_ENABLED": "maybe"], ["LOG_LEVEL": "loud"], ["BACKUP_SCHEDULE_UTC": "25:00"], ["EMBEDDINGS_PROVIDER": "cloud"],
    ])
    func refusesBadConfiguration(_ env: [String: String]) {
        #expect(throws: ConfigurationError.self) { try Settings.fromEnvironment(env) }
    }
}
