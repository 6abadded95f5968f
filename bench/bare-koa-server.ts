import Koa from 'koa';

const port = Number(process.env.PORT);
if (!Number.isInteger(port)) throw new Error(`PORT must be set to a port number (got "${process.env.PORT}")`);

/**
 * What the API answers on /health/live, byte for byte but the request id: the headers a client
 * parses on every response cost it (and so the measured rate) whatever the server does.
 */
const API_HEADERS = {
  'X-Request-ID': '01a25282-bec4-7af5-a502-1bece60d701d',
  'Content-Security-Policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'Cross-Origin-Resource-Policy': 'same-site',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  Vary: 'Origin, Accept-Encoding',
};

const app = new Koa();
app.use((ctx) => {
  if (ctx.path === '/as-api') {
    ctx.set(API_HEADERS);
    ctx.body = { status: 'success', data: { status: 'live' } };
    return;
  }
  ctx.body = 'hello';
});
app.listen(port, process.env.HOST ?? '127.0.0.1');
