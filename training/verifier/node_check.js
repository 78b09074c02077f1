// Load models/verifier with transformers.js (the gateway's runtime) and print
// one JSON line per pair: the logit and sigmoid(logit).
//   MODELS=<dir containing verifier/> PAIRS=<jsonl of {"a","b"}> \
//   node training/verifier/node_check.js     (run from a checkout with node_modules)
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

(async () => {
  const entry = require.resolve('@xenova/transformers', { paths: [process.cwd(), __dirname] });
  const { env, AutoTokenizer, AutoModelForSequenceClassification } = await import(pathToFileURL(entry).href);
  env.localModelPath = process.env.MODELS;
  env.allowRemoteModels = false;
  const tokenizer = await AutoTokenizer.from_pretrained('verifier');
  const model = await AutoModelForSequenceClassification.from_pretrained('verifier', { quantized: true });
  const pairs = fs.readFileSync(process.env.PAIRS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const { a, b } of pairs) {
    const inputs = tokenizer(a, { text_pair: b, truncation: true }); // input_ids, attention_mask, token_type_ids
    const { logits } = await model(inputs); // dims [1, 1]: one logit, p(duplicate) = sigmoid
    const z = logits.data[0];
    console.log(JSON.stringify({ a, b, inputs: Object.keys(inputs), dims: logits.dims, logit: z, p: 1 / (1 + Math.exp(-z)) }));
  }
})().catch((e) => { console.error(e); process.exit(1); });
