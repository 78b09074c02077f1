"""Shared helpers for the duplicate-question verifier: data loading, the
question-disjoint split, and the tokenizer-side pair formatting."""
import gzip
import hashlib
import json
import pathlib
import re

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
