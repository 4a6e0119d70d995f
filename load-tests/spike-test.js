// behaviour.md §14.3 — the `spike` profile: sudden surges to 500 and 800 VUs over 11 m 20 s (scaled by TIME_SCALE).
// Each iteration picks one of five endpoints uniformly at random; think time uniform 0–2 s.
// Run: k6 run -e BASE_URL=http://127.0.0.1:3001 -e AUTH_TOKEN=<jwt> load-tests/spike-test.js
// Environment: see lib/common.js (BASE_URL, AUTH_TOKEN, TIME_SCALE, VU_SCALE, SKIP_MISSING, RESULTS_DIR).
import http from 'k6/http';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import { BASE_URL, VU_SCALE, commonSetup, isSkippedMissingRoute, params, scaledStages, skippedMissing, writeSummary } from './lib/common.js';

const STAGES = [[60, 50], [10, 500], [180, 500], [60, 50], [60, 50], [10, 800], [120, 800], [120, 50], [60, 0]];
const ENDPOINTS = [
  ['/health', 'health'],
  ['/api/bots', 'bots'],
  ['/api/conversations', 'conversations'],
  ['/api/analytics/realtime', 'analytics'],
  ['/api/templates', 'templates'],
];
// "While fewer than 100 VUs are active" — scaled with VU_SCALE so a scaled-down smoke run keeps the same meaning.
const RECOVERY_VUS = Math.max(1, Math.round(100 * VU_SCALE));

const errors = new Rate('errors');
const recovery = new Rate('recovery');
const spikeRequests = new Counter('spike_requests');

export const options = {
  stages: scaledStages(STAGES),
  thresholds: {
    http_req_failed: ['rate<0.1'],
    http_req_duration: ['p(99)<5000'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return commonSetup();
}

export default function (data) {
  const [path, endpoint] = ENDPOINTS[Math.floor(Math.random() * ENDPOINTS.length)];
  const res = http.get(`${BASE_URL}${path}`, params(data.token, path.startsWith('/api/'), endpoint, { timeout: '10s' }));
  spikeRequests.add(1, { endpoint });
  if (isSkippedMissingRoute(res, endpoint)) {
    skippedMissing.add(1, { endpoint });
  } else {
    const ok = check(res, {
      'status 200': (r) => r.status === 200,
      'non-empty body': (r) => typeof r.body === 'string' && r.body.length > 0,
    }, { endpoint });
    errors.add(!ok, { endpoint });
    if (exec.instance.vusActive < RECOVERY_VUS) recovery.add(ok);
  }
  sleep(Math.random() * 2);
}

export function handleSummary(data) {
  const m = data.metrics;
  const errorRate = m.errors ? m.errors.values.rate : 0;
  const verdict = errorRate < 0.05 ? 'handled well' : errorRate < 0.1 ? 'acceptable' : 'struggled';
  return writeSummary('spike-test-results.json', 'spike', data, {
    error_rate: errorRate,
    recovery_rate: m.recovery ? m.recovery.values.rate : null,
    spike_requests: m.spike_requests ? m.spike_requests.values.count : 0,
    verdict,
  });
}
