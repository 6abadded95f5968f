import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { compression } from '../../src/http/middleware/compression.js';

/** An app answering a body large enough to be compressed, behind the API's compression. */
async function serveLargeBody(t: import('ava').ExecutionContext): Promise<string> {
  const app = new Koa();
  app.use(compression());
  app.use((ctx) => {
    ctx.body = { text: 'x'.repeat(4_096) };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

test('a large body is compressed with a coding the client accepts', async (t) => {
  const url = await serveLargeBody(t);
  const answer = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
  t.is(answer.status, 200);
  t.is(answer.headers.get('content-encoding'), 'gzip');
});

test('a client that accepts no coding we have, not even identity, gets the body uncompressed', async (t) => {
  const url = await serveLargeBody(t);
  for (const acceptEncoding of ['identity;q=0', '*;q=0', 'compress, identity;q=0']) {
    const answer = await fetch(url, { headers: { 'accept-encoding': acceptEncoding } });
    t.is(answer.status, 200, acceptEncoding);
    t.is(answer.headers.get('content-encoding'), null, acceptEncoding);
    t.is(((await answer.json()) as { text: string }).text.length, 4_096);
  }
});

test('a small JSON body is sent as it is, once serialised, and still varies by coding', async (t) => {
  const app = new Koa();
  app.use(compression());
  app.use((ctx) => {
    ctx.body = { small: true };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.teardown(() => server.close());
  const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
    headers: { 'accept-encoding': 'gzip, br' },
  });
  t.is(answer.headers.get('content-encoding'), null);
  t.is(answer.headers.get('vary'), 'Accept-Encoding');
  t.regex(answer.headers.get('content-type') ?? '', /^application\/json/);
  t.deepEqual(await answer.json(), { small: true });
});
