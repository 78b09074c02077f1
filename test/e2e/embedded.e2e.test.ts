/**
 * `reflex start`, the embedded default that `npm start` runs, as a whole: its
 * Temporal dev server, Web UI and Milvus Lite die with it even after kill -9
 * (so the next start works), and its codec endpoint answers loopback callers
 * without a token, which the dev server's UI needs: in a real headless
 * Chromium, a fill's page shows its request and answer, the list its summary.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/eventually';
import { ask } from '../support/gateway';
import { freePort } from '../support/ports';
import { MODELS, REPO, VENV } from '../support/stack';
import { workflowShow } from '../support/temporalCli';
import { launchBrowser, type PageGlobals } from '../support/browser';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/temporal-ui');


const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const until = (what: string, probe: () => Promise<boolean>, ms: number) => eventually(probe, { what, ms, everyMs: 250 });

let home = '';
let ports: { api: number; temporal: number; ui: number; milvus: number };
let current: ChildProcess | undefined;
const api = () => `http://127.0.0.1:${ports.api}`;

function start(): ChildProcess {
  const log = createWriteStream(path.join(home, 'start.log'), { flags: 'a' });
  const child = spawn(process.execPath, [path.join(REPO, 'dist', 'cli', 'index.js'), 'start'], {
    env: {
      ...process.env,
      REFLEX_HOME: home,
      REFLEX_VENV: VENV,
      REFLEX_MODEL_PATH: MODELS,
      REFLEX_PORT: String(ports.api),
      REFLEX_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      REFLEX_TEMPORAL_UI_PORT: String(ports.ui),
      REFLEX_MILVUS_ADDRESS: `127.0.0.1:${ports.milvus}`,
      REFLEX_MOCK_PROVIDER: '1',
      REFLEX_ADMIN_TOKEN: 'embedded-admin',
      REFLEX_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  current = child;
  return child;
}

const ready = (child: ChildProcess) =>
  until('/ready 200', async () => {
    if (child.exitCode !== null) throw new Error(`reflex start exited with ${child.exitCode}; its log ends:\n${logTail()}`);
    return fetch(`${api()}/ready`).then((r) => r.status === 200, () => false);
  }, 150_000);

/** The start log's last lines, for the failure message (the home is removed after the run). */
const logTail = () => readFileSync(path.join(home, 'start.log'), 'utf8').split('\n').slice(-40).join('\n');

const exited = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  home = mkdtempSync(path.join(os.tmpdir(), 'reflex-start-'));
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), milvus: await freePort() };
});

afterAll(async () => {
  if (current && current.exitCode === null) {
    current.kill('SIGTERM');
    await exited(current);
  }
  rmSync(home, { recursive: true, force: true });
});

test('the UI is pointed at the codec, which answers loopback callers without a token (and strangers\' origins not)', async () => {
  const first = start();
  await ready(first);
  const settings = (await (await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
  expect(settings.Codec?.Endpoint).toBe(`${api()}/codec`);

  const prompt = 'How many strings does a classical guitar have?';
  const res = await fetch(`${api()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask(prompt)) });
  expect(res.headers.get('x-reflex-status')).toBe('MISS');
  const id = res.headers.get('x-reflex-fill-id')!;
  const show = (...flags: string[]) => workflowShow(`127.0.0.1:${ports.temporal}`, id, ...flags);
  await until('fill closed', async () => (await show()).raw.includes('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'), 30_000);
  // History holds references (claim check), and even those (and the fill's summary) only encrypted; the
  // codec endpoint decodes them and resolves the references to the request and the answer.
  const answer = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
  const plain = (await show()).text;
  expect(plain).not.toContain(prompt);
  expect(plain).not.toContain('requestRef');
  const decoded = (await show('--codec-endpoint', `${api()}/codec`)).text; // no --codec-auth
  expect(decoded).toContain('requestRef');
  expect(decoded).toContain(prompt);

  // The Web UI, in a real browser, through the codec: the fill's page shows the request and the answer
  // (the input's claim check resolved to the request blob and the stored entry), the list its summary.
  const browser = await launchBrowser();
  try {
    const tab = await browser.newPage();
    await tab.setViewport({ width: 1400, height: 1000 });
    const shows = (text: string) =>
      tab.waitForFunction((t) => (globalThis as unknown as PageGlobals).document.body.innerText.includes(t), { timeout: 30_000 }, text).catch(async (err: unknown) => {
        await tab.screenshot({ path: path.join(ARTIFACTS, 'not-shown.png'), fullPage: true });
        throw err;
      });
    // What the page's codec calls bring back (its JSON viewer draws only the lines in view).
    const decodedByUi: string[] = [];
    tab.on('response', (r) => {
      if (new URL(r.url()).pathname !== '/codec/decode') return;
      r.json().then(
        (body: { payloads?: { data?: string }[] }) => body.payloads?.forEach((p) => decodedByUi.push(Buffer.from(p.data ?? '', 'base64').toString('utf8'))),
        () => undefined,
      );
    });
    await tab.goto(`http://127.0.0.1:${ports.ui}/namespaces/default/workflows/${id}`);
    await shows(prompt);
    await until('the UI decoded the request and the answer', async () => decodedByUi.some((t) => t.includes('"claimCheck"') && t.includes(prompt) && t.includes(answer)), 30_000);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'fill-page.png'), fullPage: true });
    // Its "User Metadata" tab: the summary and details, decoded through the codec.
    // The UI renders summary and details (markdown) in sandboxed frames of their own.
    await tab.click('::-p-text(User Metadata)');
    const framesShow = (text: string) =>
      until(`a frame shows ${text}`, async () => {
        const texts = await Promise.all(tab.frames().map((f) => f.evaluate(() => (globalThis as unknown as PageGlobals).document.body?.innerText ?? '').catch(() => '')));
        return texts.some((t) => t.includes(text));
      }, 30_000);
    await framesShow(`chat · test-model · tenant `);
    await framesShow(`“${prompt}”`);
    await framesShow('Lookup before the miss');
    await tab.screenshot({ path: path.join(ARTIFACTS, 'fill-metadata.png'), fullPage: true });
    await tab.setViewport({ width: 2400, height: 1000 });
    await tab.goto(`http://127.0.0.1:${ports.ui}/namespaces/default/workflows`);
    await shows(id);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'fill-list.png'), fullPage: true });
  } finally {
    await browser.close();
  }

  const decode = (origin?: string) =>
    fetch(`${api()}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: '{"payloads":[]}' });
  const fromUi = await decode(`http://127.0.0.1:${ports.ui}`);
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${ports.ui}`);
  expect((await decode('http://evil.example')).status).toBe(401);
}, 240_000);

test('after kill -9 of `reflex start` its children die with it, and the next start is ready again', async () => {
  const first = current!;
  first.kill('SIGKILL');
  await exited(first);
  // The watchdogs end Temporal (gRPC and UI) and Milvus: their ports close on their own.
  for (const port of [ports.temporal, ports.ui, ports.milvus]) await until(`port ${port} closed`, async () => !(await listening(port)), 15_000);

  const second = start();
  await ready(second);
  const again = await fetch(`${api()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask('How many strings does a classical guitar have?')) });
  expect(again.status).toBe(200);
  expect(again.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT'); // the fill before the crash survived

  second.kill('SIGTERM');
  await exited(second);
  expect(second.exitCode).toBe(0);
  for (const port of [ports.api, ports.temporal, ports.ui, ports.milvus]) await until(`port ${port} closed after a clean stop`, async () => !(await listening(port)), 5_000);
}, 300_000);
