/**
 * deploy/: the Grafana dashboard asks only for series the gateway exports
 * (names read from the metrics registry itself), and the Prometheus scrape
 * config and Grafana provisioning agree with docker-compose.yml.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Metrics, TIERS } from '../../src/metrics';

const deploy = (file: string) => path.resolve(__dirname, '../../deploy', file);
const dashboard = JSON.parse(readFileSync(deploy('grafana/reflex-dashboard.json'), 'utf8'));
const prometheus = parse(readFileSync(deploy('prometheus/prometheus.yml'), 'utf8'));
const compose = parse(readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true });

/** Every series name a scrape of the gateway can hold: histograms and summaries expose _bucket/_sum/_count. */
async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await new Metrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (m.type === ('histogram' as never)) ['_bucket', '_sum', '_count'].forEach((s) => names.add(m.name + s));
    if (m.type === ('summary' as never)) ['_sum', '_count'].forEach((s) => names.add(m.name + s));
  }
  return names;
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels, ranges or Grafana variables. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  return [...bare.matchAll(/\b[a-zA-Z_:][\w:]*\b(?!\s*\()/g)].map((m) => m[0]).filter((id) => !PROMQL_KEYWORDS.has(id));
}

/** Every query in the dashboard: panel targets (rows included) and template variables. */
function queries(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const panels = (list: any[]): void =>
    list.forEach((p) => {
      (p.targets ?? []).forEach((t: any) => out.push({ where: `${p.title} ${t.refId}`, expr: t.expr }));
      panels(p.panels ?? []);
    });
  panels(dashboard.panels);
  for (const v of dashboard.templating.list) if (v.type === 'query') out.push({ where: `$${v.name}`, expr: v.definition.replace(/^label_values\((.*),\s*\w+\)$/, '$1') });
  return out;
}

test('the checker finds metric names and nothing else', () => {
  expect(metricNames('histogram_quantile(0.95, sum by (le, tier) (rate(reflex_request_duration_seconds_bucket{tier=~"MISS|x"}[$__rate_interval])))')).toEqual(['reflex_request_duration_seconds_bucket']);
  expect(metricNames('sum(rate(a_total[5m])) / ignoring(tier) group_left sum(b_total offset 1h)')).toEqual(['a_total', 'b_total']);
});

test('every dashboard query names only metrics the gateway exports, and at least one', async () => {
  const exported = await exportedSeries();
  const all = queries();
  expect(all.length).toBeGreaterThan(20);
  for (const { where, expr } of all) {
    const names = metricNames(expr);
    expect({ where, names: names.length > 0 }).toEqual({ where, names: true });
    for (const name of names) expect({ where, name, exported: exported.has(name) }).toEqual({ where, name, exported: true });
  }
});

test('a series the gateway does not export would be caught', async () => {
  const exported = await exportedSeries();
  const unknown = (expr: string) => metricNames(expr).filter((n) => !exported.has(n));
  expect(unknown('sum(rate(reflex_cache_hits_total[5m])) / sum(rate(reflex_requests_total[5m]))')).toEqual(['reflex_cache_hits_total']);
  expect(unknown('rate(reflex_request_duration_seconds_bucket[5m])')).toEqual([]);
});

test('tier values in the dashboard are X-Reflex-Status values', () => {
  const tiers = new Set<string>([...TIERS, 'ERROR']);
  for (const { where, expr } of queries()) {
    for (const m of expr.matchAll(/tier=~?"([^"]*)"/g)) {
      for (const tier of m[1]!.split('|')) expect({ where, tier, known: tiers.has(tier) }).toEqual({ where, tier, known: true });
    }
  }
});

test('panels are laid out without overlap on the 24-column grid', () => {
  const cells = new Set<string>();
  for (const p of dashboard.panels) {
    const { x, y, w, h } = p.gridPos;
    expect(x + w).toBeLessThanOrEqual(24);
    for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
      expect(cells.has(`${i},${j}`)).toBe(false);
      cells.add(`${i},${j}`);
    }
  }
});

test('Prometheus scrapes every API replica and worker on the ports compose gives them', () => {
  const jobs = Object.fromEntries(prometheus.scrape_configs.map((j: any) => [j.job_name, j]));
  const target = (job: string) => jobs[job].dns_sd_configs[0];
  expect(target('reflex-api')).toMatchObject({ names: ['api'], type: 'A', port: Number(compose.services.api.environment.REFLEX_PORT) });
  expect(target('reflex-worker')).toMatchObject({ names: ['worker'], type: 'A', port: Number(compose.services.worker.environment.REFLEX_WORKER_METRICS_PORT) });
  for (const job of Object.values(jobs) as any[]) expect(job.metrics_path).toBe('/metrics');
});

test('the monitoring profile mounts what deploy/ provides, published on loopback only', () => {
  const { prometheus: prom, grafana } = compose.services;
  for (const svc of [prom, grafana]) {
    expect(svc.profiles).toEqual(['monitoring']);
    for (const p of svc.ports) expect(p).toMatch(/^127\.0\.0\.1:/);
  }
  expect(prom.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  const provider = parse(readFileSync(deploy('grafana/provisioning/dashboards/reflex.yml'), 'utf8')).providers[0];
  const mounted = grafana.volumes.find((v: string) => v.startsWith('./deploy/grafana/reflex-dashboard.json:')).split(':')[1];
  expect(path.dirname(mounted)).toBe(provider.options.path);
  const source = parse(readFileSync(deploy('grafana/provisioning/datasources/prometheus.yml'), 'utf8')).datasources[0];
  expect(source.url).toBe('http://prometheus:9090');
});
