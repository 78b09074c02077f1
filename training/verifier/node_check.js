// Load models/verifier as the gateway runs it (dist/cache/embedding/onnxSession.js: the model's
// tokenizer, its int8 graph on ONNX Runtime) and print one JSON line per pair: the logit and sigmoid(logit).
//   MODELS=<dir containing verifier/> PAIRS=<jsonl of {"a","b"}> \
//   node training/verifier/node_check.js     (run from a checkout with node_modules, after npm run build)
const fs = require('fs');
const path = require('path');

(async () => {
  const { loadOnnxModel } = require(path.resolve(process.cwd(), 'dist/cache/embedding/onnxSession'));
  const model = await loadOnnxModel(process.env.MODELS, 'verifier', 1);
  const pairs = fs.readFileSync(process.env.PAIRS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const { a, b } of pairs) {
    const { feeds } = model.encode(a, b); // input_ids, attention_mask, token_type_ids
    const logits = (await model.session.run(feeds))[model.session.outputNames[0]]; // dims [1, 1]: p(duplicate) = sigmoid
    const z = logits.data[0];
    console.log(JSON.stringify({ a, b, inputs: Object.keys(feeds), dims: logits.dims, logit: z, p: 1 / (1 + Math.exp(-z)) }));
  }
})().catch((e) => { console.error(e); process.exit(1); });
