/**
 * The HTTP server around the Koa app, shared by the CLI and the tests. Koa
 * only sees requests Node's parser accepted; what the parser refuses (bad
 * header bytes, folded headers, bad chunking, Content-Length with
 * Transfer-Encoding, a head over 16 KB, a bad request line), a bad Expect and
 * CONNECT are answered here, with the same OpenAI-shaped JSON error body and
 * `Connection: close`, instead of Node's empty-bodied defaults or a silent close.
 */
import http, { IncomingMessage, RequestListener, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Koa from 'koa';
import type { Logger } from 'pino';
import { GatewayError, invalidRequest } from '../errors';
import { GATEWAY_METHODS, methodError } from './middleware/protocol';

/** How long a refused connection may take to read our answer before it is destroyed. */
const LINGER_MS = 1_000;

/** `handler`: the Koa app, or what app.ts's createHandler puts in front of it. */
export function createServer(handler: Koa | RequestListener, log: Logger): http.Server {
  // Host is checked by the app (requireHost), so a missing one gets a JSON body too.
  const server = http.createServer({ requireHostHeader: false }, handler instanceof Koa ? handler.callback() : handler);
  const responding = new WeakMap<Duplex, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    responding.set(req.socket, res);
    res.once('close', () => responding.delete(req.socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const error = parserError(err);
    log.warn({ status: error.status, code: err.code }, error.message);
    // A bad body (chunking) fails after its request reached the app: answer through its response,
    // unless that has begun, when a second answer would corrupt it.
    const res = responding.get(socket);
    if (!res) answerAndClose(socket, error);
    else if (res.headersSent) socket.destroy();
    else {
      sendJson(res, error);
      lingerThenDestroy(socket);
    }
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const error = new GatewayError(417, `Unsupported Expect header '${clip(req.headers.expect ?? '')}'; only 100-continue is supported.`, 'invalid_request_error', 'expectation_failed', 'Expect');
    log.warn({ status: 417 }, error.message);
    res.shouldKeepAlive = false;
    sendJson(res, error);
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    const error = methodError('CONNECT', req.url ?? '', GATEWAY_METHODS);
    log.warn({ status: 405 }, error.message);
    answerAndClose(socket, error);
  });
  return server;
}

function parserError(err: NodeJS.ErrnoException & { reason?: string }): GatewayError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError(431, 'The request line and headers are larger than 16 KB.', 'invalid_request_error', 'headers_too_large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new GatewayError(413, 'The chunk extensions are too large.', 'invalid_request_error', 'request_too_large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(408, 'The request was not received in time.', 'invalid_request_error', 'request_timeout');
    default: {
      const reason = typeof err.reason === 'string' && err.reason ? err.reason : 'unparseable request';
      return invalidRequest(`Malformed HTTP request: ${reason}.`, null, 'malformed_http');
    }
  }
}

function sendJson(res: ServerResponse, error: GatewayError): void {
  const body = JSON.stringify(error.toBody());
  res.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close', ...error.headers });
  res.end(body);
}

/** Writes a complete HTTP/1.1 response on a socket no ServerResponse owns, then closes it. */
function answerAndClose(socket: Duplex, error: GatewayError): void {
  const body = JSON.stringify(error.toBody());
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(error.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  lingerThenDestroy(socket);
}

/** Gives the client a moment to read the answer (reading and dropping what it still sends), then closes. */
function lingerThenDestroy(socket: Duplex): void {
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

const clip = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);
