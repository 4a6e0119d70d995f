// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "botflow-appliance",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "botflow", targets: ["botflow"]),
        .executable(name: "botflow-bench", targets: ["botflow-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The analytics live stream (AN7).
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
    ],
    targets: [
        // System libraries: OpenSSL libcrypto (PBKDF2, AES-256-CBC) through a one-header shim.
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // zlib (gzip streams of backups) through a one-header shim.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Domain values: ids, timestamps, JSON, errors, settings, clock.
        .target(name: "BotFlowCore", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        // The numbered SQL migrations of schema/, embedded in the binary.
        .target(name: "BotFlowSchema", path: "schema", exclude: ["README.md"],
                resources: [.embedInCode("001_core.sql"), .embedInCode("002_analytics.sql")]),
        // Seed data (templates, marketplace catalogue), embedded in the binary.
        .target(name: "BotFlowSeed", resources: [
            .embedInCode("Resources/templates.json"),
            .embedInCode("Resources/marketplace.json"),
        ]),
        // SQLite through GRDB: pool, pragmas, migrations, repositories.
        .target(name: "BotFlowStorage", dependencies: [
            "BotFlowCore", "BotFlowSchema",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The in-process response cache: tiered byte-bounded LRU, key table, invalidation sets, statistics.
        .target(name: "BotFlowCache", dependencies: [
            "BotFlowCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The operational window: HTTP metrics (swift-metrics + swift-prometheus), the in-memory error log, process
        // memory and disk figures, JSON log lines.
        .target(name: "BotFlowObservability", dependencies: [
            "BotFlowCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // JWT, password hashing, credential envelopes, constant-time comparison.
        .target(name: "BotFlowSecurity", dependencies: [
            "BotFlowCore", "CLibCrypto",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ]),
        // Business rules: auth, organizations, WhatsApp accounts, bots, templates.
        .target(name: "BotFlowDomain", dependencies: [
            "BotFlowCore", "BotFlowStorage", "BotFlowSecurity", "BotFlowSeed", "BotFlowWorkflow",
        ]),
        // The durable job queue on the `jobs` table: enqueue, claim, retry, dead letters, workers.
        .target(name: "BotFlowJobs", dependencies: [
            "BotFlowCore", "BotFlowStorage",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Workflows (behaviour §8): node catalogue, blueprint validation, placeholders and the executor's walk.
        .target(name: "BotFlowWorkflow", dependencies: ["BotFlowCore"]),
        // Customer message → reply: provider payloads, durable ingest, reply composition, handoff, outbox, channels.
        .target(name: "BotFlowMessaging", dependencies: [
            "BotFlowCore", "BotFlowStorage", "BotFlowSecurity", "BotFlowJobs", "BotFlowDomain", "BotFlowWorkflow",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Backups (behaviour §13): online snapshot, gzip + OpenSSL-format encryption, manifest, verify, restore, prune,
        // and the job handlers and scheduler that run them through the durable queue.
        .target(name: "BotFlowBackup", dependencies: [
            "BotFlowCore", "BotFlowSchema", "BotFlowStorage", "BotFlowJobs", "CZlib", "CLibCrypto",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Knowledge base (behaviour §7): extraction (PDF over zlib, DOCX as zip + XML), chunker, embedders, vector
        // index (exact and IVF-flat), hybrid search, and the knowledge job handlers.
        .target(name: "BotFlowKnowledge", dependencies: [
            "BotFlowCore", "BotFlowStorage", "BotFlowJobs", "BotFlowSecurity", "CZlib",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Analytics (behaviour §10): realtime KPIs, series, bot performance, CSV export, rollups, usage counters, live events.
        .target(name: "BotFlowAnalytics", dependencies: [
            "BotFlowCore", "BotFlowStorage", "BotFlowJobs", "BotFlowMessaging",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The HTTP application: middleware chain, controllers, DTO encoding.
        .target(name: "BotFlowAPI", dependencies: [
            "BotFlowCore", "BotFlowStorage", "BotFlowSecurity", "BotFlowDomain", "BotFlowJobs", "BotFlowMessaging", "BotFlowCache",
            "BotFlowObservability", "BotFlowBackup", "BotFlowKnowledge", "BotFlowWorkflow", "BotFlowAnalytics",
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // `botflow seed-demo`: realistic demo and load-test data (organizations, users, bots from templates through the
        // domain services, knowledge articles, 100k+ conversations and 1M+ messages in bulk, consistent metrics).
        .target(name: "BotFlowDemo", dependencies: [
            "BotFlowCore", "BotFlowStorage", "BotFlowDomain", "BotFlowKnowledge", "BotFlowSeed",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // scripts/bench-http: the smallest Hummingbird server, the yardstick of the saturation ratio.
        .executableTarget(name: "bench-hello", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        // Micro-benchmarks for the scripts/bench-* scripts.
        .executableTarget(name: "botflow-bench", dependencies: ["BotFlowCache", "BotFlowCore", "BotFlowWorkflow"]),
        .executableTarget(name: "botflow", dependencies: [
            "BotFlowAPI", "BotFlowStorage", "BotFlowCore", "BotFlowObservability", "BotFlowBackup", "BotFlowSecurity", "BotFlowDemo",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // scripts/bench-knowledge: ingest and search figures of docs/PERFORMANCE.md on the real data path.
        .executableTarget(name: "bench-knowledge", dependencies: [
            "BotFlowKnowledge", "BotFlowJobs", "BotFlowStorage", "BotFlowCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Shared test fixtures: temp data dirs, app builder, HTTP helpers.
        .target(name: "BotFlowTestSupport", dependencies: [
            "BotFlowAPI", "BotFlowCore", "BotFlowStorage", "BotFlowSecurity",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], path: "Tests/BotFlowTestSupport"),
        .testTarget(name: "BotFlowCoreTests", dependencies: ["BotFlowCore"]),
        .testTarget(name: "BotFlowWorkflowTests", dependencies: ["BotFlowWorkflow", "BotFlowCore"]),
        .testTarget(name: "BotFlowObservabilityTests", dependencies: ["BotFlowObservability", "BotFlowCore", "BotFlowTestSupport"]),
        .testTarget(name: "BotFlowCacheTests", dependencies: ["BotFlowCache", "BotFlowCore", "BotFlowTestSupport"]),
        .testTarget(name: "BotFlowStorageTests", dependencies: [
            "BotFlowStorage", "BotFlowCore", "BotFlowDomain", "BotFlowTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BotFlowSecurityTests", dependencies: ["BotFlowSecurity", "BotFlowCore"]),
        .testTarget(name: "BotFlowJobsTests", dependencies: [
            "BotFlowJobs", "BotFlowStorage", "BotFlowCore", "BotFlowTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BotFlowMessagingTests", dependencies: [
            "BotFlowMessaging", "BotFlowWorkflow", "BotFlowSecurity", "BotFlowStorage", "BotFlowCore", "BotFlowTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BotFlowBackupTests", dependencies: [
            "BotFlowBackup", "BotFlowJobs", "BotFlowStorage", "BotFlowCore", "BotFlowTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BotFlowKnowledgeTests", dependencies: [
            "BotFlowKnowledge", "BotFlowStorage", "BotFlowCore", "BotFlowJobs", "BotFlowTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BotFlowDemoTests", dependencies: [
            "BotFlowDemo", "BotFlowMessaging", "BotFlowAPI", "BotFlowStorage", "BotFlowCore", "BotFlowTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "BotFlowDomainTests", dependencies: ["BotFlowDomain", "BotFlowStorage", "BotFlowCore", "BotFlowTestSupport"]),
        // Starts the real `botflow serve` binary (built by `swift build --build-tests`).
        .testTarget(name: "BotFlowEndToEndTests", dependencies: [
            "botflow", "BotFlowTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "BotFlowAPITests", dependencies: [
            "BotFlowAPI", "BotFlowCore", "BotFlowTestSupport", "BotFlowStorage", "BotFlowSecurity", "BotFlowBackup",
            "BotFlowKnowledge", "BotFlowAnalytics", "BotFlowMessaging", "BotFlowJobs",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            // Hand-built JWTs (HS512, foreign secrets) for the auth tests.
            .product(name: "Crypto", package: "swift-crypto"),
            // The analytics stream tests connect with a real WebSocket client.
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
        ]),
    ]
)
