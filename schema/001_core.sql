-- BotFlow Appliance — migration 001: initial schema (data-model.md §1, §2, §4, §5).
--
-- Applied by the migration runner inside one transaction; no BEGIN/COMMIT, no PRAGMAs, no rows here
-- (app_meta rows are written by the application).
--
-- Conventions (data-model §1):
--   timestamps  TEXT, default (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
--   booleans    INTEGER NOT NULL DEFAULT x CHECK (col IN (0,1))
--   JSON        TEXT NOT NULL DEFAULT '…' CHECK (json_valid(col)); nullable: CHECK (col IS NULL OR json_valid(col))
--   enums       TEXT CHECK (col IN (…))
--   uniqueness  only through the named unique indexes of §4 (never inline UNIQUE)
--   updated_at  refreshed by the application (no triggers)
--
-- Tables are created in foreign-key dependency order (so workflow_executions, which references
-- conversations and messages, comes after them although the spec lists it as §2.8).

------------------------------------------------------------------------------------------------------------------------
-- §2.1 app_meta
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE app_meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

------------------------------------------------------------------------------------------------------------------------
-- §2.2 users
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    full_name     TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0,1)),
    last_login_at TEXT             DEFAULT NULL,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.3 organizations
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE organizations (
    id                     TEXT NOT NULL PRIMARY KEY,
    name                   TEXT NOT NULL,
    slug                   TEXT NOT NULL,
    plan                   TEXT NOT NULL DEFAULT 'starter'
                               CHECK (plan IN ('starter','growth','professional','enterprise')),
    subscription_status    TEXT NOT NULL DEFAULT 'active'
                               CHECK (subscription_status IN ('active','past_due','canceled','trialing')),
    subscription_ends_at   TEXT          DEFAULT NULL,
    stripe_customer_id     TEXT          DEFAULT NULL,
    stripe_subscription_id TEXT          DEFAULT NULL,
    created_at             TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at             TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.4 organization_members
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE organization_members (
    id              TEXT NOT NULL PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role            TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner','admin','member')),
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.5 whatsapp_accounts
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE whatsapp_accounts (
    id                      TEXT NOT NULL PRIMARY KEY,
    organization_id         TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    provider                TEXT NOT NULL CHECK (provider IN ('meta','bird','twilio','sandbox')),
    phone_number            TEXT NOT NULL,
    display_name            TEXT          DEFAULT NULL,
    status                  TEXT NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending','active','suspended','disconnected')),
    bird_channel_id         TEXT          DEFAULT NULL,
    bird_workspace_id       TEXT          DEFAULT NULL,
    phone_number_id         TEXT          DEFAULT NULL,
    waba_id                 TEXT          DEFAULT NULL,
    twilio_account_sid      TEXT          DEFAULT NULL,
    twilio_phone_number_sid TEXT          DEFAULT NULL,
    credentials_encrypted   TEXT          DEFAULT NULL,
    credential_names        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(credential_names)),
    metadata                TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.6 bots
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE bots (
    id                  TEXT    NOT NULL PRIMARY KEY,
    organization_id     TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id             TEXT             DEFAULT NULL REFERENCES users(id) ON DELETE SET NULL,
    whatsapp_account_id TEXT             DEFAULT NULL REFERENCES whatsapp_accounts(id) ON DELETE SET NULL,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    template_id         TEXT             DEFAULT NULL,
    task_type           TEXT    NOT NULL DEFAULT 'custom',
    status              TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive','draft')),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0,1)),
    config              TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    system_prompt       TEXT             DEFAULT NULL,
    model_config        TEXT    NOT NULL DEFAULT '{"provider":"openai","model":"gpt-4o","temperature":0.7}'
                                CHECK (json_valid(model_config)),
    ai_model            TEXT    NOT NULL DEFAULT 'gpt-4o',
    ai_temperature      REAL    NOT NULL DEFAULT 0.7 CHECK (ai_temperature BETWEEN 0 AND 2),
    fallback_behavior   TEXT    NOT NULL DEFAULT 'human_handoff'
                                CHECK (fallback_behavior IN ('human_handoff','end_conversation','loop')),
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    CHECK (is_active = (status = 'active'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.7 bot_workflows (workflow versions)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE bot_workflows (
    id            TEXT    NOT NULL PRIMARY KEY,
    bot_id        TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL CHECK (version >= 1),
    name          TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','active','archived','failed')),
    blueprint     TEXT    NOT NULL CHECK (json_valid(blueprint)),
    template_id   TEXT             DEFAULT NULL,
    error_message TEXT             DEFAULT NULL,
    created_by    TEXT             DEFAULT NULL REFERENCES users(id) ON DELETE SET NULL,
    deployed_at   TEXT             DEFAULT NULL,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.9 workflow_globals
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE workflow_globals (
    bot_id     TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (bot_id, name)
);

------------------------------------------------------------------------------------------------------------------------
-- §2.10 conversations
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE conversations (
    id                  TEXT NOT NULL PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    bot_id              TEXT          DEFAULT NULL REFERENCES bots(id) ON DELETE SET NULL,
    whatsapp_account_id TEXT NOT NULL REFERENCES whatsapp_accounts(id) ON DELETE CASCADE,
    customer_phone      TEXT NOT NULL,
    customer_name       TEXT NOT NULL DEFAULT 'Unknown',
    status              TEXT NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active','pending','handed_off','resolved','archived')),
    assigned_to         TEXT          DEFAULT NULL REFERENCES users(id) ON DELETE SET NULL,
    metadata            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    started_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    ended_at            TEXT          DEFAULT NULL,
    last_message_at     TEXT          DEFAULT NULL,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.11 conversation_context
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE conversation_context (
    id              TEXT NOT NULL PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    context_data    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(context_data)),
    summary         TEXT          DEFAULT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.12 messages
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE messages (
    id                  TEXT    NOT NULL PRIMARY KEY,
    conversation_id     TEXT    NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    organization_id     TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    whatsapp_account_id TEXT    NOT NULL REFERENCES whatsapp_accounts(id) ON DELETE CASCADE,
    provider_message_id TEXT             DEFAULT NULL,
    direction           TEXT    NOT NULL CHECK (direction IN ('inbound','outbound')),
    message_type        TEXT    NOT NULL DEFAULT 'text'
                                CHECK (message_type IN ('text','image','video','document','audio','location','template')),
    content             TEXT             DEFAULT NULL,
    media_url           TEXT             DEFAULT NULL,
    metadata            TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    status              TEXT    NOT NULL DEFAULT 'queued'
                                CHECK (status IN ('queued','sent','delivered','read','failed')),
    sent_by             TEXT             DEFAULT NULL CHECK (sent_by IS NULL OR sent_by IN ('bot','human','system')),
    sent_by_user_id     TEXT             DEFAULT NULL REFERENCES users(id) ON DELETE SET NULL,
    in_reply_to         TEXT             DEFAULT NULL REFERENCES messages(id) ON DELETE SET NULL,
    response_time_ms    INTEGER          DEFAULT NULL,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.8 workflow_executions (after conversations and messages, which it references)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE workflow_executions (
    id                 TEXT    NOT NULL PRIMARY KEY,
    bot_id             TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    workflow_id        TEXT    NOT NULL REFERENCES bot_workflows(id) ON DELETE CASCADE,
    conversation_id    TEXT    NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    trigger_message_id TEXT             DEFAULT NULL REFERENCES messages(id) ON DELETE SET NULL,
    status             TEXT    NOT NULL DEFAULT 'running'
                               CHECK (status IN ('running','waiting','completed','failed','cancelled')),
    current_node_id    TEXT             DEFAULT NULL,
    wait_kind          TEXT             DEFAULT NULL CHECK (wait_kind IS NULL OR wait_kind IN ('question','delay')),
    wait_variable      TEXT             DEFAULT NULL,
    wait_until         TEXT             DEFAULT NULL,
    variables          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(variables)),
    node_outputs       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(node_outputs)),
    steps              INTEGER NOT NULL DEFAULT 0,
    log                TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(log)),
    error_message      TEXT             DEFAULT NULL,
    started_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at        TEXT             DEFAULT NULL
);

------------------------------------------------------------------------------------------------------------------------
-- §2.13 outbox
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE outbox (
    id                  TEXT    NOT NULL PRIMARY KEY,
    message_id          TEXT    NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    whatsapp_account_id TEXT    NOT NULL REFERENCES whatsapp_accounts(id) ON DELETE CASCADE,
    channel             TEXT    NOT NULL CHECK (channel IN ('meta','bird','twilio','sandbox')),
    recipient           TEXT    NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sending','sent','failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT             DEFAULT NULL,
    provider_message_id TEXT             DEFAULT NULL,
    last_error          TEXT             DEFAULT NULL,
    sent_at             TEXT             DEFAULT NULL,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.14 jobs (durable job queue)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE jobs (
    id              TEXT    NOT NULL PRIMARY KEY,
    type            TEXT    NOT NULL
                            CHECK (type IN ('reply','deliver','knowledge_process','workflow_resume','reembed',
                                            'ivf_train','rollup_hourly','rollup_daily','backup','backup_prune')),
    payload         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    state           TEXT    NOT NULL DEFAULT 'queued'
                            CHECK (state IN ('queued','running','retrying','succeeded','dead')),
    dedupe_key      TEXT             DEFAULT NULL,
    serial_key      TEXT             DEFAULT NULL,
    organization_id TEXT             DEFAULT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 5,
    run_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    locked_at       TEXT             DEFAULT NULL,
    lock_token      TEXT             DEFAULT NULL,
    last_error      TEXT             DEFAULT NULL,
    finished_at     TEXT             DEFAULT NULL,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.15 bot_templates
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE bot_templates (
    id                TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    vertical          TEXT    NOT NULL,
    tier              INTEGER NOT NULL CHECK (tier IN (1,2,3)),
    description       TEXT    NOT NULL DEFAULT '',
    tagline           TEXT             DEFAULT NULL,
    icon              TEXT             DEFAULT NULL,
    required_fields   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(required_fields)),
    conversation_flow TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(conversation_flow)),
    example_prompts   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(example_prompts)),
    integrations      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(integrations)),
    is_published      INTEGER NOT NULL DEFAULT 0 CHECK (is_published IN (0,1)),
    version           INTEGER NOT NULL DEFAULT 1,
    created_by        TEXT             DEFAULT NULL REFERENCES users(id) ON DELETE SET NULL,
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.16 knowledge_base_articles
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE knowledge_base_articles (
    id              TEXT NOT NULL PRIMARY KEY,
    bot_id          TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    content         TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT 'uploaded_document',
    metadata        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    status          TEXT GENERATED ALWAYS AS (json_extract(metadata,'$.status')) VIRTUAL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.17 knowledge_files
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE knowledge_files (
    article_id   TEXT    NOT NULL PRIMARY KEY REFERENCES knowledge_base_articles(id) ON DELETE CASCADE,
    file_path    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    uploaded_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.18 knowledge_embeddings (chunks); chunk_no is the stable rowid linked to knowledge_fts
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE knowledge_embeddings (
    chunk_no        INTEGER NOT NULL PRIMARY KEY,
    id              TEXT    NOT NULL,
    bot_id          TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    source_id       TEXT    NOT NULL REFERENCES knowledge_base_articles(id) ON DELETE CASCADE,
    chunk_index     INTEGER NOT NULL,
    content         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    embedding_model TEXT    NOT NULL,
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.19 knowledge_vectors
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE knowledge_vectors (
    id              INTEGER NOT NULL PRIMARY KEY,
    chunk_no        INTEGER NOT NULL REFERENCES knowledge_embeddings(chunk_no) ON DELETE CASCADE,
    bot_id          TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    embedding_model TEXT    NOT NULL,
    dim             INTEGER NOT NULL,
    embedding       BLOB    NOT NULL,
    ivf_list        INTEGER          DEFAULT NULL,
    CHECK (length(embedding) = dim * 4)
);

------------------------------------------------------------------------------------------------------------------------
-- §2.20 knowledge_ivf_indexes and knowledge_ivf_centroids
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE knowledge_ivf_indexes (
    bot_id          TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    embedding_model TEXT    NOT NULL,
    lists           INTEGER NOT NULL,
    probes          INTEGER NOT NULL,
    trained_vectors INTEGER NOT NULL,
    trained_at      TEXT    NOT NULL,
    PRIMARY KEY (bot_id, embedding_model)
);

CREATE TABLE knowledge_ivf_centroids (
    bot_id          TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    embedding_model TEXT    NOT NULL,
    list_no         INTEGER NOT NULL,
    centroid        BLOB    NOT NULL,
    PRIMARY KEY (bot_id, embedding_model, list_no)
);

------------------------------------------------------------------------------------------------------------------------
-- §2.21 knowledge_sources (legacy)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE knowledge_sources (
    id          TEXT NOT NULL PRIMARY KEY,
    bot_id      TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    source_type TEXT NOT NULL CHECK (source_type IN ('file','url','text')),
    content     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','processing','indexed','failed')),
    metadata    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.22 integration_marketplace and marketplace_verticals; row_no is the stable rowid linked to marketplace_fts.
-- Foreign keys to integration_marketplace(id) rely on the unique index I-68 (ux_marketplace_id).
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE integration_marketplace (
    row_no                    INTEGER NOT NULL PRIMARY KEY,
    id                        TEXT    NOT NULL,
    name                      TEXT    NOT NULL,
    slug                      TEXT    NOT NULL,
    category                  TEXT    NOT NULL
                                      CHECK (category IN ('calendar','payment','crm','communication','ecommerce',
                                                          'analytics','productivity','specialized')),
    description               TEXT    NOT NULL DEFAULT '',
    long_description          TEXT             DEFAULT NULL,
    icon_url                  TEXT             DEFAULT NULL,
    requires_auth             INTEGER NOT NULL DEFAULT 1 CHECK (requires_auth IN (0,1)),
    auth_type                 TEXT             DEFAULT NULL
                                      CHECK (auth_type IS NULL OR auth_type IN ('oauth','api_key','basic','none')),
    recommended_for_verticals TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(recommended_for_verticals)),
    pricing_model             TEXT    NOT NULL DEFAULT 'free' CHECK (pricing_model IN ('free','freemium','paid')),
    popularity_score          INTEGER NOT NULL DEFAULT 50,
    is_featured               INTEGER NOT NULL DEFAULT 0 CHECK (is_featured IN (0,1)),
    is_direct_integration     INTEGER NOT NULL DEFAULT 0 CHECK (is_direct_integration IN (0,1)),
    documentation_url         TEXT             DEFAULT NULL,
    setup_instructions        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(setup_instructions)),
    webhook_url               TEXT             DEFAULT NULL,
    supported_features        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(supported_features)),
    created_at                TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at                TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE marketplace_verticals (
    integration_id TEXT NOT NULL REFERENCES integration_marketplace(id) ON DELETE CASCADE,
    vertical       TEXT NOT NULL,
    PRIMARY KEY (integration_id, vertical)
);

------------------------------------------------------------------------------------------------------------------------
-- §2.23 bot_integrations and integration_logs
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE bot_integrations (
    id                    TEXT    NOT NULL PRIMARY KEY,
    bot_id                TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    integration_id        TEXT    NOT NULL REFERENCES integration_marketplace(id) ON DELETE CASCADE,
    organization_id       TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    credentials_encrypted TEXT             DEFAULT NULL,
    configuration         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(configuration)),
    status                TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active','inactive','error','pending')),
    error_message         TEXT             DEFAULT NULL,
    last_synced_at        TEXT             DEFAULT NULL,
    sync_count            INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE integration_logs (
    id                 TEXT    NOT NULL PRIMARY KEY,
    bot_integration_id TEXT    NOT NULL REFERENCES bot_integrations(id) ON DELETE CASCADE,
    event_type         TEXT    NOT NULL CHECK (event_type IN ('sync','webhook','error','api_call')),
    status             TEXT    NOT NULL CHECK (status IN ('success','failure','pending')),
    message            TEXT             DEFAULT NULL,
    request_data       TEXT             DEFAULT NULL CHECK (request_data IS NULL OR json_valid(request_data)),
    response_data      TEXT             DEFAULT NULL CHECK (response_data IS NULL OR json_valid(response_data)),
    error_details      TEXT             DEFAULT NULL CHECK (error_details IS NULL OR json_valid(error_details)),
    duration_ms        INTEGER          DEFAULT NULL,
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.24 integrations (connector credentials)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE integrations (
    id                    TEXT    NOT NULL PRIMARY KEY,
    organization_id       TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    integration_type      TEXT    NOT NULL
                                  CHECK (integration_type IN ('whatsapp','google_sheets','stripe','openai')),
    configuration         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(configuration)),
    credentials_encrypted TEXT             DEFAULT NULL,
    whatsapp_account_id   TEXT             DEFAULT NULL REFERENCES whatsapp_accounts(id) ON DELETE SET NULL,
    status                TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','connected','error')),
    is_active             INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0,1)),
    created_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.25 conversation_metrics
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE conversation_metrics (
    id                    TEXT    NOT NULL PRIMARY KEY,
    conversation_id       TEXT    NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    bot_id                TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    organization_id       TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    started_at            TEXT    NOT NULL,
    ended_at              TEXT             DEFAULT NULL,
    duration_seconds      INTEGER          DEFAULT NULL,
    total_messages        INTEGER NOT NULL DEFAULT 0,
    user_messages         INTEGER NOT NULL DEFAULT 0,
    bot_messages          INTEGER NOT NULL DEFAULT 0,
    avg_response_time_ms  INTEGER          DEFAULT NULL,
    p50_response_time_ms  INTEGER          DEFAULT NULL,
    p95_response_time_ms  INTEGER          DEFAULT NULL,
    p99_response_time_ms  INTEGER          DEFAULT NULL,
    successful_responses  INTEGER NOT NULL DEFAULT 0,
    failed_responses      INTEGER NOT NULL DEFAULT 0,
    fallback_responses    INTEGER NOT NULL DEFAULT 0,
    handoff_triggered     INTEGER NOT NULL DEFAULT 0 CHECK (handoff_triggered IN (0,1)),
    knowledge_base_hits   INTEGER NOT NULL DEFAULT 0,
    knowledge_base_misses INTEGER NOT NULL DEFAULT 0,
    tokens_used           INTEGER NOT NULL DEFAULT 0,
    estimated_cost_usd    REAL    NOT NULL DEFAULT 0,
    resolution_status     TEXT    NOT NULL DEFAULT 'unresolved'
                                  CHECK (resolution_status IN ('resolved','unresolved','escalated')),
    customer_satisfaction INTEGER          DEFAULT NULL
                                  CHECK (customer_satisfaction IS NULL OR customer_satisfaction BETWEEN 1 AND 5),
    created_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at            TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.26 bot_performance_metrics (daily per bot)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE bot_performance_metrics (
    id                                TEXT    NOT NULL PRIMARY KEY,
    bot_id                            TEXT    NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    organization_id                   TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    date                              TEXT    NOT NULL,
    total_conversations               INTEGER NOT NULL DEFAULT 0,
    total_messages                    INTEGER NOT NULL DEFAULT 0,
    active_conversations              INTEGER NOT NULL DEFAULT 0,
    avg_response_time_ms              INTEGER          DEFAULT NULL,
    p50_response_time_ms              INTEGER          DEFAULT NULL,
    p95_response_time_ms              INTEGER          DEFAULT NULL,
    p99_response_time_ms              INTEGER          DEFAULT NULL,
    success_rate                      REAL    NOT NULL DEFAULT 0,
    error_rate                        REAL    NOT NULL DEFAULT 0,
    fallback_rate                     REAL    NOT NULL DEFAULT 0,
    handoff_rate                      REAL    NOT NULL DEFAULT 0,
    knowledge_base_hit_rate           REAL    NOT NULL DEFAULT 0,
    avg_tokens_per_conversation       INTEGER NOT NULL DEFAULT 0,
    total_tokens_used                 INTEGER NOT NULL DEFAULT 0,
    total_cost_usd                    REAL    NOT NULL DEFAULT 0,
    cost_per_conversation_usd         REAL    NOT NULL DEFAULT 0,
    avg_conversation_duration_seconds INTEGER          DEFAULT NULL,
    avg_messages_per_conversation     REAL    NOT NULL DEFAULT 0,
    customer_satisfaction_avg         REAL             DEFAULT NULL,
    created_at                        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at                        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.27 usage_analytics (hourly per organization)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE usage_analytics (
    id                     TEXT    NOT NULL PRIMARY KEY,
    organization_id        TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    hour                   TEXT    NOT NULL,
    messages_sent          INTEGER NOT NULL DEFAULT 0,
    messages_received      INTEGER NOT NULL DEFAULT 0,
    conversations_started  INTEGER NOT NULL DEFAULT 0,
    conversations_ended    INTEGER NOT NULL DEFAULT 0,
    active_users           INTEGER NOT NULL DEFAULT 0,
    bots_active            INTEGER NOT NULL DEFAULT 0,
    most_active_bot_id     TEXT             DEFAULT NULL REFERENCES bots(id) ON DELETE SET NULL,
    api_calls_made         INTEGER NOT NULL DEFAULT 0,
    webhook_calls_received INTEGER NOT NULL DEFAULT 0,
    tokens_used            INTEGER NOT NULL DEFAULT 0,
    estimated_cost_usd     REAL    NOT NULL DEFAULT 0,
    created_at             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §2.28 usage_records (monthly per organization)
------------------------------------------------------------------------------------------------------------------------
CREATE TABLE usage_records (
    id                 TEXT    NOT NULL PRIMARY KEY,
    organization_id    TEXT    NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    period_start       TEXT    NOT NULL,
    period_end         TEXT    NOT NULL,
    conversation_count INTEGER NOT NULL DEFAULT 0,
    message_count      INTEGER NOT NULL DEFAULT 0,
    ai_tokens_used     INTEGER NOT NULL DEFAULT 0,
    total_cost_usd     REAL    NOT NULL DEFAULT 0,
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

------------------------------------------------------------------------------------------------------------------------
-- §4.1 The 31 performance indexes (I-01 … I-31)
------------------------------------------------------------------------------------------------------------------------

-- I-01
CREATE INDEX idx_conversations_org_created ON conversations (organization_id, created_at DESC, id DESC);
-- I-02
CREATE INDEX idx_conversations_status_org ON conversations (status, organization_id) WHERE status IN ('active','pending');
-- I-03
CREATE INDEX idx_conversations_active ON conversations (organization_id, created_at DESC) WHERE status = 'active';
-- I-04
CREATE INDEX idx_conversations_customer_phone ON conversations (customer_phone, organization_id);
-- I-05
CREATE INDEX idx_conversations_bot_id ON conversations (bot_id, created_at DESC);
-- I-06
CREATE INDEX idx_messages_conversation_created ON messages (conversation_id, created_at DESC);
-- I-07
CREATE INDEX idx_messages_org_direction ON messages (organization_id, direction, created_at DESC);
-- I-08
CREATE INDEX idx_messages_status ON messages (conversation_id, status) WHERE status IN ('sent','delivered','read');
-- I-09
CREATE INDEX idx_messages_failed ON messages (created_at DESC) WHERE status = 'failed';
-- I-10
CREATE INDEX idx_knowledge_bot_status ON knowledge_base_articles (bot_id, status);
-- I-11
CREATE INDEX idx_knowledge_active ON knowledge_base_articles (bot_id, created_at DESC) WHERE status = 'indexed';
-- I-12
CREATE INDEX idx_knowledge_org_id ON knowledge_base_articles (organization_id, created_at DESC);
-- I-13
CREATE INDEX idx_embeddings_article_id ON knowledge_embeddings (source_id);
-- I-14
CREATE INDEX idx_embeddings_bot_id ON knowledge_embeddings (bot_id);
-- I-15
CREATE INDEX idx_bots_org_created ON bots (organization_id, created_at DESC);
-- I-16
CREATE INDEX idx_bots_active ON bots (organization_id, created_at DESC) WHERE is_active = 1;
-- I-17
CREATE INDEX idx_bots_type ON bots (task_type, organization_id);
-- I-18
CREATE INDEX idx_conv_metrics_org_date ON conversation_metrics (organization_id, started_at DESC);
-- I-19
CREATE INDEX idx_conv_metrics_bot_date ON conversation_metrics (bot_id, started_at DESC);
-- I-20
CREATE INDEX idx_conv_metrics_resolved ON conversation_metrics (organization_id, started_at DESC) WHERE resolution_status = 'resolved';
-- I-21
CREATE INDEX idx_org_members_user_org ON organization_members (user_id, organization_id);
-- I-22
CREATE INDEX idx_org_members_org_id ON organization_members (organization_id, role);
-- I-23
CREATE INDEX idx_whatsapp_accounts_org ON whatsapp_accounts (organization_id, status);
-- I-24
CREATE INDEX idx_whatsapp_accounts_phone ON whatsapp_accounts (phone_number) WHERE status = 'active';
-- I-25
CREATE INDEX idx_workflows_bot_id ON bot_workflows (bot_id, version DESC);
-- I-26
CREATE INDEX idx_workflows_active ON bot_workflows (bot_id, version DESC) WHERE status = 'active';
-- I-27
CREATE INDEX idx_integrations_org_type ON integrations (organization_id, integration_type);
-- I-28
CREATE INDEX idx_integrations_active ON integrations (organization_id, integration_type) WHERE is_active = 1;
-- I-29
CREATE INDEX idx_usage_records_org_date ON usage_records (organization_id, created_at DESC);
-- I-30 (expression index)
CREATE INDEX idx_usage_records_monthly ON usage_records (organization_id, substr(created_at, 1, 7));
-- I-31
CREATE INDEX idx_conversation_context_conv_id ON conversation_context (conversation_id, created_at DESC);

------------------------------------------------------------------------------------------------------------------------
-- §4.2 Other core indexes (I-32 … I-84)
------------------------------------------------------------------------------------------------------------------------

-- I-32
CREATE UNIQUE INDEX ux_users_email ON users (email);
-- I-33
CREATE UNIQUE INDEX ux_organizations_slug ON organizations (slug);
-- I-34
CREATE UNIQUE INDEX ux_org_members_org_user ON organization_members (organization_id, user_id);
-- I-35
CREATE UNIQUE INDEX ux_whatsapp_accounts_phone ON whatsapp_accounts (phone_number);
-- I-36
CREATE UNIQUE INDEX ux_whatsapp_accounts_bird_channel ON whatsapp_accounts (bird_channel_id) WHERE bird_channel_id IS NOT NULL;
-- I-37
CREATE UNIQUE INDEX ux_whatsapp_accounts_meta_phone_id ON whatsapp_accounts (phone_number_id) WHERE phone_number_id IS NOT NULL;
-- I-38
CREATE INDEX idx_bots_whatsapp_active ON bots (whatsapp_account_id, created_at) WHERE is_active = 1;
-- I-39
CREATE INDEX idx_bots_user_id ON bots (user_id);
-- I-40
CREATE UNIQUE INDEX ux_conversations_open ON conversations (whatsapp_account_id, customer_phone) WHERE status IN ('active','pending','handed_off');
-- I-41
CREATE INDEX idx_conversations_whatsapp ON conversations (whatsapp_account_id, created_at DESC);
-- I-42
CREATE INDEX idx_conversations_assigned ON conversations (assigned_to, created_at DESC) WHERE assigned_to IS NOT NULL;
-- I-43
CREATE UNIQUE INDEX ux_conversation_context_conv ON conversation_context (conversation_id);
-- I-44
CREATE UNIQUE INDEX ux_messages_provider_id ON messages (whatsapp_account_id, direction, provider_message_id) WHERE provider_message_id IS NOT NULL;
-- I-45
CREATE INDEX idx_messages_in_reply_to ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;
-- I-46
CREATE INDEX idx_messages_bot_replies ON messages (organization_id, created_at DESC) WHERE sent_by = 'bot' AND response_time_ms IS NOT NULL;
-- I-47
CREATE UNIQUE INDEX ux_outbox_message ON outbox (message_id);
-- I-48
CREATE INDEX idx_outbox_pending ON outbox (state, next_attempt_at) WHERE state IN ('queued','sending');
-- I-49
CREATE INDEX idx_jobs_runnable ON jobs (run_at) WHERE state IN ('queued','retrying');
-- I-50
CREATE UNIQUE INDEX ux_jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued','running','retrying');
-- I-51
CREATE INDEX idx_jobs_serial ON jobs (serial_key, created_at) WHERE serial_key IS NOT NULL AND state IN ('queued','retrying','running');
-- I-52
CREATE INDEX idx_jobs_state_updated ON jobs (state, updated_at DESC);
-- I-53
CREATE UNIQUE INDEX ux_bot_workflows_bot_version ON bot_workflows (bot_id, version);
-- I-54
CREATE UNIQUE INDEX ux_bot_workflows_one_active ON bot_workflows (bot_id) WHERE status = 'active';
-- I-55
CREATE UNIQUE INDEX ux_workflow_executions_open ON workflow_executions (conversation_id) WHERE status IN ('running','waiting');
-- I-56
CREATE INDEX idx_workflow_executions_wait ON workflow_executions (wait_until) WHERE status = 'waiting';
-- I-57
CREATE INDEX idx_workflow_executions_bot ON workflow_executions (bot_id, started_at DESC);
-- I-58
CREATE UNIQUE INDEX ux_templates_vertical_name ON bot_templates (vertical, name);
-- I-59
CREATE INDEX idx_templates_published ON bot_templates (tier, name) WHERE is_published = 1;
-- I-60
CREATE INDEX idx_templates_vertical ON bot_templates (vertical, tier, name);
-- I-61
CREATE INDEX idx_knowledge_articles_bot_created ON knowledge_base_articles (bot_id, created_at DESC);
-- I-62
CREATE UNIQUE INDEX ux_knowledge_embeddings_id ON knowledge_embeddings (id);
-- I-63
CREATE UNIQUE INDEX ux_knowledge_embeddings_source_index ON knowledge_embeddings (source_id, chunk_index);
-- I-64
CREATE UNIQUE INDEX ux_knowledge_vectors_chunk_seq ON knowledge_vectors (chunk_no, seq);
-- I-65
CREATE INDEX idx_knowledge_vectors_bot_model ON knowledge_vectors (bot_id, embedding_model);
-- I-66
CREATE INDEX idx_knowledge_vectors_ivf ON knowledge_vectors (bot_id, embedding_model, ivf_list) WHERE ivf_list IS NOT NULL;
-- I-67
CREATE INDEX idx_knowledge_sources_bot ON knowledge_sources (bot_id, created_at DESC);
-- I-68 (also the parent key of the foreign keys to integration_marketplace(id))
CREATE UNIQUE INDEX ux_marketplace_id ON integration_marketplace (id);
-- I-69
CREATE UNIQUE INDEX ux_marketplace_slug ON integration_marketplace (slug);
-- I-70
CREATE INDEX idx_marketplace_category ON integration_marketplace (category);
-- I-71
CREATE INDEX idx_marketplace_rank ON integration_marketplace (is_featured DESC, popularity_score DESC, name);
-- I-72
CREATE INDEX idx_marketplace_featured ON integration_marketplace (popularity_score DESC) WHERE is_featured = 1;
-- I-73
CREATE INDEX idx_marketplace_verticals_vertical ON marketplace_verticals (vertical, integration_id);
-- I-74
CREATE UNIQUE INDEX ux_bot_integrations_bot_integration ON bot_integrations (bot_id, integration_id);
-- I-75
CREATE INDEX idx_bot_integrations_integration ON bot_integrations (integration_id);
-- I-76
CREATE INDEX idx_bot_integrations_org ON bot_integrations (organization_id, created_at DESC);
-- I-77
CREATE INDEX idx_integration_logs_bi_created ON integration_logs (bot_integration_id, created_at DESC);
-- I-78
CREATE UNIQUE INDEX ux_conversation_metrics_conv ON conversation_metrics (conversation_id);
-- I-79
CREATE UNIQUE INDEX ux_bot_perf_bot_date ON bot_performance_metrics (bot_id, date);
-- I-80
CREATE INDEX idx_bot_perf_org_date ON bot_performance_metrics (organization_id, date DESC);
-- I-81
CREATE UNIQUE INDEX ux_usage_analytics_org_hour ON usage_analytics (organization_id, hour);
-- I-82
CREATE UNIQUE INDEX ux_usage_records_org_period ON usage_records (organization_id, period_start);
-- I-83
CREATE INDEX idx_workflow_executions_workflow ON workflow_executions (workflow_id);
-- I-84
CREATE INDEX idx_usage_analytics_most_active_bot ON usage_analytics (most_active_bot_id) WHERE most_active_bot_id IS NOT NULL;

------------------------------------------------------------------------------------------------------------------------
-- §5 Full-text search (FTS5): external-content tables on stable integer keys, kept in sync by triggers.
-- Delete/update triggers use the FTS5 'delete' command with the old row's values.
------------------------------------------------------------------------------------------------------------------------

-- F-1
CREATE VIRTUAL TABLE knowledge_fts USING fts5(
    content,
    content='knowledge_embeddings',
    content_rowid='chunk_no',
    tokenize='porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER knowledge_fts_ai AFTER INSERT ON knowledge_embeddings BEGIN
    INSERT INTO knowledge_fts(rowid, content) VALUES (new.chunk_no, new.content);
END;

CREATE TRIGGER knowledge_fts_ad AFTER DELETE ON knowledge_embeddings BEGIN
    INSERT INTO knowledge_fts(knowledge_fts, rowid, content) VALUES ('delete', old.chunk_no, old.content);
END;

CREATE TRIGGER knowledge_fts_au AFTER UPDATE OF content ON knowledge_embeddings BEGIN
    INSERT INTO knowledge_fts(knowledge_fts, rowid, content) VALUES ('delete', old.chunk_no, old.content);
    INSERT INTO knowledge_fts(rowid, content) VALUES (new.chunk_no, new.content);
END;

-- F-2
CREATE VIRTUAL TABLE marketplace_fts USING fts5(
    name,
    description,
    content='integration_marketplace',
    content_rowid='row_no',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER marketplace_fts_ai AFTER INSERT ON integration_marketplace BEGIN
    INSERT INTO marketplace_fts(rowid, name, description) VALUES (new.row_no, new.name, new.description);
END;

CREATE TRIGGER marketplace_fts_ad AFTER DELETE ON integration_marketplace BEGIN
    INSERT INTO marketplace_fts(marketplace_fts, rowid, name, description)
        VALUES ('delete', old.row_no, old.name, old.description);
END;

CREATE TRIGGER marketplace_fts_au AFTER UPDATE OF name, description ON integration_marketplace BEGIN
    INSERT INTO marketplace_fts(marketplace_fts, rowid, name, description)
        VALUES ('delete', old.row_no, old.name, old.description);
    INSERT INTO marketplace_fts(rowid, name, description) VALUES (new.row_no, new.name, new.description);
END;
