/**
 * A real headless Chromium for the browser tests: puppeteer-core driving the
 * Chromium inside the @sparticuz/chromium npm package (nothing is downloaded
 * at test time; the package unpacks it to /tmp on first use).
 */
import type { Browser, PuppeteerNode } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import type Chromium from '@sparticuz/chromium' with { 'resolution-mode': 'import' };

// Both are ES modules, which Jest's own require cannot load; Node's require (20.19+) can. Jest replaces
// require and the `module` builtin in test files, so Node's own is taken from process.getBuiltinModule.
const builtin = (process as unknown as { getBuiltinModule(id: 'node:module'): typeof import('node:module') }).getBuiltinModule;
const nodeRequire = builtin('node:module').createRequire(__filename);

export async function launchBrowser(): Promise<Browser> {
  const puppeteer: PuppeteerNode = nodeRequire('puppeteer-core');
  // Its CommonJS build exports the class itself; the ES module build, as `default`.
  const loaded = nodeRequire('@sparticuz/chromium') as typeof Chromium & { default?: typeof Chromium };
  const chromium: typeof Chromium = loaded.default ?? loaded;
  // A fixed language: the sandbox's locale (en-US@posix) is no valid BCP 47 tag, and Intl (uPlot's number format) would refuse it.
  return puppeteer.launch({ executablePath: await chromium.executablePath(), args: [...chromium.args, '--lang=en-US'], headless: true });
}

/** What functions run in the page see (this project compiles without the DOM types). */
export type PageGlobals = { document: { cookie: string; body: { innerText: string }; querySelector(s: string): unknown } };
