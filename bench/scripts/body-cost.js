// CPU to accept or refuse the costliest request bodies within the 4 MiB limit (BENCHMARKS.md, "Request bodies"),
// after `npm run build`:   node bench/scripts/body-cost.js
// Calls the gateway's own parseJsonText (the pre-parse scan, then the parse) five times per body, timing
// process.cpuUsage around each call.
const path = require('node:path');
const DIST = path.resolve(__dirname, '..', '..', 'dist');
require(`${DIST}-bench/bench/scriptArgs.js`).scriptArgs(process.argv.slice(2), {
  summary: 'CPU to accept or refuse the costliest request bodies within the 4 MiB limit (the pre-parse scan, then the parse), five runs each.',
  options: {},
});
const { parseJsonText, JSON_LIMITS, EMBEDDINGS_JSON_LIMITS } = require(`${DIST}/api/middleware/body.js`);

const LIMIT = 4 * 1024 * 1024;
const cases = [
  ['refused: one object of 400,000 keys', JSON_LIMITS, '{' + Array.from({ length: 400_000 }, (_, i) => `"${i.toString(36)}":1`).join(',') + '}'],
  ['refused: 2 M numbers', JSON_LIMITS, '[' + '1,'.repeat((LIMIT - 2) / 2 - 1) + '1]'],
  ['chat: 100,001 numbers of 12 digits', JSON_LIMITS, '[' + Array(100_001).fill('123456789012').join(',') + ']'],
  ['chat: 100,001 distinct strings of ~40 chars', JSON_LIMITS, '[' + Array.from({ length: 100_001 }, (_, i) => `"s${i}-${'x'.repeat(32)}"`).join(',') + ']'],
  ['chat: one object, 20,000 keys, 200-byte values', JSON_LIMITS, '{' + Array.from({ length: 20_000 }, (_, i) => `"key${i}":"${'v'.repeat(196)}"`).join(',') + '}'],
  ['chat: one 4 MB string', JSON_LIMITS, '{"a":"' + 'x'.repeat(LIMIT - 10) + '"}'],
  ['embeddings: 300,001 numbers of 12 digits', EMBEDDINGS_JSON_LIMITS, '[' + Array(300_001).fill('123456789012').join(',') + ']'],
  ['embeddings: 300,001 token ids (6 digits)', EMBEDDINGS_JSON_LIMITS, '[' + Array(300_001).fill('123456').join(',') + ']'],
];
for (const [name, limits, body] of cases) {
  const runs = [];
  let verdict = 'accepted';
  for (let r = 0; r < 5; r++) {
    const t = process.cpuUsage();
    try {
      parseJsonText(body, limits);
    } catch (e) {
      verdict = e.code ?? e.message;
    }
    const u = process.cpuUsage(t);
    runs.push(((u.user + u.system) / 1000).toFixed(1));
  }
  console.log(`${name} (${(body.length / 1048576).toFixed(2)} MB${body.length > LIMIT ? ', OVER THE LIMIT' : ''}): ${verdict}, ${runs.join(' / ')} ms CPU`);
}
