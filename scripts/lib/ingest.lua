-- wrk script for scripts/bench-ingest: every request is a sandbox webhook from a distinct customer.
-- Environment: BOTFLOW_TOKEN (JWT), BOTFLOW_TO (the sandbox number), BOTFLOW_RUN (a run prefix for message ids).
local token = os.getenv("BOTFLOW_TOKEN")
local to = os.getenv("BOTFLOW_TO")
local run = os.getenv("BOTFLOW_RUN") or "r"
local counter = 0
local next_thread = 0

-- setup runs in the main Lua state once per thread; thread:set defines the global `thread_id` in that thread's state.
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function request()
  counter = counter + 1
  -- distinct customer per request: +2771<thread (2 digits, from setup)><counter (7 digits)>
  local from = string.format("+2771%02d%07d", thread_id, counter)
  local body = string.format('{"to":"%s","from":"%s","text":"How much is the fare to the airport?","message_id":"%s_%d_%d"}',
                             to, from, run, thread_id, counter)
  return wrk.format("POST", "/webhooks/sandbox/whatsapp",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("WRK requests=%d duration_s=%.2f rps=%.1f non2xx_or_errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
