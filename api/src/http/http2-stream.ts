import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, ServerHttp2Stream } from 'node:http2';

/**
 * The HTTP/2 stream a request came on, or undefined for HTTP/1.1. Koa types every request as an
 * HTTP/1 message; on an HTTP/2 server it is the compatibility API's request, which has the stream.
 */
export function http2Stream(req: IncomingMessage): ServerHttp2Stream | undefined {
  return req.httpVersionMajor >= 2 ? (req as unknown as Http2ServerRequest).stream : undefined;
}
