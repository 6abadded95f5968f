import type { RequestListener } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * The handler of the separate metrics listener (METRICS_PORT), which keeps the scrape endpoint
 * off the public port and answering even while the API's port is saturated.
 */
export function metricsRequestHandler(registry: Registry): RequestListener {
  return (request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      () => response.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n'),
    );
  };
}
