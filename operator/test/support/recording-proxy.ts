import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The upstream's answer, once it came. */
  status?: number;
  /** When the request arrived, and when its exchange ended either way (performance.now()). */
  startedAt: number;
  endedAt?: number;
  /** The client hung up before the whole answer was sent: it aborted the request. */
  abandoned?: boolean;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTP proxy on loopback in front of an API server (the fake, or kube-apiserver over HTTPS
 * trusting `ca`) that writes down every request one client makes, streaming both ways (watches stay
 * open), so a test can check exactly what that client asked for. Credentials pass through untouched.
 */
export async function startRecordingProxy(target: string, ca?: Buffer): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const request = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const recorded: RecordedRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      startedAt: performance.now(),
    };
    requests.push(recorded);
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
        ...(ca ? { ca } : {}),
      },
      (response) => {
        recorded.status = response.statusCode;
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    outgoing.on('close', () => {
      recorded.endedAt = performance.now();
      recorded.abandoned = !outgoing.writableFinished;
      forwarded.destroy();
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
