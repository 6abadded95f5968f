import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * A JSON request with the KubeConfig's server, credentials and CA, bypassing client-node's typed
 * models (which drop fields they do not know, such as a schema's `default`).
 */
export async function rawRequest(
  config: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: unknown }> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error('the KubeConfig names no cluster');
  const url = new URL(path, server);
  const options: RequestOptions & { headers: Record<string, string> } = {
    method,
    headers: { 'content-type': contentType, accept: 'application/json' },
  };
  await config.applyToHTTPSOptions(options);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
