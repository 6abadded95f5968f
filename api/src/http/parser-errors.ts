import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { fail } from './jsend.js';
import { uuidv7 } from './uuidv7.js';

/** Node's header-size limit (`--max-http-header-size`), for the message. */
const HEADER_LIMIT_KIB = 16;

function refusal(error: NodeJS.ErrnoException) {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      code: 'request.timeout',
      message: 'The request did not arrive in time.',
    };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      code: 'request.headers_too_large',
      message: `The request line and headers are larger than ${HEADER_LIMIT_KIB} KiB.`,
    };
  }
  return {
    status: 400,
    reason: 'Bad Request',
    code: 'request.malformed',
    message: 'The request is not valid HTTP.',
  };
}

/** Node keeps the response being written on a connection here; its own error handler reads it too. */
const inFlightResponse = (socket: Duplex) =>
  (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;

function answer(error: NodeJS.ErrnoException): string {
  const { status, reason, code, message } = refusal(error);
  const requestId = uuidv7();
  const body = JSON.stringify(fail(code, message, {}, requestId));
  return [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-ID: ${requestId}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Node's HTTP server refuses some requests before any middleware sees them (a URL or headers over
 * 16 KiB, a malformed request line, headers or a body that arrive too slowly) and answers with a
 * bare status line. This answers them in the API's own shape, a JSend `fail` with a stable code and
 * a request id. Otherwise it does what Node does: nothing is written once a response has begun, and
 * when a request is already in the app's hands the connection is destroyed with the error, so the
 * app hears of it (and logs it); with none, the answer is sent and the connection closed.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const response = inFlightResponse(socket);
    if (response === undefined) {
      socket.end(answer(error));
      return;
    }
    if (!response.headersSent) socket.write(answer(error));
    socket.destroy(error);
  });
}
