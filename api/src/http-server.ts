import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { answerParserErrors } from './http/parser-errors.js';

/**
 * Limits against slow clients (slowloris and friends): headers must arrive within 15 s and a
 * whole request within 30 s. Idle keep-alive connections live 65 s, longer than the 60 s idle
 * timeout of common load balancers, so the balancer, not the API, closes them (no reset races).
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 15_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  // How often Node looks for connections past those limits; the limits are only as exact as this.
  connectionsCheckingInterval: 1_000,
};

/**
 * Node's default accept backlog (511) overflows when many clients connect at once, and every
 * dropped SYN costs its client a retransmission of a second or more; the kernel caps the value.
 */
const ACCEPT_BACKLOG = 4096;

/** Resolves once the server listens, or rejects with why it cannot (the port is taken). */
export async function startListening(server: NetServer, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: ACCEPT_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** An HTTP/1.1 server with the limits above, which answers the parser's refusals in the API's shape. */
export function createHttp1Server(
  handler: RequestListener,
  timeouts: typeof SERVER_TIMEOUTS = SERVER_TIMEOUTS,
): Server {
  const server = createServer(timeouts, handler);
  answerParserErrors(server);
  return server;
}

/** An HTTP/1.1 server, listening: the API's by default, and the metrics port's always. */
export async function listen(
  handler: RequestListener,
  host: string,
  port: number,
  timeouts: typeof SERVER_TIMEOUTS = SERVER_TIMEOUTS,
): Promise<Server> {
  const server = createHttp1Server(handler, timeouts);
  await startListening(server, host, port);
  return server;
}

/** The URL a person can open: a wildcard address is shown as localhost. */
export function displayUrl(server: NetServer, host: string, scheme: 'http' | 'https' = 'http'): string {
  const { port } = server.address() as AddressInfo;
  const shownHost = ['0.0.0.0', '::'].includes(host) ? 'localhost' : host;
  return `${scheme}://${shownHost}:${port}`;
}

/** Stops accepting, lets in-flight requests finish, and cuts whatever is left at the deadline. */
export async function closeGracefully(server: Server, deadlineMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
  await closed;
  clearTimeout(deadline);
}
