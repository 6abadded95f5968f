import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { parse } from 'yaml';
import { generateKeyEntry } from '../../api/src/domain/tokens/key-set.js';
import { createTestDatabase } from '../../api/test/support/database.js';
import { writeKubeconfig } from '../../operator/test/support/kube-fake/kubeconfig.js';
import { exampleApp, isReady, startCluster, until } from '../../operator/test/support/operator-harness.js';
import {
  REPO_ROOT,
  type RunningProcess,
  startOperatorProcess,
  startProcess,
} from '../../operator/test/support/operator-process.js';
import { ALL_VALUES, allPanelQueries, toPromQL } from '../src/queries.js';
import { startPrometheus } from './support/prometheus-server.js';
import { parsePromQL } from './support/promql.js';

/**
 * The on-call package against real data: a real Prometheus (the Debian binary CI installs) scrapes a
 * running API under a short load and a running operator reconciling an app, evaluates the generated
 * rules, and every dashboard panel, every recording rule and every metric they name must return data.
 */

const RULES = join(REPO_ROOT, 'alerts', 'dist', 'skeleton-rules.yaml');
const API_JOB = 'skeleton-api';
const OPERATOR_JOB = 'skeleton-operator';
const DEADLINE_MS = 60_000;

interface RuleFile {
  groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
}

const hostOf = (url: string) => new URL(url).host;

async function startApi(t: ExecutionContext): Promise<string> {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const dir = mkdtempSync(join(tmpdir(), 'e2e-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [await generateKeyEntry('current')] }));
  const api: RunningProcess = startProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(REPO_ROOT, 'api'),
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      // The address it listens on is logged at info.
      LOG_LEVEL: 'info',
      PORT: '0',
      DATABASE_URL: database.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `e2e-${process.pid}-${Date.now()}:`,
      RATE_LIMITS: 'on',
      JWT_KEYS_FILE: join(dir, 'keys.json'),
    },
  });
  t.teardown(() => api.stop().then(() => undefined));
  const listening = await api.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/, DEADLINE_MS);
  if (!listening) throw new Error(`the API did not start:\n${api.stdout()}\n${api.stderr()}`);
  return listening[1] as string;
}

/** A short load touching every path the dashboards show: successes, 4xx, logins, refreshes, rate limits. */
async function load(api: string, until: number): Promise<void> {
  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${api}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const password = 'correct horse battery staple';
  const email = `load-${Date.now()}@example.com`;
  await post('/auth/register', { email, password, name: 'Load' });
  while (Date.now() < until) {
    const login = (await (await post('/auth/login', { email, password })).json()) as {
      data?: { accessToken: string; refreshToken: string };
    };
    const tokens = login.data;
    if (tokens) {
      await fetch(`${api}/api/v1/users/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
      await post('/auth/refresh', { refreshToken: tokens.refreshToken });
    }
    // Failed logins for one address run into its limit: 401s, then 429s.
    await post('/auth/login', { email: 'nobody@example.com', password: 'wrong password here' });
    await fetch(`${api}/api/v1/no-such-route`);
    await fetch(`${api}/health/ready`);
  }
}

test('every dashboard panel, recording rule and metric they name returns data from a real Prometheus', async (t) => {
  t.timeout(180_000);
  const api = await startApi(t);

  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  await cluster.createNamespace('skeleton-system');
  const dir = mkdtempSync(join(tmpdir(), 'e2e-kube-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeKubeconfig(join(dir, 'kubeconfig'), cluster.fake.url);
  const operator = startOperatorProcess({
    KUBECONFIG: join(dir, 'kubeconfig'),
    LEADER_ELECTION: 'true',
    POD_NAMESPACE: 'skeleton-system',
    METRICS_PORT: '0',
    HEALTH_PORT: '0',
    // The ports it listens on are logged at info.
    LOG_LEVEL: 'info',
  });
  t.teardown(() => operator.stop().then(() => undefined));
  const ports = await operator.waitForLog((line) => line.metricsPort !== undefined, DEADLINE_MS);
  if (!ports) throw new Error(`the operator logged no ports:\n${operator.stdout()}${operator.stderr()}`);
  await cluster.createApp(exampleApp('accounts', 'identity'));
  t.true(await until(async () => isReady(await cluster.getApp('identity', 'accounts')), DEADLINE_MS));

  const prometheus = await startPrometheus({
    targets: [
      { job: API_JOB, address: hostOf(api) },
      { job: OPERATOR_JOB, address: `127.0.0.1:${ports.metricsPort}` },
    ],
    ruleFiles: [RULES],
  });
  t.teardown(() => prometheus.close());
  const hasData = async (expr: string) => (await prometheus.query(expr)).result.length > 0;
  t.true(await until(() => hasData(`up{job="${API_JOB}"} == 1`), DEADLINE_MS), 'the API is scraped');
  t.true(
    await until(() => hasData(`up{job="${OPERATOR_JOB}"} == 1`), DEADLINE_MS),
    'the operator is scraped',
  );

  // Long enough for rate() over the dashboards' 1m windows to have several samples.
  await load(api, Date.now() + 15_000);
  t.true(
    await until(
      () => hasData(`rate(http_requests_total{job="${API_JOB}",status="429"}[1m]) > 0`),
      DEADLINE_MS,
    ),
    'the load reached the rate limits',
  );

  const empty: string[] = [];
  for (const query of allPanelQueries()) {
    const expr = toPromQL(query.expr, ALL_VALUES);
    if (!(await until(() => hasData(expr), 10_000)))
      empty.push(`${query.dashboard} / ${query.panel}: ${expr}`);
  }
  t.deepEqual(empty, [], 'no empty panel');

  const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
  const records = [
    ...new Set(rules.groups.flatMap((group) => group.rules.flatMap((rule) => rule.record ?? []))),
  ];
  t.true(records.length > 0);
  const unrecorded: string[] = [];
  for (const record of records) if (!(await until(() => hasData(record), 10_000))) unrecorded.push(record);
  t.deepEqual(unrecorded, [], 'every recording rule returns data');

  const exprs = [
    ...allPanelQueries().map((query) => toPromQL(query.expr, ALL_VALUES)),
    ...rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
  ];
  const named = new Set(
    exprs
      .flatMap((expr) => parsePromQL(expr).selectors.map((selector) => selector.metric))
      .filter(
        // Recording rules' own series (level:metric:operations) are checked above; `up` is Prometheus's.
        (metric) => metric !== '' && !metric.includes(':') && metric !== 'up',
      ),
  );
  const missing: string[] = [];
  for (const metric of named) if (!(await hasData(`group({__name__="${metric}"})`))) missing.push(metric);
  t.deepEqual(missing, [], 'every metric the rules and dashboards name is scraped from a running process');
  t.log(
    `${allPanelQueries().length} panel queries, ${records.length} recording rules, ${named.size} metrics: all with data`,
  );
});
