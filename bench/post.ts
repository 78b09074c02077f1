/**
 * The benchmarks' HTTP client: a POST over one keep-alive connection with
 * node:http. fetch (undici) spends ~0.4 ms of its own per request here
 * (WHATWG streams and headers), which sequential latency figures would
 * otherwise count as the gateway's.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export interface Posted {
  status: number;
  /** A response header (lower-case name), or null. */
  header(name: string): string | null;
  body: string;
  ms: number;
}

/** `through`: another keep-alive agent, for a benchmark that keeps many connections open. */
export function post(url: string, body: string, headers: Record<string, string>, through: http.Agent = agent): Promise<Posted> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: through, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const value = (name: string) => res.headers[name];
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = value(name);
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - t0,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
