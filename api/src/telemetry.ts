import { register } from 'node:module';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TelemetrySettings {
  serviceName: string;
  /** OTLP/HTTP collector; without it (and without extra processors) nothing is instrumented. */
  otlpEndpoint?: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** Flushes pending spans and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Must run before koa, pg or http are imported: instrumentation works by patching modules as they
 * load. The ESM hook is what lets it patch modules loaded through `import` (koa), not only through
 * `require` (pg, loaded by knex). Trace context arrives and leaves as W3C `traceparent`.
 */
export async function startTelemetry(settings: TelemetrySettings): Promise<Telemetry> {
  const spanProcessors = [...(settings.spanProcessors ?? [])];
  // With nowhere to send spans, instrumenting costs about 40 % of a light request and yields
  // nothing; log lines still carry the caller's trace id (see the trace-id middleware). Nor is the
  // SDK loaded then: loading it took a third of a cold start.
  if (!settings.otlpEndpoint && spanProcessors.length === 0) return { shutdown: async () => {} };
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { KoaInstrumentation, KoaLayerType },
    { PgInstrumentation },
    { resourceFromAttributes },
    { NodeSDK },
    { BatchSpanProcessor },
    { ATTR_SERVICE_NAME },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-koa'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  if (settings.otlpEndpoint) {
    const url = `${settings.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    spanProcessors,
    // Metrics are Prometheus' job (GET /metrics) and logs go to stdout through pino: only traces
    // go through OpenTelemetry, so the SDK's default OTLP metric and log exporters stay off.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes every few seconds would bury real traffic in traces.
        ignoreIncomingRequestHook: (request) => /^\/(health\/|metrics)/.test(request.url ?? ''),
      }),
      // Router spans name the route; a span per middleware layer would cost more than it tells.
      new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
