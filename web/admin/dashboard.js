// The admin dashboard's page script: logs in (session cookie), reads GET /admin/overview every
// 10 s and draws it; manages gateway keys through the admin key API. Data is only ever written
// as text (textContent), never as HTML.
'use strict';

const HEADER = { 'x-reflex-dashboard': '1' };
const TIERS = ['HIT_L1_EXACT', 'HIT_L3_VERIFIED', 'JOINED', 'MISS', 'REFRESH', 'BYPASS', 'ERROR'];
const COLORS = { HIT_L1_EXACT: '#1b7f3a', HIT_L3_VERIFIED: '#57b86b', JOINED: '#17becf', MISS: '#d62728', REFRESH: '#9467bd', BYPASS: '#8c564b', ERROR: '#444' };
const $ = (id) => document.getElementById(id);
const charts = {};
let timer;

function show(loggedIn) {
  $('login').hidden = loggedIn;
  $('dashboard').hidden = !loggedIn;
  $('logout').hidden = !loggedIn;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? HEADER : { ...HEADER, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  return { status: res.status, data };
}

async function refresh() {
  const { status, data } = await api('GET', '/admin/overview');
  if (status === 401) {
    show(false);
    return;
  }
  if (status !== 200) return;
  show(true);
  render(data);
  clearTimeout(timer);
  timer = setTimeout(refresh, 10_000);
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const int = (x) => Math.round(x).toLocaleString('en-US');
// Cents, or two significant digits below a cent (a few cached answers of a small model save fractions of one).
const usd = (x) => `$${x === 0 || x >= 0.01 ? x.toFixed(2) : x.toPrecision(2)}`;
const bytes = (n) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
const text = (id, value) => ($(id).textContent = value);

function render(o) {
  const r = o.stats.requests;
  text('scope', o.scope);
  text('hit-rate', pct(o.stats.hitRate.total));
  text('hit-rate-l1', pct(o.stats.hitRate.l1));
  text('hit-rate-l3', pct(o.stats.hitRate.l3));
  text('hit-rate-joined', pct(o.stats.hitRate.joined ?? 0));
  text('requests-total', int(Object.values(r).reduce((a, b) => a + b, 0)));
  text('hits-l1', int(r.HIT_L1_EXACT ?? 0));
  text('hits-l3', int(r.HIT_L3_VERIFIED ?? 0));
  text('misses', int(r.MISS ?? 0));
  text('joined', int(r.JOINED ?? 0));
  text('tokens-saved', int(o.saved.tokens.prompt + o.saved.tokens.completion));
  text('tokens-prompt', int(o.saved.tokens.prompt));
  text('tokens-completion', int(o.saved.tokens.completion));
  text('cost-saved', usd(o.saved.usd));
  text('cost-note', o.saved.unpriced.length ? `no price for ${o.saved.unpriced.join(', ')} (REFLEX_PRICES)` : 'list prices, REFLEX_PRICES');
  text('entries', int(o.stats.entries));
  text('tenants', int(o.stats.tenants));
  text('bytes', bytes(o.stats.bytes));
  text('degraded', o.degraded ? 'degraded' : 'reachable');
  $('degraded').className = `value ${o.degraded ? 'bad' : 'good'}`;
  text('outbox', `${o.outbox.pending}${o.outbox.atLeast ? '+' : ''}`);
  renderFleet(o.fleet);
  renderWrongHits(o.wrongHits);
  renderLatency(o.latency);
  renderFills(o.fills);
  renderKeys(o.keys);
  renderModels(o.saved.models);
  renderCharts(o.history);
  if (o.evalCurve) showEvalCurve();
}

/** Every replica's last hour (PostgreSQL only: without it the card stays hidden). */
function renderFleet(fleet) {
  $('fleet-card').hidden = !fleet;
  if (!fleet) return;
  text('fleet-requests', int(Object.values(fleet.requests).reduce((a, b) => a + b, 0)));
  text('fleet-replicas', int(fleet.replicas));
  text('fleet-hit-rate', pct(fleet.hitRate.total));
  text('fleet-joined', pct(fleet.hitRate.joined));
  text('fleet-saved', int(fleet.saved.prompt + fleet.saved.completion));
}

/** The audits' estimate per tenant and overall ("all"), the judgements the budget learns from, and each tenant's floor. */
function renderWrongHits(w) {
  const budget = w.delta === null ? 'no error budget (REFLEX_MAX_WRONG_HITS unset)' : `error budget δ = ${pct(w.delta)}, ${w.start} start`;
  text('wrong-hits-note', `audit rate ${pct(w.rate)} · ${budget} · judge: ${w.judge}`);
  const floor = (e) => (e.floor === undefined ? (e.tenant === 'all' ? '' : 'configured') : e.floor === null ? 'closed' : e.floor.toFixed(4));
  rows('wrong-hits', w.estimates, (e) => [e.tenant, e.audited, e.wrong, pct(e.rate), e.audited ? pct(e.upper) : '–', e.judged, floor(e), e.toOpen ?? '–']);
}

/** The last eval's picture, once one was plotted with this REFLEX_HOME (the overview says so). */
function showEvalCurve() {
  const img = $('eval-curve');
  if (img.dataset.asked) return;
  img.dataset.asked = '1';
  img.addEventListener('load', () => ($('eval').hidden = false));
  img.src = '/admin/eval/curve.svg';
}

function rows(tableId, items, cells) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren(
    ...items.map((item) => {
      const tr = document.createElement('tr');
      for (const cell of cells(item)) tr.append(cell instanceof Node ? wrap(cell) : td(cell));
      return tr;
    }),
  );
}

function td(value, numeric = typeof value === 'number') {
  const cell = document.createElement('td');
  cell.textContent = typeof value === 'number' ? (Number.isInteger(value) ? int(value) : value.toFixed(1)) : (value ?? '');
  if (numeric) cell.className = 'num';
  return cell;
}

function wrap(node) {
  const cell = document.createElement('td');
  cell.append(node);
  return cell;
}

function link(label, href) {
  const a = document.createElement('a');
  a.textContent = label;
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  return a;
}

function renderLatency(latency) {
  rows('latency', TIERS.filter((t) => latency[t]), (t) => [t, latency[t].p50, latency[t].p95, latency[t].p99]);
}

function renderFills(fills) {
  const c = fills.counters;
  const sum = (m) => Object.values(m).reduce((a, b) => a + b, 0);
  text('fills-started', int(c.started));
  text('fills-completed', int(sum(c.completed)));
  text('fills-failed-count', int(sum(c.failed)));
  const t = fills.temporal;
  $('fills-unreachable').hidden = t !== 'unreachable';
  if (t === 'unreachable') return;
  text('replayable', int(t.replayable));
  $('replayable').href = t.failedLink;
  const when = (iso) => new Date(iso).toLocaleString();
  rows('fills-running', t.running, (f) => [link(f.workflowId, f.link), f.model, f.origin, when(f.startedAt)]);
  rows('fills-failed', t.failed, (f) => [link(f.workflowId, f.link), f.model, f.outcome ?? f.status, when(f.startedAt)]);
}

function renderKeys(keys) {
  rows('keys', keys, (k) => {
    const revoke = document.createElement('button');
    revoke.textContent = 'Revoke';
    revoke.dataset.key = k.id;
    revoke.addEventListener('click', () => revokeKey(k));
    const limits = [k.rate_limit ? `${k.rate_limit.requests_per_minute}/min` : '', k.models ? k.models.join(' ') : '', k.expired ? 'expired' : ''].filter(Boolean).join(' · ');
    return [k.name, k.namespace, k.id, k.usage.requests, k.usage.hits, k.usage.saved.prompt + k.usage.saved.completion, limits, revoke];
  });
}

function renderModels(models) {
  rows('models', models, (m) => [m.model, m.hits, m.prompt, m.completion, m.usd === undefined || m.usd === null ? 'no price' : usd(m.usd)]);
}

function renderCharts(history) {
  if (typeof uPlot === 'undefined') return; // the chart library failed to load: the numbers above still show
  const xs = history.map((b) => b.at / 1000);
  const tiers = TIERS.filter((t) => history.some((b) => b.requests[t]));
  const requests = [xs, ...tiers.map((t) => history.map((b) => b.requests[t] ?? 0))];
  const latency = [xs, ...tiers.map((t) => history.map((b) => (b.requests[t] ? b.ms[t] / b.requests[t] : null)))];
  // Hits among lookups (hits and misses) in each bucket, as the hit-rate card counts them.
  const lookups = history.map((b) => (b.requests.HIT_L1_EXACT ?? 0) + (b.requests.HIT_L3_VERIFIED ?? 0) + (b.requests.MISS ?? 0) + (b.requests.JOINED ?? 0));
  const hitTiers = ['HIT_L1_EXACT', 'HIT_L3_VERIFIED'];
  const rate = [xs, ...hitTiers.map((t) => history.map((b, i) => (lookups[i] ? (100 * (b.requests[t] ?? 0)) / lookups[i] : null)))];
  draw('chart-hit-rate', hitTiers, rate);
  draw('chart-requests', tiers, requests);
  draw('chart-latency', tiers, latency);
}

// The time axis spans the buckets plus one, and at least ten minutes ending at the last: left to
// itself uPlot pads a single sample's axis out to years (and hands the range function that span,
// so it reads the buckets themselves).
const BUCKET_S = 10;
const MIN_SPAN_S = 600;
function timeRange(u) {
  const xs = u.data[0];
  const last = xs.length ? xs[xs.length - 1] : Date.now() / 1000;
  return [Math.min(xs.length ? xs[0] : last, last - MIN_SPAN_S), last + BUCKET_S];
}

function draw(id, tiers, data) {
  const el = $(id);
  const key = `${id}:${tiers.join(',')}`;
  if (charts[id] && charts[id].key === key) return charts[id].plot.setData(data);
  charts[id]?.plot.destroy();
  const series = [{}, ...tiers.map((t) => ({ label: t, stroke: COLORS[t], width: 2, spanGaps: false }))];
  const opts = { width: Math.max(400, el.clientWidth || 900), height: 220, series, axes: [{}, {}], scales: { x: { time: true, range: timeRange } } };
  charts[id] = { key, plot: new uPlot(opts, data, el) };
}

async function revokeKey(k) {
  if (!confirm(`Revoke key ${k.name} (${k.id})? Its callers get 401 at once.`)) return;
  const { status, data } = await api('DELETE', `/admin/keys/${encodeURIComponent(k.id)}`);
  $('key-error').hidden = status === 200;
  if (status !== 200) text('key-error', data?.error?.message ?? `HTTP ${status}`);
  await refresh();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { status, data } = await api('POST', '/admin/login', { token: $('token').value });
  $('token').value = '';
  $('login-error').hidden = status === 204;
  if (status !== 204) return text('login-error', data?.error?.message ?? `HTTP ${status}`);
  await refresh();
});

$('logout').addEventListener('click', async () => {
  await api('POST', '/admin/logout');
  clearTimeout(timer);
  show(false);
});

$('key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { name: $('key-name').value };
  if ($('key-namespace').value) body.namespace = $('key-namespace').value;
  if ($('key-rpm').value) body.rate_limit = { requests_per_minute: Number($('key-rpm').value) };
  const { status, data } = await api('POST', '/admin/keys', body);
  $('key-error').hidden = status === 201;
  $('key-secret').hidden = status !== 201;
  if (status !== 201) return text('key-error', data?.error?.message ?? `HTTP ${status}`);
  text('key-secret', `New key ${data.name} (${data.id}): ${data.key} — shown once; copy it now.`);
  $('key-form').reset();
  await refresh();
});

// The page says whether this browser has a session: without one, ask for no data (it would be a 401).
if (document.body.dataset.session === '1') refresh();
else show(false);
