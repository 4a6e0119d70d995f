// behaviour.md §14.1 — the `api` profile: a steady ramp to 200 VUs over 23 minutes (scaled by TIME_SCALE).
// Each iteration makes the five requests of the mix (20 % each) with 6 s of think time.
// Run: k6 run -e BASE_URL=http://127.0.0.1:3001 -e AUTH_TOKEN=<jwt> load-tests/api-load-test.js
// Environment: see lib/common.js (BASE_URL, AUTH_TOKEN, TIME_SCALE, VU_SCALE, SKIP_MISSING, RESULTS_DIR).
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { BASE_URL, commonSetup, isSkippedMissingRoute, jsonBody, params, scaledStages, skippedMissing, writeSummary } from './lib/common.js';

const STAGES = [[120, 50], [300, 50], [120, 100], [300, 100], [120, 200], [300, 200], [120, 0]];

const errors = new Rate('errors');
const apiDuration = new Trend('api_duration', true);
const cacheHits = new Rate('cache_hits');
const apiCalls = new Counter('api_calls');

export const options = {
  stages: scaledStages(STAGES),
  thresholds: {
    http_req_duration: ['p(50)<100', 'p(95)<500', 'p(99)<1000'],
    http_req_failed: ['rate<0.01'],
    errors: ['rate<0.01'],
    api_duration: ['p(95)<500'],
    'http_req_duration{endpoint:health}': ['p(95)<50'],
    'http_req_duration{endpoint:bots}': ['p(95)<200'],
    'http_req_duration{endpoint:conversations}': ['p(95)<300'],
    'http_req_duration{endpoint:analytics}': ['p(95)<500'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return commonSetup();
}

// One request of the mix: records `errors` (status ≠ 200) and `api_duration`, unless it met a missing route that
// SKIP_MISSING allows.
function request(data, path, endpoint, withAuth, maxMs, bodyCheck, recordCache) {
  const res = http.get(`${BASE_URL}${path}`, params(data.token, withAuth, endpoint));
  if (isSkippedMissingRoute(res, endpoint)) {
    skippedMissing.add(1, { endpoint });
    return;
  }
  const body = jsonBody(res);
  check(res, {
    [`${endpoint}: status 200`]: (r) => r.status === 200,
    [`${endpoint}: < ${maxMs} ms`]: (r) => r.timings.duration < maxMs,
    [`${endpoint}: body`]: () => body !== null && bodyCheck(body),
  }, { endpoint });
  errors.add(res.status !== 200, { endpoint });
  apiDuration.add(res.timings.duration, { endpoint });
  if (recordCache) cacheHits.add(res.headers['X-Cache'] === 'HIT', { endpoint });
}

export default function (data) {
  request(data, '/health', 'health', false, 50, (b) => b.status === 'ok' || b.status === 'healthy', false);
  sleep(1);
  request(data, '/api/bots', 'bots', true, 200, (b) => Array.isArray(b.bots), true);
  sleep(1);
  request(data, '/api/conversations?limit=20', 'conversations', true, 300, (b) => Array.isArray(b.conversations), false);
  sleep(1);
  request(data, '/api/analytics/realtime', 'analytics', true, 500, (b) => b !== null, false);
  sleep(1);
  request(data, '/api/templates', 'templates', false, 100, (b) => Array.isArray(b.templates), true);
  apiCalls.add(1);
  sleep(2);
}

export function handleSummary(data) {
  const m = data.metrics;
  const rate = (name) => (m[name] ? m[name].values.rate : null);
  return writeSummary('load-test-results.json', 'api', data, {
    error_rate: rate('errors'),
    cache_hit_rate_x_cache: rate('cache_hits'),
    api_calls: m.api_calls ? m.api_calls.values.count : 0,
  });
}
