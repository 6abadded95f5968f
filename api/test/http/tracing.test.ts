import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import test from 'ava';
import { startTelemetry } from '../../src/telemetry.js';
import { collectLogLines } from '../support/log-lines.js';

// Telemetry first, everything else after: instrumentation patches koa, http and pg as they load.
const exporter = new InMemorySpanExporter();
const telemetry = await startTelemetry({
  serviceName: 'skeleton-test',
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const { apiOnFreshDatabase } = await import('../support/api-server.js');
const { signUpAndIn } = await import('../support/accounts.js');

const logs = collectLogLines();
const suite = apiOnFreshDatabase({ LOG_LEVEL: 'info' }, { logDestination: logs.destination });

test.after.always(() => telemetry.shutdown());

test('one request makes one trace with HTTP, Koa and database spans, and its log lines carry it', async (t) => {
  const user = await signUpAndIn(suite.api);
  exporter.reset();
  const response = await suite.api.request('GET', '/api/v1/users/me', {
    token: user.accessToken,
    headers: { 'x-request-id': 'trace-me-1' },
  });
  t.is(response.status, 200);

  const spans = exporter.getFinishedSpans();
  const server = spans.find((span) => span.kind === 1 && span.attributes['http.route'] !== undefined);
  t.truthy(server, 'an HTTP server span');
  const traceId = server?.spanContext().traceId;
  const ofTrace = spans.filter((span) => span.spanContext().traceId === traceId);
  t.true(
    ofTrace.some((span) => span.instrumentationScope.name.includes('koa')),
    'Koa spans',
  );
  const database = ofTrace.filter((span) => span.instrumentationScope.name.includes('pg'));
  t.true(database.length >= 1, 'database spans');
  t.true(
    database.some((span) =>
      String(span.attributes['db.statement'] ?? span.attributes['db.query.text']).includes('sessions'),
    ),
  );
  t.is(new Set(ofTrace.map((span) => span.spanContext().traceId)).size, 1);

  const requestLines = logs.parsed().filter((line) => line.requestId === 'trace-me-1');
  t.true(requestLines.length >= 1);
  for (const line of requestLines) t.is(line.traceId, traceId);
});
