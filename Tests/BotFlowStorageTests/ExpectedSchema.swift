/// The 84 named indexes of data-model.md §4, transcribed from the spec (not generated from the SQL).
struct ExpectedIndex: Sendable {
    let number: Int          // 1...84
    let name: String
    let table: String
    let columns: [String]    // as SQLite reports them: plain column names; descending columns as "created_at DESC"; the I-30 expression as "substr(created_at, 1, 7)"
    let unique: Bool
    let partialWhere: String? // the WHERE clause text exactly as in the spec table without the word WHERE, e.g. "status IN ('active','pending')"; nil when none
}

let expectedIndexes: [ExpectedIndex] = [
    // §4.1 The 31 performance indexes
    ExpectedIndex(number: 1, name: "idx_conversations_org_created", table: "conversations",
                  columns: ["organization_id", "created_at DESC", "id DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 2, name: "idx_conversations_status_org", table: "conversations",
                  columns: ["status", "organization_id"], unique: false, partialWhere: "status IN ('active','pending')"),
    ExpectedIndex(number: 3, name: "idx_conversations_active", table: "conversations",
                  columns: ["organization_id", "created_at DESC"], unique: false, partialWhere: "status = 'active'"),
    ExpectedIndex(number: 4, name: "idx_conversations_customer_phone", table: "conversations",
                  columns: ["customer_phone", "organization_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 5, name: "idx_conversations_bot_id", table: "conversations",
                  columns: ["bot_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 6, name: "idx_messages_conversation_created", table: "messages",
                  columns: ["conversation_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 7, name: "idx_messages_org_direction", table: "messages",
                  columns: ["organization_id", "direction", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 8, name: "idx_messages_status", table: "messages",
                  columns: ["conversation_id", "status"], unique: false, partialWhere: "status IN ('sent','delivered','read')"),
    ExpectedIndex(number: 9, name: "idx_messages_failed", table: "messages",
                  columns: ["created_at DESC"], unique: false, partialWhere: "status = 'failed'"),
    ExpectedIndex(number: 10, name: "idx_knowledge_bot_status", table: "knowledge_base_articles",
                  columns: ["bot_id", "status"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 11, name: "idx_knowledge_active", table: "knowledge_base_articles",
                  columns: ["bot_id", "created_at DESC"], unique: false, partialWhere: "status = 'indexed'"),
    ExpectedIndex(number: 12, name: "idx_knowledge_org_id", table: "knowledge_base_articles",
                  columns: ["organization_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 13, name: "idx_embeddings_article_id", table: "knowledge_embeddings",
                  columns: ["source_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 14, name: "idx_embeddings_bot_id", table: "knowledge_embeddings",
                  columns: ["bot_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 15, name: "idx_bots_org_created", table: "bots",
                  columns: ["organization_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 16, name: "idx_bots_active", table: "bots",
                  columns: ["organization_id", "created_at DESC"], unique: false, partialWhere: "is_active = 1"),
    ExpectedIndex(number: 17, name: "idx_bots_type", table: "bots",
                  columns: ["task_type", "organization_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 18, name: "idx_conv_metrics_org_date", table: "conversation_metrics",
                  columns: ["organization_id", "started_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 19, name: "idx_conv_metrics_bot_date", table: "conversation_metrics",
                  columns: ["bot_id", "started_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 20, name: "idx_conv_metrics_resolved", table: "conversation_metrics",
                  columns: ["organization_id", "started_at DESC"], unique: false, partialWhere: "resolution_status = 'resolved'"),
    ExpectedIndex(number: 21, name: "idx_org_members_user_org", table: "organization_members",
                  columns: ["user_id", "organization_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 22, name: "idx_org_members_org_id", table: "organization_members",
                  columns: ["organization_id", "role"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 23, name: "idx_whatsapp_accounts_org", table: "whatsapp_accounts",
                  columns: ["organization_id", "status"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 24, name: "idx_whatsapp_accounts_phone", table: "whatsapp_accounts",
                  columns: ["phone_number"], unique: false, partialWhere: "status = 'active'"),
    ExpectedIndex(number: 25, name: "idx_workflows_bot_id", table: "bot_workflows",
                  columns: ["bot_id", "version DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 26, name: "idx_workflows_active", table: "bot_workflows",
                  columns: ["bot_id", "version DESC"], unique: false, partialWhere: "status = 'active'"),
    ExpectedIndex(number: 27, name: "idx_integrations_org_type", table: "integrations",
                  columns: ["organization_id", "integration_type"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 28, name: "idx_integrations_active", table: "integrations",
                  columns: ["organization_id", "integration_type"], unique: false, partialWhere: "is_active = 1"),
    ExpectedIndex(number: 29, name: "idx_usage_records_org_date", table: "usage_records",
                  columns: ["organization_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 30, name: "idx_usage_records_monthly", table: "usage_records",
                  columns: ["organization_id", "substr(created_at, 1, 7)"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 31, name: "idx_conversation_context_conv_id", table: "conversation_context",
                  columns: ["conversation_id", "created_at DESC"], unique: false, partialWhere: nil),

    // §4.2 Other core indexes
    ExpectedIndex(number: 32, name: "ux_users_email", table: "users",
                  columns: ["email"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 33, name: "ux_organizations_slug", table: "organizations",
                  columns: ["slug"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 34, name: "ux_org_members_org_user", table: "organization_members",
                  columns: ["organization_id", "user_id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 35, name: "ux_whatsapp_accounts_phone", table: "whatsapp_accounts",
                  columns: ["phone_number"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 36, name: "ux_whatsapp_accounts_bird_channel", table: "whatsapp_accounts",
                  columns: ["bird_channel_id"], unique: true, partialWhere: "bird_channel_id IS NOT NULL"),
    ExpectedIndex(number: 37, name: "ux_whatsapp_accounts_meta_phone_id", table: "whatsapp_accounts",
                  columns: ["phone_number_id"], unique: true, partialWhere: "phone_number_id IS NOT NULL"),
    ExpectedIndex(number: 38, name: "idx_bots_whatsapp_active", table: "bots",
                  columns: ["whatsapp_account_id", "created_at"], unique: false, partialWhere: "is_active = 1"),
    ExpectedIndex(number: 39, name: "idx_bots_user_id", table: "bots",
                  columns: ["user_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 40, name: "ux_conversations_open", table: "conversations",
                  columns: ["whatsapp_account_id", "customer_phone"], unique: true,
                  partialWhere: "status IN ('active','pending','handed_off')"),
    ExpectedIndex(number: 41, name: "idx_conversations_whatsapp", table: "conversations",
                  columns: ["whatsapp_account_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 42, name: "idx_conversations_assigned", table: "conversations",
                  columns: ["assigned_to", "created_at DESC"], unique: false, partialWhere: "assigned_to IS NOT NULL"),
    ExpectedIndex(number: 43, name: "ux_conversation_context_conv", table: "conversation_context",
                  columns: ["conversation_id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 44, name: "ux_messages_provider_id", table: "messages",
                  columns: ["whatsapp_account_id", "direction", "provider_message_id"], unique: true,
                  partialWhere: "provider_message_id IS NOT NULL"),
    ExpectedIndex(number: 45, name: "idx_messages_in_reply_to", table: "messages",
                  columns: ["in_reply_to"], unique: false, partialWhere: "in_reply_to IS NOT NULL"),
    ExpectedIndex(number: 46, name: "idx_messages_bot_replies", table: "messages",
                  columns: ["organization_id", "created_at DESC"], unique: false,
                  partialWhere: "sent_by = 'bot' AND response_time_ms IS NOT NULL"),
    ExpectedIndex(number: 47, name: "ux_outbox_message", table: "outbox",
                  columns: ["message_id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 48, name: "idx_outbox_pending", table: "outbox",
                  columns: ["state", "next_attempt_at"], unique: false, partialWhere: "state IN ('queued','sending')"),
    ExpectedIndex(number: 49, name: "idx_jobs_runnable", table: "jobs",
                  columns: ["run_at"], unique: false, partialWhere: "state IN ('queued','retrying')"),
    ExpectedIndex(number: 50, name: "ux_jobs_dedupe", table: "jobs",
                  columns: ["dedupe_key"], unique: true,
                  partialWhere: "dedupe_key IS NOT NULL AND state IN ('queued','running','retrying')"),
    ExpectedIndex(number: 51, name: "idx_jobs_serial", table: "jobs",
                  columns: ["serial_key", "created_at"], unique: false,
                  partialWhere: "serial_key IS NOT NULL AND state IN ('queued','retrying','running')"),
    ExpectedIndex(number: 52, name: "idx_jobs_state_updated", table: "jobs",
                  columns: ["state", "updated_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 53, name: "ux_bot_workflows_bot_version", table: "bot_workflows",
                  columns: ["bot_id", "version"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 54, name: "ux_bot_workflows_one_active", table: "bot_workflows",
                  columns: ["bot_id"], unique: true, partialWhere: "status = 'active'"),
    ExpectedIndex(number: 55, name: "ux_workflow_executions_open", table: "workflow_executions",
                  columns: ["conversation_id"], unique: true, partialWhere: "status IN ('running','waiting')"),
    ExpectedIndex(number: 56, name: "idx_workflow_executions_wait", table: "workflow_executions",
                  columns: ["wait_until"], unique: false, partialWhere: "status = 'waiting'"),
    ExpectedIndex(number: 57, name: "idx_workflow_executions_bot", table: "workflow_executions",
                  columns: ["bot_id", "started_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 58, name: "ux_templates_vertical_name", table: "bot_templates",
                  columns: ["vertical", "name"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 59, name: "idx_templates_published", table: "bot_templates",
                  columns: ["tier", "name"], unique: false, partialWhere: "is_published = 1"),
    ExpectedIndex(number: 60, name: "idx_templates_vertical", table: "bot_templates",
                  columns: ["vertical", "tier", "name"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 61, name: "idx_knowledge_articles_bot_created", table: "knowledge_base_articles",
                  columns: ["bot_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 62, name: "ux_knowledge_embeddings_id", table: "knowledge_embeddings",
                  columns: ["id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 63, name: "ux_knowledge_embeddings_source_index", table: "knowledge_embeddings",
                  columns: ["source_id", "chunk_index"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 64, name: "ux_knowledge_vectors_chunk_seq", table: "knowledge_vectors",
                  columns: ["chunk_no", "seq"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 65, name: "idx_knowledge_vectors_bot_model", table: "knowledge_vectors",
                  columns: ["bot_id", "embedding_model"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 66, name: "idx_knowledge_vectors_ivf", table: "knowledge_vectors",
                  columns: ["bot_id", "embedding_model", "ivf_list"], unique: false, partialWhere: "ivf_list IS NOT NULL"),
    ExpectedIndex(number: 67, name: "idx_knowledge_sources_bot", table: "knowledge_sources",
                  columns: ["bot_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 68, name: "ux_marketplace_id", table: "integration_marketplace",
                  columns: ["id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 69, name: "ux_marketplace_slug", table: "integration_marketplace",
                  columns: ["slug"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 70, name: "idx_marketplace_category", table: "integration_marketplace",
                  columns: ["category"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 71, name: "idx_marketplace_rank", table: "integration_marketplace",
                  columns: ["is_featured DESC", "popularity_score DESC", "name"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 72, name: "idx_marketplace_featured", table: "integration_marketplace",
                  columns: ["popularity_score DESC"], unique: false, partialWhere: "is_featured = 1"),
    ExpectedIndex(number: 73, name: "idx_marketplace_verticals_vertical", table: "marketplace_verticals",
                  columns: ["vertical", "integration_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 74, name: "ux_bot_integrations_bot_integration", table: "bot_integrations",
                  columns: ["bot_id", "integration_id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 75, name: "idx_bot_integrations_integration", table: "bot_integrations",
                  columns: ["integration_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 76, name: "idx_bot_integrations_org", table: "bot_integrations",
                  columns: ["organization_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 77, name: "idx_integration_logs_bi_created", table: "integration_logs",
                  columns: ["bot_integration_id", "created_at DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 78, name: "ux_conversation_metrics_conv", table: "conversation_metrics",
                  columns: ["conversation_id"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 79, name: "ux_bot_perf_bot_date", table: "bot_performance_metrics",
                  columns: ["bot_id", "date"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 80, name: "idx_bot_perf_org_date", table: "bot_performance_metrics",
                  columns: ["organization_id", "date DESC"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 81, name: "ux_usage_analytics_org_hour", table: "usage_analytics",
                  columns: ["organization_id", "hour"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 82, name: "ux_usage_records_org_period", table: "usage_records",
                  columns: ["organization_id", "period_start"], unique: true, partialWhere: nil),
    ExpectedIndex(number: 83, name: "idx_workflow_executions_workflow", table: "workflow_executions",
                  columns: ["workflow_id"], unique: false, partialWhere: nil),
    ExpectedIndex(number: 84, name: "idx_usage_analytics_most_active_bot", table: "usage_analytics",
                  columns: ["most_active_bot_id"], unique: false, partialWhere: "most_active_bot_id IS NOT NULL"),
]

/// Core tables of data-model §2 (names only) and the FTS5 tables with their triggers.
let expectedTables: [String] = [
    "app_meta",                  // §2.1
    "users",                     // §2.2
    "organizations",             // §2.3
    "organization_members",      // §2.4
    "whatsapp_accounts",         // §2.5
    "bots",                      // §2.6
    "bot_workflows",             // §2.7
    "workflow_executions",       // §2.8
    "workflow_globals",          // §2.9
    "conversations",             // §2.10
    "conversation_context",      // §2.11
    "messages",                  // §2.12
    "outbox",                    // §2.13
    "jobs",                      // §2.14
    "bot_templates",             // §2.15
    "knowledge_base_articles",   // §2.16
    "knowledge_files",           // §2.17
    "knowledge_embeddings",      // §2.18
    "knowledge_vectors",         // §2.19
    "knowledge_ivf_indexes",     // §2.20
    "knowledge_ivf_centroids",   // §2.20
    "knowledge_sources",         // §2.21
    "integration_marketplace",   // §2.22
    "marketplace_verticals",     // §2.22
    "bot_integrations",          // §2.23
    "integration_logs",          // §2.23
    "integrations",              // §2.24
    "conversation_metrics",      // §2.25
    "bot_performance_metrics",   // §2.26
    "usage_analytics",           // §2.27
    "usage_records",             // §2.28
]
let expectedFTSTables: [String] = ["knowledge_fts", "marketplace_fts"]
let expectedFTSTriggers: [String] = [
    "knowledge_fts_ai", "knowledge_fts_ad", "knowledge_fts_au",
    "marketplace_fts_ai", "marketplace_fts_ad", "marketplace_fts_au",
]
