import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { fail } from './jsend.js';
import { uuidv7 } from './uuidv7.js';

/** Node's header-size limit (`--max-http-header-size`), for the message. */
const HEADER_LIMIT_KIB = 16;

const REFUSALS = {
  timeout: {
    status: 408,
    reason: 'Request Timeout',
    code: 'request.timeout',
    message: 'The request did not arrive in time.',
  },
  headersTooLarge: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'request.headers_too_large',
    message: `The request line and headers are larger than ${HEADER_LIMIT_KIB} KiB.`,
  },
  malformed: {
    status: 400,
    reason: 'Bad Request',
    code: 'request.malformed',
    message: 'The request is not valid HTTP.',
  },
};

export type RefusalKind = keyof typeof REFUSALS;

export interface Refusal {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A request the server turns away before any middleware sees it, answered in the API's own shape
 * all the same: a JSend `fail` with a stable code and a request id.
 */
export function refusal(kind: RefusalKind): Refusal {
  const { status, reason, code, message } = REFUSALS[kind];
  const requestId = uuidv7();
  const body = JSON.stringify(fail(code, message, {}, requestId));
  return {
    status,
    reason,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'X-Request-ID': requestId,
      'Cache-Control': 'no-store',
    },
    body,
  };
}

/** The HTTP/1 parser's own refusals; anything else (a reset, a failed TLS handshake) is no request. */
function parserRefusal(error: NodeJS.ErrnoException): RefusalKind | undefined {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'timeout';
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headersTooLarge';
  return error.code?.startsWith('HPE_') ? 'malformed' : undefined;
}

/** Node keeps the response being written on a connection here; its own error handler reads it too. */
const inFlightResponse = (socket: Duplex) =>
  (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;

function http1Answer(kind: RefusalKind): string {
  const { status, reason, headers, body } = refusal(kind);
  return [
    `HTTP/1.1 ${status} ${reason}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Node's HTTP/1 server refuses some requests before any middleware sees them (a URL or headers over
 * 16 KiB, a malformed request line, headers or a body that arrive too slowly) and answers with a
 * bare status line. This answers them in the API's own shape instead. Otherwise it does what Node
 * does: nothing is written once a response has begun, and when a request is already in the app's
 * hands the connection is destroyed with the error, so the app hears of it (and logs it); with
 * none, the answer is sent and the connection closed. The server is an HTTP/1 server or the TLS
 * server's HTTP/1.1 side, whose failed handshakes arrive here too and are only cut off.
 */
export function answerParserErrors(server: EventEmitter): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const kind = parserRefusal(error);
    if (kind === undefined || !socket.writable) {
      socket.destroy();
      return;
    }
    const response = inFlightResponse(socket);
    if (response === undefined) {
      socket.end(http1Answer(kind));
      return;
    }
    if (!response.headersSent) socket.write(http1Answer(kind));
    socket.destroy(error);
  });
}
