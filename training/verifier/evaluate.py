"""Evaluate the exported verifier (int8 ONNX, as shipped) on the tune and
eval slices of qqp-dev and on test/data/adversarial.jsonl; pick the
operating point on the tune slice; check torch/ONNX agreement; time it.

  python training/verifier/evaluate.py [--model models/verifier] [--run .reflex/verifier-run]

Rule for the operating point (on the TUNE slice only): the smallest threshold
t on the grid 0.01, 0.02, ..., 0.99 such that tune precision >= 0.96 at t
and at every grid threshold above t (where anything is accepted).
Writes training/verifier/results/{metrics.json,REPORT.md,eval_false_positives.jsonl,scores.json}.
"""
import argparse
import json
import pathlib
import random
import statistics
import time

import numpy as np
import onnxruntime as ort
from transformers import AutoTokenizer

from common import (ADVERSARIAL, DATA, REPO, SPLITS, TARGET_PRECISION, auc, choose, load_jsonl,
                    prf, sha256_file, sigmoid)

SHOW = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99]
QUESTION_KINDS = {"antonym", "entity", "language", "negation", "number", "code_identifier", "direction"}
CONTEXT_KINDS = {"system_prompt", "earlier_turn"}


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def encode(tok, a, b, max_length):
    return tok(a, b, truncation="longest_first", max_length=max_length)


def score(sess, tok, pairs, max_length, batch=64):
    """Logits for (a, b) pairs; batches of similar length, padded."""
    enc = encode(tok, [p[0] for p in pairs], [p[1] for p in pairs], max_length)
    order = sorted(range(len(pairs)), key=lambda i: len(enc["input_ids"][i]))
    out = np.zeros(len(pairs), dtype=np.float64)
    names = [i.name for i in sess.get_inputs()]  # MPNet graphs take no token_type_ids
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        width = max(len(enc["input_ids"][i]) for i in idx)
        feed = {k: np.full((len(idx), width), tok.pad_token_id if k == "input_ids" else 0, dtype=np.int64)
                for k in names}
        for r, i in enumerate(idx):
            n = len(enc["input_ids"][i])
            for k in feed:
                feed[k][r, :n] = enc[k][i]
        out[idx] = sess.run(["logits"], feed)[0][:, 0]
    return out


def torch_scores(final, tok, sl, args, batch=256):
    """fp32 logits of the torch model for every slice (length-sorted batches)."""
    import torch
    from transformers import AutoModelForSequenceClassification
    torch.set_num_threads(args.threads)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForSequenceClassification.from_pretrained(final, dtype=torch.float32).to(dev).eval()
    out = {}
    for s, v in sl.items():
        order = sorted(range(len(v)), key=lambda i: len(v[i]["a"]) + len(v[i]["b"]))
        z = np.zeros(len(v))
        with torch.no_grad():
            for k in range(0, len(order), batch):
                ii = order[k:k + batch]
                enc = tok([v[i]["a"] for i in ii], [v[i]["b"] for i in ii], truncation="longest_first",
                          max_length=args.max_length, padding=True, return_tensors="pt").to(dev)
                z[ii] = model(**enc).logits[:, 0].float().cpu().numpy()
        out[s] = z
    return out


def table(rows):
    lines = ["| threshold | precision | recall | F1 | TP | FP | FN | accepted |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['threshold']:.2f} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} "
                     f"| {r['tp']} | {r['fp']} | {r['fn']} | {r['accepted']} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(REPO / "models" / "verifier"))
    ap.add_argument("--run", default=str(REPO / ".reflex" / "verifier-run"))
    ap.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent / "results"))
    ap.add_argument("--data", default=str(DATA), help="the qqp-dev file (elsewhere than /work/shared on the GPU machine)")
    ap.add_argument("--max-length", type=int, default=512,
                    help="pair truncation; 512 = what transformers.js truncation:true gives")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--agree", type=int, default=500, help="pairs for the torch/ONNX agreement check")
    ap.add_argument("--latency", type=int, default=300, help="pairs for the batch-1 latency check")
    ap.add_argument("--no-fp32", action="store_true", help="score only the int8 model")
    ap.add_argument("--fp32-torch", action="store_true",
                    help="score fp32 with the torch model of --run (on CUDA where there is one) instead of "
                         "the fp32 ONNX graph: the same function, minutes less on a base-size model")
    ap.add_argument("--limit", type=int, default=0, help="smoke test: first N pairs of each slice only")
    ap.add_argument("--threshold", type=float, default=None, help="override the tune-chosen threshold")
    args = ap.parse_args()
    model_dir, run, out = pathlib.Path(args.model), pathlib.Path(args.run), pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    int8_path = model_dir / "onnx" / "model_quantized.onnx"
    fp32_path = run / "onnx" / "model.onnx"

    rows = load_jsonl(args.data)
    splits = json.loads(SPLITS.read_text())
    assert splits["data_sha256"] == sha256_file(args.data), "data file differs from the one the split was made on"
    adv = load_jsonl(ADVERSARIAL)
    tok = AutoTokenizer.from_pretrained(model_dir)
    if args.limit:
        splits = {**splits, "tune": splits["tune"][:args.limit], "eval": splits["eval"][:args.limit]}
        adv = adv[:args.limit]
    sl = {s: [rows[i] for i in splits[s]] for s in ("tune", "eval")}
    sl["adversarial"] = adv
    y = {s: np.array([r["label"] for r in v]) for s, v in sl.items()}

    t0 = time.time()
    logits = {}
    for name, path in (("int8", int8_path), ("fp32", fp32_path)):
        if not path.exists() or (name == "fp32" and (args.no_fp32 or args.fp32_torch)):
            continue
        sess = session(path, args.threads)
        logits[name] = {s: score(sess, tok, [(r["a"], r["b"]) for r in v], args.max_length)
                        for s, v in sl.items()}
        print(f"scored {name} in {time.time() - t0:.0f} s", flush=True)
    if args.fp32_torch:
        logits["fp32"] = torch_scores(run / "final", tok, sl, args)
        print(f"scored fp32 (torch) in {time.time() - t0:.0f} s", flush=True)
    prob = {m: {s: sigmoid(z) for s, z in d.items()} for m, d in logits.items()}
    p = prob["int8"]

    t = args.threshold if args.threshold is not None else choose(p["tune"], y["tune"])
    if t is None:
        raise SystemExit("no threshold reaches the target precision on tune")
    m = {"rule": f"smallest t on grid 0.01..0.99 with tune precision >= {TARGET_PRECISION} at t and at every grid t' > t",
         "threshold": t, "max_length": args.max_length,
         "onnx_int8_sha256": sha256_file(int8_path)}
    for s in ("tune", "eval"):
        m[s] = {"at_threshold": prf(p[s], y[s], t), "auc": auc(p[s], y[s]),
                "sweep": [prf(p[s], y[s], x) for x in SHOW]}
        if "fp32" in prob:
            m[s]["fp32_at_threshold"] = prf(prob["fp32"][s], y[s], t)
            m[s]["fp32_auc"] = auc(prob["fp32"][s], y[s])

    # adversarial
    pa = p["adversarial"]
    acc = pa >= t
    kinds = sorted({r["kind"] for r in adv})
    per_kind = {}
    for k in kinds:
        ii = [i for i, r in enumerate(adv) if r["kind"] == k]
        lab = adv[ii[0]]["label"]
        per_kind[k] = {"label": lab, "n": len(ii),
                       "correct": int(sum((acc[i] if lab == 1 else not acc[i]) for i in ii))}
    neg = [i for i, r in enumerate(adv) if r["label"] == 0]
    qneg = [i for i in neg if adv[i]["kind"] in QUESTION_KINDS]
    pos = [i for i, r in enumerate(adv) if r["label"] == 1]
    m["adversarial"] = {
        "negatives_rejected": int(sum(not acc[i] for i in neg)), "negatives": len(neg),
        "question_level_negatives_rejected": int(sum(not acc[i] for i in qneg)),
        "question_level_negatives": len(qneg),
        "positives_accepted": int(sum(acc[i] for i in pos)), "positives": len(pos),
        "per_kind": per_kind,
        "errors": [{"kind": adv[i]["kind"], "label": adv[i]["label"], "a": adv[i]["a"], "b": adv[i]["b"],
                    "p": round(float(pa[i]), 4)}
                   for i in range(len(adv)) if acc[i] != (adv[i]["label"] == 1)],
    }

    # eval false positives, for manual review
    ev_idx = splits["eval"]
    fps = [{"index": ev_idx[j], "p": round(float(p["eval"][j]), 4), "a": sl["eval"][j]["a"], "b": sl["eval"][j]["b"]}
           for j in np.argsort(-p["eval"]) if p["eval"][j] >= t and y["eval"][j] == 0]
    with open(out / "eval_false_positives.jsonl", "w") as f:
        for r in fps:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # torch vs int8 ONNX agreement on a seeded sample of eval pairs
    if args.agree and (run / "final").exists():
        import torch
        from transformers import AutoModelForSequenceClassification
        torch.set_num_threads(args.threads)
        model = AutoModelForSequenceClassification.from_pretrained(run / "final", dtype=torch.float32).eval()
        sample = random.Random(7).sample(range(len(sl["eval"])), min(args.agree, len(sl["eval"])))
        zt = []
        with torch.no_grad():
            for s in range(0, len(sample), 32):
                ii = sample[s:s + 32]
                enc = tok([sl["eval"][i]["a"] for i in ii], [sl["eval"][i]["b"] for i in ii],
                          truncation="longest_first", max_length=args.max_length, padding=True, return_tensors="pt")
                zt += model(**enc).logits[:, 0].tolist()
        zt = np.array(zt)
        zq = logits["int8"]["eval"][sample]
        m["agreement_torch_vs_int8"] = {
            "pairs": len(sample), "threshold": t,
            "same_decision": int(((sigmoid(zt) >= t) == (sigmoid(zq) >= t)).sum()),
            "same_decision_at_0.5": int(((zt >= 0) == (zq >= 0)).sum()),
            "max_abs_prob_diff": float(np.abs(sigmoid(zt) - sigmoid(zq)).max()),
            "mean_abs_logit_diff": float(np.abs(zt - zq).mean()),
        }
        if "fp32" in logits:
            zf = logits["fp32"]["eval"][sample]
            m["agreement_torch_vs_fp32_onnx_max_abs_logit_diff"] = float(np.abs(zt - zf).max())

    # latency: batch 1, one thread
    lat = {}
    sample = random.Random(11).sample(range(len(sl["eval"])), min(args.latency, len(sl["eval"])))
    for name, path in (("int8", int8_path), ("fp32", fp32_path)):
        if not path.exists() or (name == "fp32" and (args.no_fp32 or args.fp32_torch)):
            continue
        sess = session(path, 1)
        feeds = []
        ttok = []
        for i in sample:
            t1 = time.perf_counter()
            e = tok(sl["eval"][i]["a"], sl["eval"][i]["b"], truncation="longest_first",
                    max_length=args.max_length, return_tensors="np")
            ttok.append(time.perf_counter() - t1)
            feeds.append({i.name: e[i.name].astype(np.int64) for i in sess.get_inputs()})
        for f in feeds[:20]:
            sess.run(["logits"], f)
        ms = []
        for f in feeds:
            t1 = time.perf_counter()
            sess.run(["logits"], f)
            ms.append((time.perf_counter() - t1) * 1000)
        ms.sort()
        lat[name] = {"pairs": len(ms), "median_ms": statistics.median(ms), "mean_ms": statistics.mean(ms),
                     "p95_ms": ms[int(0.95 * len(ms)) - 1], "max_ms": ms[-1],
                     "tokenize_median_ms": statistics.median(ttok) * 1000,
                     "mean_tokens": float(np.mean([f["input_ids"].shape[1] for f in feeds]))}
    m["latency_batch1_1thread"] = lat

    (out / "metrics.json").write_text(json.dumps(m, indent=1) + "\n")
    (out / "scores.json").write_text(json.dumps({
        "note": "int8 ONNX probabilities (sigmoid of the logit), in splits.json order; adversarial in file order",
        "max_length": args.max_length,
        **{s: [round(float(x), 4) for x in p[s]] for s in ("tune", "eval", "adversarial")}}) + "\n")

    a = m["adversarial"]
    rep = [f"# Verifier evaluation (int8 ONNX, max_length {args.max_length})", "",
           f"Operating point: **t = {t}** ({m['rule']}).", ""]
    for s in ("tune", "eval"):
        r = m[s]["at_threshold"]
        rep += [f"## {s} slice: {r['n']} pairs, {r['positives']} positives; AUC {m[s]['auc']:.4f}", "",
                f"At t = {t}: precision {r['precision']:.4f}, recall {r['recall']:.4f}, F1 {r['f1']:.4f} "
                f"(TP {r['tp']}, FP {r['fp']}, FN {r['fn']})."]
        if "fp32_at_threshold" in m[s]:
            f = m[s]["fp32_at_threshold"]
            rep += [f"fp32 {'torch' if args.fp32_torch else 'ONNX'} at the same t: precision {f['precision']:.4f}, recall {f['recall']:.4f}; "
                    f"AUC {m[s]['fp32_auc']:.4f}."]
        rep += ["", table(m[s]["sweep"]), ""]
    rep += ["## adversarial set", "",
            f"At t = {t}: negatives rejected {a['negatives_rejected']}/{a['negatives']} "
            f"({a['negatives_rejected'] / a['negatives']:.3f}); question-level negatives "
            f"({', '.join(sorted(QUESTION_KINDS))}) rejected {a['question_level_negatives_rejected']}/"
            f"{a['question_level_negatives']}; positives accepted {a['positives_accepted']}/{a['positives']}.", "",
            "| kind | label | correct / n |", "|---|---:|---:|"]
    for k, v in per_kind.items():
        rep.append(f"| {k}{' (context, not visible to a question-pair model)' if k in CONTEXT_KINDS else ''} "
                   f"| {v['label']} | {v['correct']}/{v['n']} |")
    rep += ["", "Errors:", ""]
    rep += [f"- [{e['kind']}, label {e['label']}, p={e['p']}] {e['a']!r} / {e['b']!r}" for e in a["errors"]]
    if "agreement_torch_vs_int8" in m:
        g = m["agreement_torch_vs_int8"]
        rep += ["", "## torch fp32 vs int8 ONNX", "",
                f"{g['same_decision']}/{g['pairs']} same decision at t = {t}; {g['same_decision_at_0.5']}/{g['pairs']} at 0.5; "
                f"max |Δp| {g['max_abs_prob_diff']:.4f}; mean |Δlogit| {g['mean_abs_logit_diff']:.4f}. "
                f"torch vs fp32 ONNX max |Δlogit| {m.get('agreement_torch_vs_fp32_onnx_max_abs_logit_diff', float('nan')):.2e}."]
    rep += ["", "## latency (onnxruntime, batch 1, 1 thread)", ""]
    for name, v in lat.items():
        rep.append(f"- {name}: median {v['median_ms']:.2f} ms, mean {v['mean_ms']:.2f} ms, p95 {v['p95_ms']:.2f} ms "
                   f"over {v['pairs']} eval pairs (mean {v['mean_tokens']:.1f} tokens); tokenizing {v['tokenize_median_ms']:.2f} ms")
    (out / "REPORT.md").write_text("\n".join(rep) + "\n")
    print("\n".join(rep))


if __name__ == "__main__":
    main()
