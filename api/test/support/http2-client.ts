import {
  type ClientHttp2Session,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';

export interface Http2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies.
  body: any;
}

/**
 * A real HTTP/2 client session (h2c with prior knowledge for http://, ALPN for https://), once the
 * server's SETTINGS have arrived: the limits the server declares hold only from then.
 */
export async function openSession(
  url: string,
  options: SecureClientSessionOptions = {},
): Promise<ClientHttp2Session> {
  const session = connect(url, options);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  // A later failure also ends the streams in flight, which report it; unheard here, it would end the process.
  session.on('error', () => {});
  return session;
}

/**
 * One request on its own stream. A body is sent as DATA frames without Content-Length, as HTTP/2
 * allows and as Node's client does; the stream ending with the headers says there is none.
 */
export function send(
  session: ClientHttp2Session,
  method: string,
  path: string,
  { headers = {}, body }: { headers?: OutgoingHttpHeaders; body?: string } = {},
): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(
      { ':method': method, ':path': path, ...headers },
      { endStream: body === undefined },
    );
    let responseHeaders: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (received) => {
      responseHeaders = received;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      // The connection was cut: the stream ends, but nothing was answered.
      if (responseHeaders === undefined) {
        reject(new Error('stream ended without an answer'));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: tests assert on the raw text.
      }
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, text, body: parsed });
    });
    stream.on('error', reject);
    stream.on('close', () => reject(new Error(`stream closed before its end (code ${stream.rstCode})`)));
    if (body !== undefined) stream.end(body);
  });
}

/** The JSON request `send` makes for a JSON body. */
export const sendJson = (
  session: ClientHttp2Session,
  method: string,
  path: string,
  json: unknown,
  headers = {},
) =>
  send(session, method, path, {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
  });

/** Resolves when the server sends the session a GOAWAY, with its error code and last stream id. */
export const goawayOf = (session: ClientHttp2Session) =>
  new Promise<{ code: number; lastStreamId: number }>((resolve) =>
    session.once('goaway', (code, lastStreamId) => resolve({ code, lastStreamId })),
  );
