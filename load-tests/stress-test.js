// behaviour.md §14.2 — the `stress` profile: conversation lists up to 400 VUs over 25 minutes (scaled by TIME_SCALE).
// Run: k6 run -e BASE_URL=http://127.0.0.1:3001 -e AUTH_TOKEN=<jwt> load-tests/stress-test.js
// Environment: see lib/common.js (BASE_URL, AUTH_TOKEN, TIME_SCALE, VU_SCALE, SKIP_MISSING, RESULTS_DIR).
import http from 'k6/http';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import { BASE_URL, commonSetup, isSkippedMissingRoute, jsonBody, params, scaledStages, skippedMissing, writeSummary } from './lib/common.js';

const STAGES = [[120, 100], [180, 100], [120, 200], [180, 200], [120, 300], [180, 300], [120, 400], [180, 400], [300, 0]];

const errors = new Rate('errors');
const success = new Rate('success');
const totalRequests = new Counter('total_requests');

export const options = {
  stages: scaledStages(STAGES),
  thresholds: {
    http_req_failed: ['rate<0.05'],
    http_req_duration: ['p(95)<2000'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return commonSetup();
}

export default function (data) {
  const res = http.get(`${BASE_URL}/api/conversations?limit=50`, params(data.token, true, 'conversations', { timeout: '10s' }));
  totalRequests.add(1);
  if (isSkippedMissingRoute(res, 'conversations')) {
    skippedMissing.add(1, { endpoint: 'conversations' });
  } else {
    const body = jsonBody(res);
    const ok = check(res, {
      'status 200': (r) => r.status === 200,
      '< 2000 ms': (r) => r.timings.duration < 2000,
      'conversations is an array': () => body !== null && Array.isArray(body.conversations),
    });
    errors.add(res.status !== 200);
    success.add(ok);
    if (!ok) {
      console.warn(`failure: VU ${exec.vu.idInTest} status ${res.status} duration ${res.timings.duration.toFixed(1)} ms`);
    }
  }
  sleep(1);
}

export function handleSummary(data) {
  const m = data.metrics;
  return writeSummary('stress-test-results.json', 'stress', data, {
    error_rate: m.errors ? m.errors.values.rate : null,
    success_rate: m.success ? m.success.values.rate : null,
  });
}
