"""Write splits.json: the question-disjoint tune/eval slices of qqp-dev.

  python training/verifier/split.py

Indices are 0-based line numbers in /work/shared/data/qqp-dev.jsonl.gz.
Train = every index not in tune or eval."""
import json

from common import (DATA, EVAL_FRACTION, SPLIT_SEED, SPLITS, TUNE_FRACTION,
                    assign_slices, load_jsonl, normalize, sha256_file)


def main():
    rows = load_jsonl(DATA)
    slices = assign_slices(rows)
    idx = {s: [i for i, x in enumerate(slices) if x == s] for s in ("train", "tune", "eval")}
    qs = {s: {normalize(rows[i][k]) for i in idx[s] for k in ("a", "b")} for s in idx}
    assert not (qs["train"] & qs["eval"]) and not (qs["train"] & qs["tune"]) and not (qs["tune"] & qs["eval"])
    sizes = {s: {"pairs": len(v), "positives": sum(rows[i]["label"] for i in v),
                 "questions": len(qs[s])} for s, v in idx.items()}
    doc = {
        "data": str(DATA),
        "data_sha256": sha256_file(DATA),
        "rule": ("normalize(q) = lower-case, whitespace runs folded to one space, strip; "
                 "connected components of normalized questions over all pairs (union-find); "
                 "component key = smallest normalized question; "
                 "u = first 8 bytes of sha256(seed + '\\n' + key) as big-endian int / 2**64; "
                 f"u < {EVAL_FRACTION} -> eval, u < {EVAL_FRACTION + TUNE_FRACTION} -> tune, else train"),
        "seed": SPLIT_SEED,
        "index_base": "0-based line number in the data file",
        "sizes": sizes,
        "tune": idx["tune"],
        "eval": idx["eval"],
    }
    SPLITS.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(json.dumps(sizes, indent=1))


if __name__ == "__main__":
    main()
