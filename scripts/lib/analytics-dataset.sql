-- scripts/bench-analytics: @CONVERSATIONS@ conversations of @PER@ messages over the last 30 days for the first
-- organization, with the facts of behaviour §10.1, conversation_metrics (§10.2), and the rows the hourly and daily
-- rollups (§10.6) would have written. Deterministic apart from the ids of organization, account and bots.
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY;
CREATE TEMP TABLE o AS SELECT id FROM organizations ORDER BY created_at LIMIT 1;
CREATE TEMP TABLE a AS SELECT id FROM whatsapp_accounts WHERE organization_id = (SELECT id FROM o) LIMIT 1;
INSERT INTO bots (id, organization_id, name)
  SELECT lower(hex(randomblob(16))), (SELECT id FROM o), 'Bench Bot ' || value FROM generate_series(1, 5);
CREATE TEMP TABLE b AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM bots WHERE organization_id = (SELECT id FROM o);
CREATE TEMP TABLE conv AS
  SELECT value AS i, julianday('now') - 30.0 * ((value * 7919) % 1000003) / 1000003.0 - @PER@ * 20.0 / 86400 AS jd
  FROM generate_series(1, @CONVERSATIONS@);
INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone, status, started_at, ended_at,
                           created_at, updated_at, last_message_at)
  SELECT printf('00000000-0000-4000-8000-%012d', i), (SELECT id FROM o), (SELECT id FROM b WHERE n = i % 5), (SELECT id FROM a),
         '+2783' || printf('%07d', i), CASE WHEN i % 10 = 0 THEN 'active' ELSE 'resolved' END,
         strftime('%Y-%m-%dT%H:%M:%fZ', jd),
         CASE WHEN i % 10 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', jd + (@PER@ - 1) * 20.0 / 86400) END,
         strftime('%Y-%m-%dT%H:%M:%fZ', jd), strftime('%Y-%m-%dT%H:%M:%fZ', jd), strftime('%Y-%m-%dT%H:%M:%fZ', jd + (@PER@ - 1) * 20.0 / 86400)
  FROM conv;
-- Even k: the customer; odd k: the bot's first reply to it (so it carries response_time_ms).
INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, direction, content, metadata, status, sent_by,
                      response_time_ms, created_at, updated_at)
  SELECT printf('%08x-0000-4000-8000-%012d', k, i), printf('00000000-0000-4000-8000-%012d', i), (SELECT id FROM o), (SELECT id FROM a),
         CASE WHEN k % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'message ' || k,
         CASE WHEN k % 2 = 0 THEN (CASE WHEN (i + k) % 97 = 0 THEN '{"reply_failed":true}' ELSE '{}' END)
              ELSE json_object('reply_source', CASE WHEN (i + k) % 13 = 0 THEN 'fallback' WHEN (i + k) % 3 = 0 THEN 'knowledge' ELSE 'llm' END,
                               'knowledge_searched', json('true'), 'knowledge_used', json(CASE WHEN (i + k) % 3 = 0 THEN 'true' ELSE 'false' END),
                               'knowledge_results_count', (i + k) % 4,
                               'tokens_used', CASE WHEN (i + k) % 3 = 0 OR (i + k) % 13 = 0 THEN 0 ELSE 100 + (i * 7 + k) % 400 END,
                               'processing_time_ms', 50, 'needs_handoff', json('false')) END,
         CASE WHEN k % 2 = 1 AND (i * 7 + k) % 50 = 1 THEN 'failed' ELSE 'delivered' END,
         CASE WHEN k % 2 = 0 THEN NULL ELSE 'bot' END,
         CASE WHEN k % 2 = 0 THEN NULL ELSE 200 + (i * 31 + k * 17) % 2800 END,
         strftime('%Y-%m-%dT%H:%M:%fZ', jd + k * 20.0 / 86400), strftime('%Y-%m-%dT%H:%M:%fZ', jd + k * 20.0 / 86400)
  FROM conv, (SELECT value AS k FROM generate_series(0, @PER@ - 1));

-- conversation_metrics (§10.2); nearest rank index = ceil(n × p) computed as (n × pct + 99) / 100.
CREATE TEMP TABLE ranked AS
  SELECT conversation_id, response_time_ms AS rt,
         row_number() OVER (PARTITION BY conversation_id ORDER BY response_time_ms) AS rn,
         count(*) OVER (PARTITION BY conversation_id) AS n
  FROM messages WHERE sent_by = 'bot' AND response_time_ms IS NOT NULL;
CREATE TEMP TABLE pct AS
  SELECT conversation_id, CAST(round(avg(rt)) AS INTEGER) AS avg_rt,
         max(CASE WHEN rn = max(1, (n * 50 + 99) / 100) THEN rt END) AS p50,
         max(CASE WHEN rn = max(1, (n * 95 + 99) / 100) THEN rt END) AS p95,
         max(CASE WHEN rn = max(1, (n * 99 + 99) / 100) THEN rt END) AS p99
  FROM ranked GROUP BY conversation_id;
CREATE TEMP TABLE facts AS
  SELECT conversation_id, count(*) AS total, sum(direction = 'inbound') AS user_messages, sum(sent_by IS 'bot') AS bot_messages,
         sum(sent_by IS 'bot' AND status != 'failed') AS successful,
         sum(sent_by IS 'bot' AND status = 'failed') + sum(direction = 'inbound' AND json_extract(metadata, '$.reply_failed') IS 1) AS failed,
         sum(sent_by IS 'bot' AND json_extract(metadata, '$.reply_source') = 'fallback') AS fallback,
         sum(sent_by IS 'bot' AND json_extract(metadata, '$.knowledge_used') IS 1) AS hits,
         sum(sent_by IS 'bot' AND json_extract(metadata, '$.knowledge_used') IS 0) AS misses,
         sum(CASE WHEN sent_by IS 'bot' THEN coalesce(json_extract(metadata, '$.tokens_used'), 0) ELSE 0 END) AS tokens,
         max(created_at) AS last_at
  FROM messages GROUP BY conversation_id;
INSERT INTO conversation_metrics (id, conversation_id, bot_id, organization_id, started_at, ended_at, duration_seconds, total_messages,
    user_messages, bot_messages, avg_response_time_ms, p50_response_time_ms, p95_response_time_ms, p99_response_time_ms,
    successful_responses, failed_responses, fallback_responses, handoff_triggered, knowledge_base_hits, knowledge_base_misses,
    tokens_used, estimated_cost_usd, resolution_status)
  SELECT lower(hex(randomblob(16))), c.id, c.bot_id, c.organization_id, c.created_at, f.last_at,
         CAST((julianday(f.last_at) - julianday(c.created_at)) * 86400 AS INTEGER), f.total, f.user_messages, f.bot_messages,
         p.avg_rt, p.p50, p.p95, p.p99, f.successful, f.failed, f.fallback, 0, f.hits, f.misses, f.tokens,
         round(f.tokens / 1000.0 * 0.0375, 6), CASE WHEN c.status = 'resolved' THEN 'resolved' ELSE 'unresolved' END
  FROM conversations c JOIN facts f ON f.conversation_id = c.id LEFT JOIN pct p ON p.conversation_id = c.id
  WHERE c.bot_id IS NOT NULL;

-- What the hourly rollups left: every hour before the current one; last_rollup_hour = the previous hour.
CREATE TEMP TABLE hour_now AS SELECT strftime('%Y-%m-%dT%H:00:00.000Z', 'now') AS h;
INSERT INTO usage_analytics (id, organization_id, hour, messages_sent, messages_received, active_users, bots_active, tokens_used,
                             estimated_cost_usd)
  SELECT lower(hex(randomblob(16))), organization_id, substr(created_at, 1, 13) || ':00:00.000Z',
         sum(direction = 'outbound'), sum(direction = 'inbound'), count(DISTINCT conversation_id), 5,
         sum(CASE WHEN sent_by IS 'bot' THEN coalesce(json_extract(metadata, '$.tokens_used'), 0) ELSE 0 END), 0
  FROM messages WHERE created_at < (SELECT h FROM hour_now) GROUP BY organization_id, substr(created_at, 1, 13);
INSERT INTO app_meta (key, value) VALUES ('last_rollup_hour', strftime('%Y-%m-%dT%H:00:00.000Z', 'now', '-1 hour'))
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
-- What the daily rollups left: one row per bot and past day; last_rollup_date = yesterday.
INSERT INTO bot_performance_metrics (id, bot_id, organization_id, date, total_conversations, total_messages, avg_response_time_ms,
                                     success_rate, total_tokens_used, total_cost_usd)
  SELECT lower(hex(randomblob(16))), bot_id, organization_id, substr(started_at, 1, 10), count(*), sum(total_messages),
         CAST(round(avg(avg_response_time_ms)) AS INTEGER),
         round(100.0 * sum(successful_responses) / max(1, sum(successful_responses) + sum(failed_responses)), 2),
         sum(tokens_used), round(sum(tokens_used) / 1000.0 * 0.0375, 2)
  FROM conversation_metrics WHERE started_at < strftime('%Y-%m-%dT00:00:00.000Z', 'now')
  GROUP BY bot_id, organization_id, substr(started_at, 1, 10);
INSERT INTO app_meta (key, value) VALUES ('last_rollup_date', date('now', '-1 day'))
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
PRAGMA wal_checkpoint(TRUNCATE);
