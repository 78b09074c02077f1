// Bytes per entry in the files store (BENCHMARKS.md, "PostgreSQL storage"), after `npm run build`:
//   node bench/scripts/file-storage-size.js
// The same 20,000 entries as pg-storage-size.mjs through FileEntryStore, measured with du.
const DIST = require('node:path').resolve(__dirname, '..', '..', 'dist');
require(`${DIST}-bench/bench/scriptArgs.js`).scriptArgs(process.argv.slice(2), {
  summary: 'Bytes per entry in the files store: 20,000 entries written through FileEntryStore, measured with du.',
  options: {},
});
const { FileEntryStore } = require(`${DIST}/cache/storage/entryStore.js`);
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const root = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'reflex-filesize-'));
const store = new FileEntryStore(root);
const WORDS = 'the router password reset hold button seconds light blinks admin page browser address default network settings firmware update click save restart device wireless channel security key'.split(' ');
let seed = 7; const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const answerOf = () => Array.from({ length: 150 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ').slice(0, 900);
const emb = Array.from({ length: 384 }, (_, i) => Math.fround(Math.sin(i)));
const hex = (n, l) => n.toString(16).padStart(l, '0');
(async () => {
  const N = 20000;
  for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => store.write({ version: 1, tenant: hex(1, 16), key: hex(i + j, 64), context: hex(7, 64), model: 'gpt-4o-mini', createdAt: Date.now(),
    semanticText: `Question number ${i + j}: how should I maintain my router over the next few months?`, embedding: emb,
    response: { id: 'chatcmpl-' + (i + j), object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: answerOf() }, finish_reason: 'stop' }], usage: { prompt_tokens: 20, completion_tokens: 200, total_tokens: 220 } } })));
  const bytes = Number(execSync(`du -sb ${root}`).toString().split('\t')[0]);
  const blocks = Number(execSync(`du -sk ${root}`).toString().split('\t')[0]) * 1024;
  fs.rmSync(root, { recursive: true, force: true });
  console.log(JSON.stringify({ entries: N, apparentBytesPerEntry: Math.round(bytes / N), diskBytesPerEntry: Math.round(blocks / N), per1MGB: +(blocks / N * 1e6 / 1e9).toFixed(2) }));
})();
