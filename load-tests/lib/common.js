// Shared by the three load-test profiles of behaviour.md §14 (api, stress, spike).
//
// Environment:
//   BASE_URL      server under test (default http://localhost:3001); it must run with RATE_LIMIT_GLOBAL=0,
//                 RATE_LIMIT_AUTH=0 and RATE_LIMIT_WEBHOOK=0, since every virtual user shares one client IP.
//   AUTH_TOKEN    a JWT of a test user; when unset, setup() signs a fresh user up (an empty organization).
//   TIME_SCALE    multiplies every stage duration (default 1 = the spec's durations; 0.1 = a tenth). Targets unchanged.
//   VU_SCALE      multiplies every stage's target VUs (default 1). Only for constrained smoke runs; the spec's
//                 profiles are VU_SCALE=1.
//   SKIP_MISSING  comma-separated request tags (e.g. `analytics`) whose route may not exist on this build yet. A 404
//                 "Route … not found" answer of such a request is counted in `skipped_missing_routes` instead of as
//                 an error. Default empty: a missing route is an error like any other non-200.
//   RESULTS_DIR   directory of the JSON summary (default: the working directory).
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:3001').replace(/\/$/, '');
export const TIME_SCALE = positive('TIME_SCALE', 1);
export const VU_SCALE = positive('VU_SCALE', 1);
export const SKIP_MISSING = (__ENV.SKIP_MISSING || '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
// Requests of a SKIP_MISSING tag that met a missing route (never counted as errors).
export const skippedMissing = new Counter('skipped_missing_routes');
const RESULTS_DIR = (__ENV.RESULTS_DIR || '.').replace(/\/$/, '');

function positive(name, fallback) {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number (got ${raw})`);
  return value;
}

// Stages of the spec, `[duration seconds, target VUs]`, scaled by TIME_SCALE and VU_SCALE (at least 1 s per stage;
// a non-zero target stays at least 1 VU).
export function scaledStages(stages) {
  return stages.map(([seconds, target]) => ({
    duration: `${Math.max(1, Math.round(seconds * TIME_SCALE))}s`,
    target: target === 0 ? 0 : Math.max(1, Math.round(target * VU_SCALE)),
  }));
}

export function maxTarget(stages) {
  return scaledStages(stages).reduce((max, s) => Math.max(max, s.target), 0);
}

// setup() of every profile: GET /health must answer 200 (else the run aborts); then the token.
export function commonSetup() {
  const health = http.get(`${BASE_URL}/health`, { tags: { endpoint: 'setup' } });
  if (health.status !== 200) {
    exec.test.abort(`GET ${BASE_URL}/health answered ${health.status}; is the server running?`);
  }
  let token = __ENV.AUTH_TOKEN;
  if (!token) {
    const id = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
    const signup = http.post(`${BASE_URL}/api/auth/signup`, JSON.stringify({
      email: `loadtest-${id}@example.com`, password: 'load-test-password', fullName: 'Load Test',
      organizationName: `Load Test ${id}`,
    }), { headers: { 'Content-Type': 'application/json' }, tags: { endpoint: 'setup' } });
    if (signup.status !== 200) exec.test.abort(`signup answered ${signup.status}: ${signup.body}`);
    token = signup.json('token');
  }
  return { token, startedAt: new Date().toISOString() };
}

export function headers(token, withAuth) {
  const h = { 'Content-Type': 'application/json' };
  if (withAuth) h.Authorization = `Bearer ${token}`;
  return h;
}

// Request params: a request whose tag is listed in SKIP_MISSING may answer 404 without counting in http_req_failed.
export function params(token, withAuth, endpoint, extra = {}) {
  const p = { headers: headers(token, withAuth), tags: { endpoint }, ...extra };
  if (SKIP_MISSING.includes(endpoint)) p.responseCallback = http.expectedStatuses(200, 404);
  return p;
}

// True when the response is the router's "Route <METHOD>:<path> not found" 404 (api.md §1.1) for a tag listed in
// SKIP_MISSING — and only then.
export function isSkippedMissingRoute(res, endpoint) {
  if (!SKIP_MISSING.includes(endpoint) || res.status !== 404) return false;
  try {
    const body = res.json();
    return body && body.statusCode === 404 && typeof body.message === 'string' && body.message.startsWith('Route ');
  } catch (_) {
    return false;
  }
}

export function jsonBody(res) {
  try { return res.json(); } catch (_) { return null; }
}

// Writes `<RESULTS_DIR>/<file>` (the JSON summary) and prints a short text summary.
export function writeSummary(file, profile, data, extra) {
  const m = data.metrics;
  const value = (name, key) => (m[name] && m[name].values && m[name].values[key] !== undefined ? m[name].values[key] : null);
  const summary = {
    profile,
    base_url: BASE_URL,
    time_scale: TIME_SCALE,
    vu_scale: VU_SCALE,
    skip_missing: SKIP_MISSING,
    finished_at: new Date().toISOString(),
    total_requests: value('http_reqs', 'count'),
    requests_per_second: value('http_reqs', 'rate'),
    failed_request_rate: value('http_req_failed', 'rate'),
    failed_requests: Math.round((value('http_req_failed', 'rate') || 0) * (value('http_reqs', 'count') || 0)),
    latency_ms: {
      avg: value('http_req_duration', 'avg'), p50: value('http_req_duration', 'med'),
      p90: value('http_req_duration', 'p(90)'), p95: value('http_req_duration', 'p(95)'),
      p99: value('http_req_duration', 'p(99)'), max: value('http_req_duration', 'max'),
    },
    max_vus: value('vus_max', 'max'),
    iterations: value('iterations', 'count'),
    skipped_missing_routes: value('skipped_missing_routes', 'count') || 0,
    thresholds: Object.fromEntries(Object.entries(m)
      .filter(([, metric]) => metric.thresholds)
      .map(([name, metric]) => [name, Object.fromEntries(Object.entries(metric.thresholds).map(([t, r]) => [t, r.ok]))])),
    ...extra,
    metrics: m,
  };
  summary.thresholds_ok = Object.values(summary.thresholds).every((t) => Object.values(t).every((ok) => ok));
  const fmt = (x) => (x === null || x === undefined ? 'n/a' : Number(x).toFixed(2));
  const lines = [
    `== ${profile} profile (time scale ${TIME_SCALE}${VU_SCALE !== 1 ? `, VU scale ${VU_SCALE}` : ''}) against ${BASE_URL}`,
    `requests: ${summary.total_requests} total, ${summary.failed_requests} failed (${fmt(100 * (summary.failed_request_rate || 0))} %), ${fmt(summary.requests_per_second)} req/s`,
    `latency ms: p50 ${fmt(summary.latency_ms.p50)}  p95 ${fmt(summary.latency_ms.p95)}  p99 ${fmt(summary.latency_ms.p99)}  max ${fmt(summary.latency_ms.max)}`,
    `max VUs: ${summary.max_vus}; iterations: ${summary.iterations}`,
  ];
  if (summary.skipped_missing_routes > 0) lines.push(`skipped (route missing, SKIP_MISSING=${SKIP_MISSING.join(',')}): ${summary.skipped_missing_routes}`);
  for (const [k, v] of Object.entries(extra || {})) if (typeof v !== 'object') lines.push(`${k}: ${v}`);
  for (const [name, ts] of Object.entries(summary.thresholds)) {
    for (const [t, ok] of Object.entries(ts)) lines.push(`threshold ${name} ${t}: ${ok ? 'ok' : 'FAILED'}`);
  }
  lines.push(`thresholds: ${summary.thresholds_ok ? 'all met' : 'NOT met'}; summary in ${RESULTS_DIR}/${file}`);
  return { [`${RESULTS_DIR}/${file}`]: JSON.stringify(summary, null, 2), stdout: lines.join('\n') + '\n' };
}
