/// Every setting of behaviour.md §1.1, read from the environment (CLI flags may override host, port, data dir).
public struct Settings: Sendable {
    public var host = "0.0.0.0"
    public var port = 3001
    public var dataDirectory = "./data"
    public var environmentName: String?
    public var publicBaseURL: String?
    public var frontendURL = "http://localhost:3000"
    public var corsOrigins: [String] = []
    public var trustedProxies: [String] = []
    public var jwtSecret: String?
    public var jwtTTLSeconds = 604_800
    public var serverSecret: String?
    public var adminEmails: Set<String> = []
    public var bodyLimitBytes = 1_048_576
    public var uploadLimitBytes = 10_485_760
    public var uploadURLTTLSeconds = 3600
    public var rateLimitGlobal = 100
    public var rateLimitAuth = 5
    public var rateLimitWebhook = 50
    public var rateLimitWindowSeconds = 60
    public var rateLimitAllowlist: [String] = []
    public var cacheEnabled = true
    public var cacheMaxBytes = 67_108_864
    public var embeddingsProvider = "local"
    public var embeddingsBaseURL = "https://api.openai.com"
    public var embeddingsAPIKey = ""
    public var embeddingsModel = "text-embedding-3-small"
    public var ivfMinVectors = 10_000
    public var ivfLists = 100
    public var ivfProbes = 10
    public var llmEnabled = false
    public var llmBaseURL = "https://api.openai.com"
    public var llmAPIKey = ""
    public var llmModel = ""
    public var llmMaxTokens = 500
    public var llmTimeoutSeconds = 30
    public var jobConcurrency = 5
    public var jobBackoffBaseSeconds = 5
    public var jobLockTimeoutSeconds = 300
    public var metaAppSecret = ""
    public var metaVerifyToken = ""
    public var metaGraphBaseURL = "https://graph.facebook.com/v21.0"
    public var birdAPIBaseURL = "https://api.bird.com"
    public var twilioAPIBaseURL = "https://api.twilio.com"
    public var outboundTimeoutSeconds = 15
    public var knowledgeWebhookSecret = ""
    public var workflowHTTPAllowPrivate = false
    public var workflowEnvAllowlist: [String] = []
    /// Wall-time limit of one workflow segment (behaviour §8.5: 30 s); not an environment setting, tests lower it.
    public var workflowTimeLimitSeconds = 30.0
    /// Base URLs of the Paystack API and (when set) every Shopify store; not environment settings, tests point them
    /// at a local fake. Never taken from bot or integration data (secrets must not reach other hosts).
    public var workflowPaystackBaseURL = "https://api.paystack.co"
    public var workflowShopifyBaseURL: String?
    public var costPer1KTokensUSD = 0.0375
    public var backupEnabled = true
    public var backupDirectories: [String] = []
    public var backupScheduleUTC = "02:00"
    public var backupRetentionDays = 30
    public var backupEncryptionKey: String?
    public var backupKDFIterations = 600_000
    public var slowQueryMilliseconds = 100
    public var errorLogSize = 200
    public var logLevel = "info"

    public init() {}

    /// The base for absolute URLs: `PUBLIC_BASE_URL`, else `http://localhost:<port>`.
    public var effectivePublicBaseURL: String {
        let base = publicBaseURL ?? "http://localhost:\(port)"
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    public var databasePath: String { dataDirectory + "/botflow.sqlite" }

    /// Backup folders; `<data dir>/backups` when `BACKUP_DIRS` is empty.
    public var effectiveBackupDirectories: [String] {
        backupDirectories.isEmpty ? [dataDirectory + "/backups"] : backupDirectories
    }

    /// Reads the environment. Malformed values are refused with a message naming the variable.
    public static func fromEnvironment(_ env: [String: String]) throws(ConfigurationError) -> Settings {
        var s = Settings()
        let reader = EnvReader(env: env)
        s.port = try reader.int("PORT", s.port, range: 0...65535)
        s.host = reader.string("HOST") ?? s.host
        s.dataDirectory = reader.string("BOTFLOW_DATA_DIR") ?? s.dataDirectory
        s.environmentName = reader.string("BOTFLOW_ENV")
        if let env = s.environmentName, !["production", "development", "test"].contains(env) {
            throw ConfigurationError("BOTFLOW_ENV must be production, development or test (got \(env))")
        }
        s.publicBaseURL = reader.string("PUBLIC_BASE_URL")
        s.frontendURL = reader.string("FRONTEND_URL") ?? s.frontendURL
        s.corsOrigins = reader.list("CORS_ORIGINS")
        s.trustedProxies = reader.list("TRUSTED_PROXIES")
        s.jwtSecret = reader.string("JWT_SECRET")
        s.jwtTTLSeconds = try reader.int("JWT_TTL_SECONDS", s.jwtTTLSeconds, range: 1...Int(Int32.max))
        s.serverSecret = reader.string("BOTFLOW_SECRET")
        s.adminEmails = Set(reader.list("ADMIN_EMAILS").map { $0.lowercased() })
        s.bodyLimitBytes = try reader.int("BODY_LIMIT_BYTES", s.bodyLimitBytes, range: 1...Int(Int32.max))
        s.uploadLimitBytes = try reader.int("UPLOAD_LIMIT_BYTES", s.uploadLimitBytes, range: 1...Int(Int32.max))
        s.uploadURLTTLSeconds = try reader.int("UPLOAD_URL_TTL_SECONDS", s.uploadURLTTLSeconds, range: 1...Int(Int32.max))
        s.rateLimitGlobal = try reader.int("RATE_LIMIT_GLOBAL", s.rateLimitGlobal, range: 0...Int(Int32.max))
        s.rateLimitAuth = try reader.int("RATE_LIMIT_AUTH", s.rateLimitAuth, range: 0...Int(Int32.max))
        s.rateLimitWebhook = try reader.int("RATE_LIMIT_WEBHOOK", s.rateLimitWebhook, range: 0...Int(Int32.max))
        s.rateLimitWindowSeconds = try reader.int("RATE_LIMIT_WINDOW_SECONDS", s.rateLimitWindowSeconds, range: 1...86_400)
        s.rateLimitAllowlist = reader.list("RATE_LIMIT_ALLOWLIST")
        s.cacheEnabled = try reader.bool("CACHE_ENABLED", s.cacheEnabled)
        s.cacheMaxBytes = try reader.int("CACHE_MAX_BYTES", s.cacheMaxBytes, range: 0...Int.max)
        s.embeddingsProvider = reader.string("EMBEDDINGS_PROVIDER") ?? s.embeddingsProvider
        guard ["local", "openai"].contains(s.embeddingsProvider) else {
            throw ConfigurationError("EMBEDDINGS_PROVIDER must be local or openai (got \(s.embeddingsProvider))")
        }
        s.embeddingsBaseURL = reader.string("EMBEDDINGS_BASE_URL") ?? s.embeddingsBaseURL
        s.embeddingsAPIKey = reader.string("EMBEDDINGS_API_KEY") ?? ""
        s.embeddingsModel = reader.string("EMBEDDINGS_MODEL") ?? s.embeddingsModel
        s.ivfMinVectors = try reader.int("IVF_MIN_VECTORS", s.ivfMinVectors, range: 1...Int.max)
        s.ivfLists = try reader.int("IVF_LISTS", s.ivfLists, range: 1...65_536)
        s.ivfProbes = try reader.int("IVF_PROBES", s.ivfProbes, range: 1...65_536)
        s.llmEnabled = try reader.bool("LLM_ENABLED", s.llmEnabled)
        s.llmBaseURL = reader.string("LLM_BASE_URL") ?? s.llmBaseURL
        s.llmAPIKey = reader.string("LLM_API_KEY") ?? ""
        s.llmModel = reader.string("LLM_MODEL") ?? ""
        s.llmMaxTokens = try reader.int("LLM_MAX_TOKENS", s.llmMaxTokens, range: 1...1_000_000)
        s.llmTimeoutSeconds = try reader.int("LLM_TIMEOUT_SECONDS", s.llmTimeoutSeconds, range: 1...3600)
        s.jobConcurrency = try reader.int("JOB_CONCURRENCY", s.jobConcurrency, range: 1...256)
        s.jobBackoffBaseSeconds = try reader.int("JOB_BACKOFF_BASE_SECONDS", s.jobBackoffBaseSeconds, range: 0...86_400)
        s.jobLockTimeoutSeconds = try reader.int("JOB_LOCK_TIMEOUT_SECONDS", s.jobLockTimeoutSeconds, range: 1...86_400)
        s.metaAppSecret = reader.string("META_APP_SECRET") ?? ""
        s.metaVerifyToken = reader.string("META_VERIFY_TOKEN") ?? ""
        s.metaGraphBaseURL = reader.string("META_GRAPH_BASE_URL") ?? s.metaGraphBaseURL
        s.birdAPIBaseURL = reader.string("BIRD_API_BASE_URL") ?? s.birdAPIBaseURL
        s.twilioAPIBaseURL = reader.string("TWILIO_API_BASE_URL") ?? s.twilioAPIBaseURL
        s.outboundTimeoutSeconds = try reader.int("OUTBOUND_TIMEOUT_SECONDS", s.outboundTimeoutSeconds, range: 1...600)
        s.knowledgeWebhookSecret = reader.string("KNOWLEDGE_WEBHOOK_SECRET") ?? ""
        s.workflowHTTPAllowPrivate = try reader.bool("WORKFLOW_HTTP_ALLOW_PRIVATE", s.workflowHTTPAllowPrivate)
        s.workflowEnvAllowlist = reader.list("WORKFLOW_ENV_ALLOWLIST")
        s.costPer1KTokensUSD = try reader.double("COST_PER_1K_TOKENS_USD", s.costPer1KTokensUSD)
        s.backupEnabled = try reader.bool("BACKUP_ENABLED", s.backupEnabled)
        s.backupDirectories = reader.list("BACKUP_DIRS")
        s.backupScheduleUTC = reader.string("BACKUP_SCHEDULE_UTC") ?? s.backupScheduleUTC
        s.backupRetentionDays = try reader.int("BACKUP_RETENTION_DAYS", s.backupRetentionDays, range: 1...36_500)
        s.backupEncryptionKey = reader.string("BACKUP_ENCRYPTION_KEY")
        s.backupKDFIterations = try reader.int("BACKUP_KDF_ITERATIONS", s.backupKDFIterations, range: 10_000...100_000_000)
        s.slowQueryMilliseconds = try reader.int("SLOW_QUERY_MS", s.slowQueryMilliseconds, range: 0...Int(Int32.max))
        s.errorLogSize = try reader.int("ERROR_LOG_SIZE", s.errorLogSize, range: 1...100_000)
        s.logLevel = reader.string("LOG_LEVEL") ?? s.logLevel
        guard ["debug", "info", "warn", "error"].contains(s.logLevel) else {
            throw ConfigurationError("LOG_LEVEL must be debug, info, warn or error (got \(s.logLevel))")
        }
        try s.validate()
        return s
    }

    /// Checks that do not depend on where a value came from (also run after CLI overrides and secret loading).
    public func validate() throws(ConfigurationError) {
        if backupDirectories.count > 3 {
            throw ConfigurationError("BACKUP_DIRS lists \(backupDirectories.count) directories; at most 3 are allowed")
        }
        for (name, value) in [("JWT_SECRET", jwtSecret), ("BOTFLOW_SECRET", serverSecret)] {
            if let value, value.count < 32 {
                throw ConfigurationError("\(name) must be at least 32 characters (got \(value.count))")
            }
        }
        if let key = backupEncryptionKey {
            if key.count < 32 { throw ConfigurationError("BACKUP_ENCRYPTION_KEY must be at least 32 characters (got \(key.count))") }
            if key.contains("\n") || key.contains("\r") { throw ConfigurationError("BACKUP_ENCRYPTION_KEY must not contain newline characters") }
        }
        if !knowledgeWebhookSecret.isEmpty, knowledgeWebhookSecret.count < 32 {
            throw ConfigurationError("KNOWLEDGE_WEBHOOK_SECRET must be at least 32 characters (got \(knowledgeWebhookSecret.count))")
        }
        let hm = backupScheduleUTC.split(separator: ":")
        guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0..<24).contains(h), (0..<60).contains(m) else {
            throw ConfigurationError("BACKUP_SCHEDULE_UTC must be HH:MM (got \(backupScheduleUTC))")
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

private struct EnvReader {
    let env: [String: String]

    /// Unset and empty are the same: the default applies.
    func string(_ name: String) -> String? {
        guard let v = env[name], !v.isEmpty else { return nil }
        return v
    }

    func list(_ name: String) -> [String] {
        (string(name) ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    func int(_ name: String, _ fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = string(name) else { return fallback }
        guard let v = Int(text.trimmingWhitespace()), range.contains(v) else {
            throw ConfigurationError("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound) (got \(text))")
        }
        return v
    }

    func double(_ name: String, _ fallback: Double) throws(ConfigurationError) -> Double {
        guard let text = string(name) else { return fallback }
        guard let v = Double(text.trimmingWhitespace()), v.isFinite, v >= 0 else {
            throw ConfigurationError("\(name) must be a non-negative number (got \(text))")
        }
        return v
    }

    func bool(_ name: String, _ fallback: Bool) throws(ConfigurationError) -> Bool {
        guard let text = string(name)?.lowercased() else { return fallback }
        switch text {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError("\(name) must be true or false (got \(text))")
        }
    }
}
