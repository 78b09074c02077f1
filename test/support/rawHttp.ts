/**
 * A raw HTTP/1.1 client over node:net, for requests fetch() refuses to send
 * (malformed heads, bad chunking, unknown methods, CONNECT). It reads exactly
 * one response (skipping 1xx), then closes. status 0 means the server closed
 * or reset the connection without a complete response; -1 means no answer in time.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (res: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(res);
    };
    const timer = setTimeout(() => finish(parseResponse(received, true) ?? { status: -1, headers: {}, body: received.toString('latin1') }), timeoutMs);
    socket.on('connect', () => socket.write(data, () => undefined));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const res = parseResponse(received, false);
      if (res) finish(res);
    });
    // A reset after a complete response still counts as an answer.
    socket.on('error', () => undefined);
    socket.on('close', () => finish(parseResponse(received, true) ?? { status: 0, headers: {}, body: received.toString('latin1') }));
  });
}

/** The first final (non-1xx) response in buf, once complete; at EOF, whatever body arrived. */
export function parseResponse(buf: Buffer, eof: boolean): RawResponse | null {
  let offset = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', offset);
    if (end < 0) return null;
    const lines = buf.subarray(offset, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
    if (!Number.isInteger(status)) return null;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      offset = bodyStart;
      continue;
    }
    const rest = buf.subarray(bodyStart);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length < length) return eof ? { status, headers, body: rest.toString('utf8') } : null;
      return { status, headers, body: rest.subarray(0, length).toString('utf8') };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const body = dechunk(rest);
      if (body === null) return eof ? { status, headers, body: rest.toString('utf8') } : null;
      return { status, headers, body };
    }
    return eof ? { status, headers, body: rest.toString('utf8') } : null;
  }
}

function dechunk(buf: Buffer): string | null {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', i);
    if (lineEnd < 0) return null;
    const size = parseInt(buf.subarray(i, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return null;
    if (size === 0) return buf.indexOf('\r\n', lineEnd + 2) >= 0 ? Buffer.concat(parts).toString('utf8') : null;
    if (buf.length < lineEnd + 2 + size + 2) return null;
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    i = lineEnd + 2 + size + 2;
  }
}

/** A body is an OpenAI error when it is JSON {"error":{"message":string,"type":string,"param","code"}}. */
export function isOpenAIError(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { error?: Record<string, unknown> };
    const e = parsed?.error;
    return (
      !!e &&
      typeof e === 'object' &&
      typeof e.message === 'string' &&
      e.message.length > 0 &&
      typeof e.type === 'string' &&
      'param' in e &&
      'code' in e &&
      (e.param === null || typeof e.param === 'string') &&
      (e.code === null || typeof e.code === 'string')
    );
  } catch {
    return false;
  }
}
