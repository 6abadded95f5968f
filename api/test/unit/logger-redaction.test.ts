import test from 'ava';
import { createLogger } from '../../src/logger.js';
import { collectLogLines } from '../support/log-lines.js';

function logOnce(write: (logger: ReturnType<typeof createLogger>) => void) {
  const { destination, parsed } = collectLogLines();
  const logger = createLogger({ level: 'info', format: 'json' }, destination);
  write(logger);
  logger.flush();
  return new Promise<ReturnType<typeof parsed>>((resolve) => setImmediate(() => resolve(parsed())));
}

test('secrets are redacted at any depth, in arrays too', async (t) => {
  const [line] = await logOnce((logger) =>
    logger.info(
      {
        password: 'top',
        job: {
          steps: [
            { request: { headers: { Authorization: 'Bearer abc', accept: '*/*' } } },
            { result: { session: { refreshToken: 'r1', tokens: [{ accessToken: 'a1' }] } } },
          ],
          key: { kty: 'OKP', d: 'private-half', x: 'public-half' },
          deeper: { a: { b: { c: { d: { e: { newPassword: 'n1', kept: 'visible' } } } } } },
        },
      },
      'nested',
    ),
  );
  t.like(line, {
    password: '[redacted]',
    job: {
      steps: [
        { request: { headers: { Authorization: '[redacted]', accept: '*/*' } } },
        { result: { session: { refreshToken: '[redacted]', tokens: [{ accessToken: '[redacted]' }] } } },
      ],
      key: { kty: 'OKP', d: '[redacted]', x: 'public-half' },
      deeper: { a: { b: { c: { d: '[redacted]' } } } },
    },
  });
  const text = JSON.stringify(line);
  for (const secret of ['top', 'Bearer abc', 'r1', 'a1', 'private-half', 'n1']) {
    t.false(text.includes(`"${secret}"`), secret);
  }
});

test('error properties are redacted too, and the logged objects are left alone', async (t) => {
  const headers = { cookie: '__Host-skeleton-refresh=r2', 'user-agent': 'ua' };
  const failure = Object.assign(new Error('upstream refused'), { request: { headers } });
  const [line] = await logOnce((logger) =>
    logger.child({ requestId: 'r' }).error({ err: failure, context: { token: 't1' } }, 'failed'),
  );
  t.like(line, {
    context: { token: '[redacted]' },
    err: { message: 'upstream refused', request: { headers: { cookie: '[redacted]', 'user-agent': 'ua' } } },
  });
  t.is(typeof line?.err.stack, 'string', 'the error keeps its stack');
  t.is(headers.cookie, '__Host-skeleton-refresh=r2', 'the caller’s object is not changed');
});

test('cycles and very deep objects neither crash nor leak', async (t) => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  let deep: Record<string, unknown> = { password: 'at the bottom' };
  for (let level = 0; level < 200; level += 1) deep = { next: deep };
  const [line] = await logOnce((logger) => logger.info({ cyclic, deep }, 'odd shapes'));
  t.is(line?.cyclic.name, 'loop');
  t.false(JSON.stringify(line).includes('at the bottom'));
});
