"""Shared helpers for the duplicate-question verifier: data loading, the
question-disjoint split, and the tokenizer-side pair formatting."""
import gzip
import hashlib
import json
import pathlib
import re

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path("/work/shared/data/qqp-dev.jsonl.gz")
ADVERSARIAL = REPO / "test" / "data" / "adversarial.jsonl"
SPLITS = pathlib.Path(__file__).resolve().parent / "splits.json"

SPLIT_SEED = "reflex-verifier-split-v1"
# Fraction of connected components (by hash bucket) in each slice.
TUNE_FRACTION = 0.10
EVAL_FRACTION = 0.10


def normalize(q: str) -> str:
    """Lower-case, fold runs of whitespace to one space, strip."""
    return re.sub(r"\s+", " ", q.lower()).strip()


def load_jsonl(path):
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def component_keys(rows):
    """Union-find over normalized questions: two questions are connected when
    they appear in the same pair. Returns, for every row, the key of its
    component (the lexicographically smallest normalized question in it)."""
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:
        a, b = find(normalize(r["a"])), find(normalize(r["b"]))
        if a != b:
            # keep the smaller string as root so the key is order-independent
            if a < b:
                parent[b] = a
            else:
                parent[a] = b
    return [find(normalize(r["a"])) for r in rows]


def bucket(key: str, seed: str = SPLIT_SEED) -> float:
    """Deterministic number in [0, 1) for a component key."""
    digest = hashlib.sha256(f"{seed}\n{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def assign_slices(rows, seed: str = SPLIT_SEED):
    """Return a list with 'train' / 'tune' / 'eval' for each row.

    Rule: connected components of normalized questions are hashed with the
    seed; bucket < EVAL_FRACTION -> eval, < EVAL+TUNE -> tune, else train.
    Since whole components go to one slice, no normalized question of the
    tune or eval slice appears in any training pair (either side)."""
    out = []
    for key in component_keys(rows):
        u = bucket(key, seed)
        if u < EVAL_FRACTION:
            out.append("eval")
        elif u < EVAL_FRACTION + TUNE_FRACTION:
            out.append("tune")
        else:
            out.append("train")
    return out


def load_split_rows(data=DATA, splits_path=SPLITS):
    """Rows of the data file and splits.json, checked to belong together.
    Train = every line in neither tune nor eval (split.py wrote splits.json
    with assign_slices, so this is the same set in the same order)."""
    rows = load_jsonl(data)
    splits = json.loads(pathlib.Path(splits_path).read_text())
    if splits["data_sha256"] != sha256_file(data):
        raise SystemExit(f"{data}: not the file splits.json was made on")
    held = set(splits["tune"]) | set(splits["eval"])
    splits["train"] = [i for i in range(len(rows)) if i not in held]
    return rows, splits


# --- metrics shared by evaluate.py (int8 ONNX) and train.py (torch, tune slice) ---

TARGET_PRECISION = 0.96
GRID = [round(x / 100, 2) for x in range(1, 100)]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def prf(p, y, t):
    pred = p >= t
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if tp else 0.0
    return {"threshold": t, "precision": prec, "recall": rec, "f1": f1,
            "tp": tp, "fp": fp, "fn": fn, "accepted": tp + fp, "n": len(y), "positives": int(y.sum())}


def auc(p, y):
    ranks = np.empty(len(p))
    ranks[np.argsort(p, kind="mergesort")] = np.arange(1, len(p) + 1)
    npos = y.sum()
    return float((ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(y) - npos)))


def choose(p, y, target=TARGET_PRECISION):
    """Smallest grid threshold with precision >= target there and at every grid threshold above it."""
    ok = [t for t in GRID if (p >= t).any()]
    chosen = None
    for t in reversed(ok):
        if not prf(p, y, t)["precision"] >= target:
            break
        chosen = t
    return chosen


def best_precision_at_recall(p, y, min_recall=0.5):
    """The issue's yardstick: the best precision over grid thresholds whose recall >= min_recall."""
    ok = [prf(p, y, t) for t in GRID]
    ok = [r for r in ok if r["recall"] >= min_recall and r["tp"]]
    return max(ok, key=lambda r: r["precision"]) if ok else None
