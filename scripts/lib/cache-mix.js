// k6 script for scripts/bench-cache: the read-heavy API mix of the api profile (behaviour §14) against one seeded
// organization — bot list and details, templates, conversation lists, details and message history — with an
// occasional write (a customer message through the sandbox webhook, which invalidates that conversation's keys).
// Environment: BASE, TOKEN, BOTS (comma-separated ids), CONVERSATIONS (comma-separated ids), TO, DURATION, VUS.
import http from 'k6/http';
import { check } from 'k6';

const base = __ENV.BASE;
const params = { headers: { Authorization: `Bearer ${__ENV.TOKEN}`, 'Content-Type': 'application/json' } };
const bots = __ENV.BOTS.split(',');
const conversations = __ENV.CONVERSATIONS.split(',');

export const options = {
  vus: Number(__ENV.VUS || 20),
  duration: __ENV.DURATION || '20s',
  thresholds: { http_req_failed: ['rate<0.01'] },
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

function pick(list) { return list[Math.floor(Math.random() * list.length)]; }

export default function () {
  const r = Math.random();
  let res;
  if (r < 0.20) res = http.get(`${base}/api/bots`, params);
  else if (r < 0.35) res = http.get(`${base}/api/bots/${pick(bots)}`, params);
  else if (r < 0.50) res = http.get(`${base}/api/templates`);
  else if (r < 0.55) res = http.get(`${base}/api/templates/vertical/taxi`);
  else if (r < 0.70) res = http.get(`${base}/api/conversations`, params);
  else if (r < 0.82) res = http.get(`${base}/api/conversations/${pick(conversations)}`, params);
  else if (r < 0.995) res = http.get(`${base}/api/conversations/${pick(conversations)}/messages`, params);
  else {
    const from = `+2783${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    res = http.post(`${base}/webhooks/sandbox/whatsapp`, JSON.stringify({ to: __ENV.TO, from, text: 'Hello again' }), params);
  }
  check(res, { 'status is 2xx': (x) => x.status >= 200 && x.status < 300 });
}
