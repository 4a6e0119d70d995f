#!/usr/bin/env python3
"""The SQLite floor of the ingest pipeline: the statements one inbound sandbox message costs on the writer (store it
in a new conversation, reply with a welcome and an answer, deliver both in the same transaction, record the jobs,
context and metrics), replayed from Python's sqlite3 on a copy of a migrated BotFlow database with the appliance's
pragmas (WAL, synchronous=FULL, temp_store=MEMORY, 64 MB cache) and group commit (a savepoint per message, `batch`
messages per transaction). No HTTP, no Swift: what the schema costs by itself.

Usage: ingest_floor.py DB MESSAGES BATCH MODE IDS [noop]
  MODE  inline (reply in the webhook's transaction) | job (reply job queued, claimed, run in the next transaction)
  IDS   v4 (random UUID v4, api.md §1.7) | ordered (48-bit millisecond time first; a UUID v7 layout, for comparison)
  noop  the same loop with every statement replaced by nothing: Python's own share, to subtract from the other runs
"""
import json, os, resource, sqlite3, sys, time, uuid

db_path, n, batch, mode, ids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
c = sqlite3.connect(db_path, isolation_level=None)
for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "temp_store=MEMORY", "cache_size=-65536"):
    c.execute("PRAGMA " + pragma)
org = c.execute("SELECT id FROM organizations LIMIT 1").fetchone()[0]
acct, acct_phone = c.execute("SELECT id, phone_number FROM whatsapp_accounts LIMIT 1").fetchone()
bot = c.execute("SELECT id FROM bots LIMIT 1").fetchone()[0]
noop = len(sys.argv) > 6 and sys.argv[6] == "noop"

class NoRows:
    def fetchall(self):
        return []

class NoConnection:
    """Stands in for the connection in a `noop` run: the loop's Python work without SQLite's."""
    def execute(self, sql, args=()):
        return NoRows()

if noop:
    c = NoConnection()

def uuid_v4():
    return str(uuid.uuid4())

def uuid_ordered():
    value = (int(time.time() * 1000) << 80) | (uuid.uuid4().int & ((1 << 80) - 1))
    return str(uuid.UUID(int=value))

u = uuid_ordered if ids == "ordered" else uuid_v4
now = lambda: time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
WELCOME = "Hi! Welcome to Bench Shuttles. We cover Cape Town. How can we help you today?"
META = '{"reply_source":"%s","knowledge_searched":false,"knowledge_used":false,"knowledge_results_count":0,' \
       '"tokens_used":0,"processing_time_ms":0,"needs_handoff":false}'

def ingest(i):
    t = now()
    c.execute("SELECT * FROM whatsapp_accounts WHERE phone_number = ?", (acct_phone,)).fetchall()
    pid, phone = "floor-%d-%d" % (os.getpid(), i), "+2782%07d" % i
    c.execute("SELECT rowid, * FROM messages WHERE whatsapp_account_id = ? AND direction = 'inbound' AND provider_message_id = ?",
              (acct, pid)).fetchall()
    c.execute("SELECT * FROM conversations WHERE whatsapp_account_id = ? AND customer_phone = ? AND status IN ('active','pending','handed_off')",
              (acct, phone)).fetchall()
    c.execute("SELECT id FROM bots WHERE whatsapp_account_id = ? AND is_active = 1 ORDER BY created_at, rowid LIMIT 1", (acct,)).fetchall()
    cid, mid, jid = u(), u(), u()
    c.execute("INSERT INTO conversations (id, organization_id, bot_id, whatsapp_account_id, customer_phone, customer_name, status, "
              "started_at, last_message_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'Unknown', 'active', ?, ?, ?, ?)",
              (cid, org, bot, acct, phone, t, t, t, t))
    c.execute("INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, provider_message_id, direction, "
              "message_type, content, metadata, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'inbound', 'text', ?, ?, 'delivered', ?, ?)",
              (mid, cid, org, acct, pid, "hello, I need a taxi", '{"provider":"sandbox","first_in_conversation":true}', t, t))
    inline = mode == "inline"
    c.execute("INSERT INTO jobs (id, type, payload, state, dedupe_key, serial_key, organization_id, attempts, max_attempts, run_at, "
              "finished_at, created_at, updated_at) VALUES (?, 'reply', ?, ?, ?, ?, ?, ?, 5, ?, ?, ?, ?)",
              (jid, json.dumps({"message_id": mid}), "succeeded" if inline else "queued", "reply:" + mid, "reply:" + cid, org,
               1 if inline else 0, t, t if inline else None, t, t))
    return mid, cid, jid, t

def claim(jid):
    c.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_at = ?, lock_token = ?, updated_at = ? WHERE id = ?",
              (now(), u(), now(), jid))

def reply(mid, cid, jid, t, inline):
    c.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchall()
    c.execute("SELECT rowid, * FROM messages WHERE id = ?", (mid,)).fetchall()
    c.execute("SELECT context_data FROM conversation_context WHERE conversation_id = ?", (cid,)).fetchall()
    c.execute("SELECT * FROM workflow_executions WHERE conversation_id = ? AND status IN ('running','waiting')", (cid,)).fetchall()
    c.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchall()
    for k, (text, source) in enumerate(((WELCOME, "welcome"), ("Our fares are calculated per kilometer.", "intent"))):
        rid, oid, sid = u(), u(), "sandbox_" + u()
        c.execute("INSERT INTO messages (id, conversation_id, organization_id, whatsapp_account_id, provider_message_id, direction, "
                  "message_type, content, metadata, status, sent_by, in_reply_to, response_time_ms, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, 'outbound', 'text', ?, ?, 'sent', 'bot', ?, ?, ?, ?)",
                  (rid, cid, org, acct, sid, text, META % source, mid, 1 if k == 0 else None, t, t))
        c.execute("INSERT INTO outbox (id, message_id, whatsapp_account_id, channel, recipient, state, attempts, provider_message_id, "
                  "sent_at, created_at, updated_at) VALUES (?, ?, ?, 'sandbox', ?, 'sent', 1, ?, ?, ?, ?)", (oid, rid, acct, "+2782", sid, t, t, t))
        c.execute("INSERT INTO jobs (id, type, payload, state, dedupe_key, serial_key, organization_id, attempts, max_attempts, run_at, "
                  "finished_at, created_at, updated_at) VALUES (?, 'deliver', ?, 'succeeded', ?, ?, ?, 1, 5, ?, ?, ?, ?)",
                  (u(), json.dumps({"outbox_id": oid}), "deliver:" + oid, "deliver:" + cid, org, t, t, t, t))
    c.execute("UPDATE conversations SET bot_id = ?, customer_name = 'Unknown', status = 'active', metadata = '{}', last_message_at = ?, "
              "updated_at = ? WHERE id = ?", (bot, t, t, cid))
    c.execute("INSERT INTO conversation_context (id, conversation_id, context_data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
              (u(), cid, '{"last_message":"hello","last_response":"fares","message_count":1,"last_intent":"pricing",'
               '"handoff_requested":false,"knowledge_used":false,"variables":{}}', t, t))
    c.execute("SELECT count(*), coalesce(sum(direction = 'inbound'), 0), coalesce(sum(sent_by = 'bot'), 0), max(created_at), "
              "group_concat(response_time_ms) FROM messages WHERE conversation_id = ?", (cid,)).fetchall()
    c.execute("INSERT INTO conversation_metrics (id, conversation_id, bot_id, organization_id, started_at, total_messages, user_messages, "
              "bot_messages, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 3, 1, 2, ?, ?)", (u(), cid, bot, org, t, t, t))
    if not inline:
        c.execute("UPDATE jobs SET state = 'succeeded', finished_at = ?, locked_at = NULL, lock_token = NULL, last_error = NULL, "
                  "updated_at = ? WHERE id = ?", (t, t, jid))

def savepoint(work):
    c.execute("SAVEPOINT grdb")
    work()
    c.execute("RELEASE SAVEPOINT grdb")

r0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.time()
pending, i, commits = [], 0, 0
while i < n:
    c.execute("BEGIN IMMEDIATE")
    for p in pending:  # job mode: the previous batch's replies share this transaction (group commit)
        savepoint(lambda p=p: reply(*p, inline=False))
    stored = []
    for _ in range(min(batch, n - i)):
        if mode == "inline":
            savepoint(lambda: reply(*ingest(i), inline=True))
        else:
            savepoint(lambda: stored.append(ingest(i)))
        i += 1
    for p in stored:
        claim(p[2])
    c.execute("COMMIT")
    commits += 1
    pending = stored
if pending:
    c.execute("BEGIN IMMEDIATE")
    for p in pending:
        savepoint(lambda p=p: reply(*p, inline=False))
    c.execute("COMMIT")
r1, w1 = resource.getrusage(resource.RUSAGE_SELF), time.time()
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("FLOOR mode=%s%s ids=%s messages=%d batch=%d messages_per_s=%.0f cpu_ms_per_message=%.3f (user %.3f, system %.3f)" % (
    mode, " (python only)" if noop else "", ids, n, batch, n / (w1 - w0), cpu / n * 1000, (r1.ru_utime - r0.ru_utime) / n * 1000, (r1.ru_stime - r0.ru_stime) / n * 1000))
