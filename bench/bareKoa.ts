/**
 * The reference for the L1 benchmark: a bare Koa app in its own process that
 * answers every request with the bytes and headers a cache hit carries, and
 * nothing else (no body parsing, no routing, no logging). Started by
 * throughput.ts: `node dist-bench/bench/bareKoa.js <response.json>`; prints
 * its port on stdout once listening.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Koa from 'koa';
import { scriptArgs, usageError } from './scriptArgs';

interface Recorded {
  headers: Record<string, string>;
  body: string;
}

const { positionals } = scriptArgs(process.argv.slice(2), {
  summary: "The L1 benchmark's reference: a bare Koa app answering every request with a recorded hit's bytes and headers; prints its port.",
  positionals: '<response.json>',
  options: {},
});
if (positionals.length !== 1) usageError('expected one argument: the recorded response (JSON with headers and body)');
const recorded = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Recorded;
const body = Buffer.from(recorded.body);
const app = new Koa();
app.use((ctx) => {
  ctx.set(recorded.headers);
  ctx.type = 'application/json';
  ctx.body = body;
});
const server = http.createServer(app.callback());
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
