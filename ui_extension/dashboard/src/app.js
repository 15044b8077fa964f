// ChurnGuard dashboard: reads GET /api/v1/dashboard with the API token the user typed (kept in
// sessionStorage for this tab only) and draws each panel. No framework, no CDN: Chart.js is
// served by the daemon.
'use strict';

const $ = (sel) => document.querySelector(sel);
const TOKEN_KEY = 'churnguard.token';
const TIER_COLOURS = { low: '#2e7d32', medium: '#c77700', high: '#c62828', critical: '#7b1010' };
const charts = {};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const pct = (x) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x, d = 0) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));

function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new window.Chart($(`#${id}`), { ...config, options: { animation: false, responsive: true, ...(config.options || {}) } });
}

function ready(panel) {
  document.querySelector(`[data-panel="${panel}"]`).dataset.state = 'ready';
}

function drawDistribution(d) {
  const tiers = $('#tiers');
  tiers.replaceChildren(...['critical', 'high', 'medium', 'low'].map((t) =>
    el('div', {}, el('b', {}, d.tiers[t] ?? 0), el('span', { class: `tier ${t}` }, t))));
  chart('histogram', {
    type: 'bar',
    data: {
      labels: d.histogram.map((_, i) => `${i * 10}–${i * 10 + 9}`),
      datasets: [{ label: 'customers by score', data: d.histogram, backgroundColor: d.histogram.map((_, i) => (i >= 7 ? TIER_COLOURS.critical : i >= 5 ? TIER_COLOURS.high : i >= 3 ? TIER_COLOURS.medium : TIER_COLOURS.low)) }],
    },
    options: { plugins: { legend: { display: false } } },
  });
  ready('distribution');
}

// A line needs two days: until then the chart has one point, and says why.
function trendNote(d) {
  const days = d.trend.filter((p) => p.mean_score !== null && p.mean_score !== undefined).length;
  return days >= 2 ? '' : days === 1
    ? 'Scores from one day so far: the trend fills in as ChurnGuard scores on later days.'
    : 'No scores yet in the last 30 days.';
}

function drawTrend(d) {
  $('#trend-note').textContent = trendNote(d);
  chart('trend', {
    type: 'line',
    data: {
      labels: d.trend.map((p) => p.date.slice(5)),
      datasets: [
        { label: 'mean score', data: d.trend.map((p) => p.mean_score), borderColor: '#5b7fa6', yAxisID: 'y' },
        { label: 'high or critical', data: d.trend.map((p) => (p.high_share === null ? null : 100 * p.high_share)), borderColor: TIER_COLOURS.high, yAxisID: 'y1' },
      ],
    },
    options: { scales: { y: { title: { display: true, text: 'score' } }, y1: { position: 'right', title: { display: true, text: '% of customers' }, grid: { drawOnChartArea: false } } } },
  });
  ready('trend');
}

function drawSegments(d) {
  $('#segment-name').textContent = d.segment || 'segment';
  chart('segments', {
    type: 'bar',
    data: {
      labels: d.segments.map((s) => `${s.value} (${s.customers})`),
      datasets: [
        { label: 'mean score now', data: d.segments.map((s) => s.mean_score), backgroundColor: '#5b7fa6' },
        { label: '30 days ago', data: d.segments.map((s) => s.mean_score_30d_ago), backgroundColor: '#b8c7d9' },
      ],
    },
  });
  ready('segments');
}

function drawEngagement(d) {
  const e = d.engagement;
  $('#engagement-stats').replaceChildren(
    el('div', {}, el('b', {}, num(e.mean_engagement)), 'mean engagement (0–100)'),
    el('div', {}, el('b', {}, num(e.mean_sentiment)), 'mean support sentiment (−100…100)'),
    el('div', {}, el('b', {}, pct(e.low_engagement_share)), 'with engagement under 30'),
    el('div', {}, el('b', {}, pct(e.negative_sentiment_share)), 'with negative sentiment'));
  chart('engagement', {
    type: 'line',
    data: {
      labels: d.trend.map((p) => p.date.slice(5)),
      datasets: [
        { label: 'engagement', data: d.trend.map((p) => p.mean_engagement), borderColor: '#2e7d32' },
        { label: 'sentiment', data: d.trend.map((p) => p.mean_sentiment), borderColor: '#8e44ad' },
      ],
    },
  });
  ready('engagement');
}

// The record's owner in the CRM: a name when the CRM listed them, else the id; a deactivated
// owner is marked, since nobody is working that account.
function ownerCell(o) {
  if (!o) return el('td', { class: 'muted' }, 'none');
  const who = o.name || o.id;
  return o.active === false ? el('td', { class: 'deactivated' }, `${who} (deactivated)`) : el('td', {}, who);
}

function drawTop(d) {
  $('#top tbody').replaceChildren(...d.top.map((c) => el('tr', {},
    el('td', {}, c.name || c.id),
    el('td', { class: 'num' }, c.score),
    el('td', {}, el('span', { class: `tier ${c.tier}` }, c.tier)),
    el('td', {}, c.reasons.join('; ')),
    el('td', c.holdout ? { class: 'holdout' } : {}, c.holdout ? 'none (holdout)' : c.next_action + (c.offer ? ` — ${c.offer}` : '')),
    ownerCell(c.owner))));
  ready('top');
}

function drawPlays(d) {
  const rows = d.plays.map((p) => el('tr', {},
    el('td', {}, `${p.id} (${p.kind})`),
    el('td', { class: 'num' }, `${p.treatment.n} + ${p.treatment.active} active`),
    el('td', { class: 'num' }, `${p.holdout.n} + ${p.holdout.active} active`),
    el('td', { class: 'num' }, pct(p.treatment.rate)),
    el('td', { class: 'num' }, pct(p.holdout.rate)),
    el('td', { class: 'num' }, `${num(100 * p.lift, 1)} pts (${num(100 * p.lift_ci95[0], 1)}, ${num(100 * p.lift_ci95[1], 1)})`),
    el('td', { class: 'num' }, num(p.cost)),
    el('td', { class: 'num' }, num(p.saved_per_1000, 1)),
    el('td', {}, p.note)));
  $('#plays tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 9 }, 'No plays configured (plays: in the config).'))]));
  ready('plays');
}

function drawRecommendations(d) {
  $('#recommendations').replaceChildren(...d.recommendations.map((r) => el('li', {}, r)));
  $('#drivers').replaceChildren(...d.risk_drivers.map((r) => el('li', {}, `${r.reason} — ${r.customers} customers`)));
  ready('recommendations');
}

function drawSync(d) {
  const s = d.sync;
  const rows = [
    ['CRM', s.crm], ['Last run', s.last_run ?? 'not yet (in this daemon process)'], ['Runs', `${s.runs} (${s.webhook_runs} from webhooks)`],
    ['Last error', s.last_error || 'none'], ['API calls', `${s.api_calls} (${s.rate_limited} rate-limited, ${s.retries} retried)`],
    ['Daily API budget left', s.daily_remaining ?? 'unknown'],
    ['Outbox', `${s.outbox.pending} pending, ${s.outbox.done} written, ${s.outbox.failed} failed`],
    ['Model', d.model.version ?? 'none'],
  ];
  $('#sync').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', k === 'Last error' && v !== 'none' ? { class: 'error' } : {}, v)]));
  ready('sync');
}

async function load() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin('');
  const res = await fetch('/api/v1/dashboard', { headers: { Authorization: `Bearer ${token}` } });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin('That token was refused.');
  }
  if (!res.ok) return showLogin(`The daemon answered ${res.status}.`);
  const d = await res.json();
  $('#login').hidden = true;
  $('#panels').hidden = false;
  $('#signout').hidden = false;
  $('#meta').textContent = `${d.customers} customers · model ${d.model.version ?? 'none'} · ${d.generated_at}`;
  for (const draw of [drawDistribution, drawTrend, drawSegments, drawEngagement, drawTop, drawPlays, drawRecommendations, drawSync]) draw(d);
  document.body.dataset.state = 'ready';
}

function showLogin(message) {
  $('#panels').hidden = true;
  $('#signout').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
}

document.addEventListener('DOMContentLoaded', () => {
  $('#login').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value);
    load();
  });
  $('#signout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('');
  });
  load();
  setInterval(() => { if (sessionStorage.getItem(TOKEN_KEY)) load(); }, 60_000);
});
