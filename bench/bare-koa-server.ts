import Koa from 'koa';

const port = Number(process.env.PORT);
if (!Number.isInteger(port)) throw new Error(`PORT must be set to a port number (got "${process.env.PORT}")`);

const app = new Koa();
app.use((ctx) => {
  ctx.body = 'hello';
});
app.listen(port, process.env.HOST ?? '127.0.0.1');
