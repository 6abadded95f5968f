import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import { answerParserErrors, refusal } from './http/parser-errors.js';
import { createHttp1Server, SERVER_TIMEOUTS, startListening } from './http-server.js';
import { shareWithHttp2 } from './shared-cleartext-port.js';
import type { TlsCredentials } from './tls-credentials.js';

/**
 * The HTTP/1 server's limits (SERVER_TIMEOUTS), carried over to HTTP/2, where one connection (a
 * session) carries many requests (streams) at once: the timeouts move to the session and the stream,
 * and the streams a session may have open are capped.
 */
export const HTTP2_LIMITS = {
  settings: {
    // Node's default is 2^32 - 1: one client could hold every request the process can serve.
    maxConcurrentStreams: 100,
    // HTTP/1's 16 KiB; a larger header block gets its stream reset (ENHANCE_YOUR_CALM).
    maxHeaderListSize: 16_384,
  },
  /** MiB one session may buffer before its new streams are refused (Node's default, stated). */
  maxSessionMemory: 10,
  /**
   * A new connection must show its protocol (on a cleartext port) and then open its first stream in
   * this time each, as an HTTP/1 connection must send its headers.
   */
  firstRequestTimeout: SERVER_TIMEOUTS.headersTimeout,
  /** A stream must be over, request read and answer sent, in this time; the API answers in far less. */
  streamTimeout: SERVER_TIMEOUTS.requestTimeout,
  /** A session without a frame for this long is closed, as an idle keep-alive connection. */
  idleTimeout: SERVER_TIMEOUTS.keepAliveTimeout,
};

/** Koa's handler: it takes HTTP/1 requests (the TLS port's http/1.1 clients) and HTTP/2 ones. */
export type DualHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => unknown;

export interface Http2Listener {
  /** The server listening on the port. */
  server: NetServer;
  /** Stops accepting, sends every session a GOAWAY, and cuts whatever is left at the deadline. */
  close(deadlineMs: number): Promise<void>;
}

/**
 * A stream past its deadline is a client sending its request too slowly or not reading the answer.
 * Unanswered, it gets the 408 an HTTP/1 client would, then a reset with NO_ERROR: RFC 9113 §8.1
 * lets a complete response end a request the client is still sending. Otherwise it is cancelled.
 */
function cutOff(stream: ServerHttp2Stream): void {
  if (stream.headersSent) {
    stream.close(constants.NGHTTP2_CANCEL);
    return;
  }
  const { status, headers, body } = refusal('timeout');
  stream.respond({ ':status': status, ...headers });
  stream.end(body);
  stream.close(constants.NGHTTP2_NO_ERROR);
}

function limitStream(stream: ServerHttp2Stream, limits: typeof HTTP2_LIMITS): void {
  const deadline = setTimeout(() => cutOff(stream), limits.streamTimeout);
  stream.once('close', () => clearTimeout(deadline));
}

/** Closing a session sends GOAWAY: no new streams, and the session ends once its streams have. */
function limitSession(session: ServerHttp2Session, limits: typeof HTTP2_LIMITS): void {
  session.setTimeout(limits.idleTimeout, () => session.close());
  const firstStream = setTimeout(() => session.close(), limits.firstRequestTimeout);
  session.once('stream', () => clearTimeout(firstStream));
  session.once('close', () => clearTimeout(firstStream));
  session.on('stream', (stream) => limitStream(stream, limits));
}

function track<T extends { once(event: 'close', listener: () => void): unknown }>(
  set: Set<T>,
  item: T,
): void {
  set.add(item);
  item.once('close', () => set.delete(item));
}

interface Servers {
  /** The server that listens on the port. */
  listener: NetServer;
  http2: Http2Server | Http2SecureServer;
}

/**
 * With TLS, one server: each client picks h2 or http/1.1 in the handshake (ALPN), and the HTTP/1.1
 * side keeps the HTTP/1 server's timeouts and JSend refusals. In cleartext, the HTTP/1.1 server
 * listens and hands the connections that open with the HTTP/2 preface to the HTTP/2 server.
 */
function createServers(
  handler: DualHandler,
  tls: TlsCredentials | undefined,
  limits: typeof HTTP2_LIMITS,
): Servers {
  const options = { settings: limits.settings, maxSessionMemory: limits.maxSessionMemory };
  if (tls) {
    const server = createSecureServer(
      // A handshake that drags on is held to the HTTP/1 header deadline too (Node's default: 120 s).
      { ...options, ...tls, allowHTTP1: true, handshakeTimeout: SERVER_TIMEOUTS.headersTimeout },
      handler,
    );
    Object.assign(server, SERVER_TIMEOUTS);
    answerParserErrors(server);
    return { listener: server, http2: server };
  }
  const http1 = createHttp1Server(handler);
  const http2 = createServer(options, handler);
  shareWithHttp2(http1, http2, limits.firstRequestTimeout);
  return { listener: http1, http2 };
}

/**
 * HTTP/2 through Node's compatibility API, which Koa's handler speaks: h2c with prior knowledge
 * beside HTTP/1.1 on a cleartext port, or with TLS credentials h2 beside http/1.1 chosen by ALPN.
 */
export async function listenHttp2(
  handler: DualHandler,
  host: string,
  port: number,
  tls?: TlsCredentials,
  limits: typeof HTTP2_LIMITS = HTTP2_LIMITS,
): Promise<Http2Listener> {
  const { listener, http2 } = createServers(handler, tls, limits);
  const sessions = new Set<ServerHttp2Session>();
  const sockets = new Set<Socket>();
  http2.on('session', (session: ServerHttp2Session) => {
    track(sessions, session);
    limitSession(session, limits);
  });
  listener.on('connection', (socket: Socket) => track(sockets, socket));
  await startListening(listener, host, port);

  return {
    server: listener,
    async close(deadlineMs) {
      // Closing the listener also closes its idle HTTP/1.1 connections.
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const session of sessions) session.close();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, deadlineMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
