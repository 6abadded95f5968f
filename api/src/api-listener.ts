import type { ServerProtocol } from './config.js';
import { closeGracefully, displayUrl, listen } from './http-server.js';
import { type DualHandler, listenHttp2 } from './http2-server.js';
import { readTlsCredentials, type TlsCredentials } from './tls-credentials.js';

/** The configured protocol with its TLS files read. */
export type ListenerProtocol =
  | { kind: 'http1' }
  | { kind: 'h2c' }
  | { kind: 'tls'; credentials: TlsCredentials };

export interface ApiListener {
  /** Where a person can reach it: a wildcard address is shown as localhost. */
  url: string;
  /** Stops accepting, lets in-flight requests finish, and cuts whatever is left at the deadline. */
  close(deadlineMs: number): Promise<void>;
}

/** Reads the TLS files, if any: a wrong one stops start-up (ConfigError) before anything else starts. */
export async function loadProtocol(protocol: ServerProtocol): Promise<ListenerProtocol> {
  if (protocol.kind !== 'tls') return protocol;
  return { kind: 'tls', credentials: await readTlsCredentials(protocol) };
}

/** The API's port, speaking the configured protocol. */
export async function listenForApi(
  handler: DualHandler,
  host: string,
  port: number,
  protocol: ListenerProtocol,
): Promise<ApiListener> {
  if (protocol.kind === 'http1') {
    const server = await listen(handler, host, port);
    return { url: displayUrl(server, host), close: (deadlineMs) => closeGracefully(server, deadlineMs) };
  }
  const tls = protocol.kind === 'tls' ? protocol.credentials : undefined;
  const { server, close } = await listenHttp2(handler, host, port, tls);
  return { url: displayUrl(server, host, tls ? 'https' : 'http'), close };
}
