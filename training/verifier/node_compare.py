"""Compare transformers.js (node) and Python onnxruntime on the same pairs.

  python training/verifier/node_compare.py --node-cwd /path/to/checkout/with/node_modules [--n 40] [--model DIR/verifier] [--out FILE]

Takes the first n/2 adversarial pairs and n/2 eval-slice pairs; writes
results/node_check.jsonl and prints the largest logit difference."""
import argparse
import json
import pathlib
import subprocess
import tempfile

import numpy as np
from transformers import AutoTokenizer

from common import ADVERSARIAL, DATA, REPO, SPLITS, load_jsonl
from evaluate import score, session

HERE = pathlib.Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-cwd", default=str(REPO))
    ap.add_argument("--model", default=str(REPO / "models" / "verifier"))
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--out", default=str(HERE / "results" / "node_check.jsonl"))
    args = ap.parse_args()
    model_dir = pathlib.Path(args.model)
    rows = load_jsonl(DATA)
    ev = json.loads(SPLITS.read_text())["eval"]
    pairs = [{"a": r["a"], "b": r["b"]} for r in load_jsonl(ADVERSARIAL)[: args.n // 2]]
    pairs += [{"a": rows[i]["a"], "b": rows[i]["b"]} for i in ev[: args.n - len(pairs)]]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("".join(json.dumps(p) + "\n" for p in pairs))
    res = subprocess.run(["node", str(HERE / "node_check.js")], cwd=args.node_cwd, check=True,
                         capture_output=True, text=True,
                         env={"MODELS": str(model_dir.parent), "PAIRS": f.name, "PATH": "/usr/bin:/usr/local/bin:/bin"})
    js = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
    tok = AutoTokenizer.from_pretrained(model_dir)
    py = score(session(model_dir / "onnx" / "model_quantized.onnx", 2), tok,
               [(p["a"], p["b"]) for p in pairs], 512, batch=1)
    diff = np.abs(np.array([j["logit"] for j in js]) - py)
    out = pathlib.Path(args.out)
    out.parent.mkdir(exist_ok=True)
    with open(out, "w") as f:
        for j, z in zip(js, py):
            f.write(json.dumps({**j, "python_logit": float(z)}, ensure_ascii=False) + "\n")
    print(f"{len(js)} pairs; node dims {js[0]['dims']}, inputs {js[0]['inputs']}; "
          f"max |logit_node - logit_python| = {diff.max():.2e}")
    for j, z in list(zip(js, py))[:6]:
        print(f"  node {j['logit']:+.5f}  python {z:+.5f}  p {j['p']:.4f}  {j['a']!r} / {j['b']!r}")


if __name__ == "__main__":
    main()
