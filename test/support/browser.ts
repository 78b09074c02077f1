/**
 * A real headless Chromium for the browser tests: puppeteer-core driving the
 * Chromium inside the @sparticuz/chromium npm package (nothing is downloaded
 * at test time; the package unpacks it on first use into the temp folder —
 * here one of this user's own, see unpackedChromium).
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, PuppeteerNode } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import type Chromium from '@sparticuz/chromium' with { 'resolution-mode': 'import' };

// Both are ES modules, which Jest's own require cannot load; Node's require (20.19+) can. Jest replaces
// require and the `module` builtin in test files, so Node's own is taken from process.getBuiltinModule.
type Builtins = { getBuiltinModule(id: 'node:module'): typeof import('node:module'); getBuiltinModule(id: 'node:process'): NodeJS.Process };
const builtin = (process as unknown as Builtins).getBuiltinModule;
const nodeRequire = builtin('node:module').createRequire(__filename);
/** The environment Node's own modules read (Jest gives test files a copy). */
const nodeEnv = builtin('node:process').env;

export async function launchBrowser(): Promise<Browser> {
  const puppeteer: PuppeteerNode = nodeRequire('puppeteer-core');
  // Its CommonJS build exports the class itself; the ES module build, as `default`.
  const loaded = nodeRequire('@sparticuz/chromium') as typeof Chromium & { default?: typeof Chromium };
  const chromium: typeof Chromium = loaded.default ?? loaded;
  // A fixed language: the sandbox's locale (en-US@posix) is no valid BCP 47 tag, and Intl (uPlot's number format) would refuse it.
  return puppeteer.launch({ executablePath: await unpackedChromium(chromium), args: [...chromium.args, '--lang=en-US'], headless: true });
}

/**
 * The package unpacks into os.tmpdir() (chromium, its fonts and libraries) and
 * reuses what it finds there: in a shared /tmp, the copy another user unpacked
 * first, which this user may not run (spawn EACCES). So it unpacks into a
 * folder of this user's own below the temp folder.
 */
async function unpackedChromium(chromium: typeof Chromium): Promise<string> {
  const own = path.join(os.tmpdir(), `reflex-chromium-${os.userInfo().uid}`);
  mkdirSync(own, { recursive: true, mode: 0o700 });
  const tmpdir = nodeEnv.TMPDIR;
  nodeEnv.TMPDIR = own; // what the package's os.tmpdir() reads, for its unpacking only
  try {
    return await chromium.executablePath();
  } finally {
    if (tmpdir === undefined) delete nodeEnv.TMPDIR;
    else nodeEnv.TMPDIR = tmpdir;
  }
}

/** What functions run in the page see (this project compiles without the DOM types). */
export type PageGlobals = { document: { cookie: string; body: { innerText: string }; querySelector(s: string): unknown } };
