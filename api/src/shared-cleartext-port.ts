import type { Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Socket } from 'node:net';

/** What every HTTP/2 client sends first when it knows the server speaks HTTP/2 (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Which protocol a connection speaks, from its first bytes: HTTP/2 once the whole preface has
 * arrived, HTTP/1.1 at the first byte that differs from it (no HTTP/1 request starts with `PRI *`),
 * and undefined while the bytes so far could still be either.
 */
export function protocolOf(firstBytes: Buffer): 'h2c' | 'http1' | undefined {
  const compared = Math.min(firstBytes.length, HTTP2_PREFACE.length);
  if (!firstBytes.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared))) return 'http1';
  return compared === HTTP2_PREFACE.length ? 'h2c' : undefined;
}

/**
 * One cleartext port for h2c with prior knowledge and HTTP/1.1 side by side, so that the kubelet's
 * probes and HTTP/1.1 proxies still reach an h2c API. The HTTP/1.1 server listens; each connection
 * it accepts is held until its first bytes tell the protocol (at most `decideWithinMs`, else it is
 * cut off, as a client that sends no headers would be), and then handed, bytes and all, to the
 * HTTP/1.1 server's own connection handling or to the HTTP/2 server.
 */
export function shareWithHttp2(http1: Server, http2: Http2Server, decideWithinMs: number): void {
  const handleHttp1 = http1.listeners('connection') as ((socket: Socket) => void)[];
  http1.removeAllListeners('connection');
  http1.on('connection', (socket: Socket) => {
    let received = Buffer.alloc(0);
    const undecided = setTimeout(() => socket.destroy(), decideWithinMs);
    const onError = () => socket.destroy();
    const onClose = () => clearTimeout(undecided);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const protocol = protocolOf(received);
      if (protocol === undefined) return;
      clearTimeout(undecided);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      socket.pause();
      socket.unshift(received);
      if (protocol === 'h2c') {
        http2.emit('connection', socket);
        return;
      }
      for (const handle of handleHttp1) handle.call(http1, socket);
      socket.resume();
    };
    socket.on('data', onData).on('error', onError).on('close', onClose);
  });
}
