-- Analytics (behaviour §10): indexes that keep the realtime KPIs, the series and the hourly rollup index-only on a
-- million messages. Every query that relies on one names it in a comment; plans are in docs/ANALYTICS.md.

-- Bot messages: successRate (status), avgResponseTime, AN2 series and AN5 (response_time_ms, conversation_id) read
-- only this index. Partial on bot rows, so inbound and agent messages pay nothing; `sent_by` is a key column only so
-- that SQLite treats the index as covering (it does not infer columns from the partial WHERE).
CREATE INDEX idx_messages_bot_facts ON messages (organization_id, created_at, status, response_time_ms, conversation_id, sent_by)
    WHERE sent_by = 'bot';

-- Inbound messages whose reply job died (§10.1 failed replies): a handful of rows, found without reading metadata.
CREATE INDEX idx_messages_reply_failed ON messages (organization_id, created_at)
    WHERE json_extract(metadata, '$.reply_failed') = 1;

-- conversations_ended of the hourly rollup (conversations with ended_at in the hour).
CREATE INDEX idx_conversations_org_ended ON conversations (organization_id, ended_at)
    WHERE ended_at IS NOT NULL;
