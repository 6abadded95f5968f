import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { traceId } from '../../src/http/middleware/trace-id.js';

/** What the middleware finds for a given traceparent header, with no tracing SDK running. */
async function traceIdFor(traceparent?: string): Promise<string | undefined> {
  const app = new Koa();
  app.use(traceId());
  app.use((ctx) => {
    ctx.body = { traceId: ctx.state.traceId ?? null };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      headers: traceparent === undefined ? {} : { traceparent },
    });
    return ((await response.json()) as { traceId: string | null }).traceId ?? undefined;
  } finally {
    server.close();
  }
}

test('a valid W3C traceparent gives its trace id', async (t) => {
  t.is(
    await traceIdFor('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'),
    '4bf92f3577b34da6a3ce929d0e0e4736',
  );
});

test('no header, a malformed one or an all-zero trace id give none', async (t) => {
  t.is(await traceIdFor(), undefined);
  t.is(await traceIdFor('garbage'), undefined);
  t.is(await traceIdFor('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'), undefined);
  t.is(await traceIdFor('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
});
