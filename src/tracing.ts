/**
 * OpenTelemetry traces, configured by the standard OTEL_* variables and off
 * unless an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none turn it off again). Spans go out over OTLP/HTTP
 * (JSON), batched (OTEL_BSP_* apply); the exporter reads its own OTEL_*
 * settings (headers, timeout, endpoint paths).
 *
 * One trace per request: the API's span (see api/middleware/tracing) is the
 * parent of the Temporal client's start/update span, whose context travels
 * in the workflow's headers to the workflow's and its activities' spans
 * (Temporal's OpenTelemetry interceptors), in whichever process runs them.
 */
import { trace, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from './config';

export interface Tracing {
  tracer: Tracer;
  resource: Resource;
  processor: SpanProcessor;
  /** Flushes what is batched and stops exporting. */
  shutdown(): Promise<void>;
}

export function startTracing(settings: Config['tracing']): Tracing | undefined {
  if (!settings.enabled) return undefined;
  const resource = new Resource({ 'service.name': settings.serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global tracer provider, AsyncLocalStorage context and W3C trace-context propagation.
  provider.register();
  return { tracer: trace.getTracer('reflex'), resource, processor, shutdown: () => provider.shutdown() };
}
