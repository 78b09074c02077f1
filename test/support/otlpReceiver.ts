/**
 * A tiny OTLP/HTTP trace receiver for tests: POST /v1/traces with the JSON
 * encoding (what @opentelemetry/exporter-trace-otlp-http sends), on
 * 127.0.0.1. It keeps every span flat, with its service name.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private server?: http.Server;

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
          res.writeHead(415).end();
          return;
        }
        this.collect(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private collect(body: { resourceSpans?: any[] }): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(value(rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value));
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const attributes = Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, value(a.value)]));
          this.spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes });
        }
      }
    }
  }
}

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
}
