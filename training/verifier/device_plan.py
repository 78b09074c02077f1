"""Carry the GPU run's inputs to the device machine and its model back, within
the device tool's limits: what travels per call (working tree + carried paths)
<= 64 MiB, files back <= 16 MiB each and <= 8 files / 64 MiB per call, nothing
reachable from the device. Every piece and file is sha256-checked where it
lands. README.md, "GPU run (issue 21)", has the calls in order.

Here (before):  device_plan.py pack --base DIR --out .device/NAME [--call-mib N]
                device_plan.py commands --pack .device/NAME     (the run tool's calls)
On the device:  device_plan.py stash --call .device/NAME/cK      (each upload call)
                device_plan.py unpack --to DIR                   (last upload call)
                device_plan.py split --src DIR --out $OUT        (first return)
                device_plan.py give --call K --out $OUT          (later returns)
Here (after):   device_plan.py join --from DIR [DIR ...] --to DIR
"""
import argparse
import io
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import zlib

import numpy as np

from common import DATA, REPO, sha256_bytes, sha256_file

MiB = 1 << 20
TRAVEL_LIMIT = 64 * MiB
MARGIN = 2 * MiB  # for files the tree gains between pack and run (logs, a new note)
MANIFEST_ROOM = 64 * 1024  # each call folder holds manifest.json beside its piece
# Outside the repo, where a later call's tree sync cannot touch them; they last while the machine is held.
# DEVICE_TMP: the dry run's stand-in for the device's /tmp.
STAGE = pathlib.Path(os.environ.get("DEVICE_TMP", "/tmp")) / "verifier-stage"
BACK = pathlib.Path(os.environ.get("DEVICE_TMP", "/tmp")) / "verifier-back"
BASE_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]
WEIGHTS = "base/model.safetensors"
PACKED_WEIGHTS = WEIGHTS + ".bf16.shuf.z"


# --- the base's weights: bf16, byte planes split, zlib ---

def bf16_safetensors(path) -> bytes:
    """The base's float tensors rounded to bf16 (half the bytes; the GPU run
    trains in bf16 autocast from fp32 weights upcast from these)."""
    import torch
    from safetensors.torch import load_file, save

    sd = load_file(str(path))
    return save({k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in sd.items()},
                metadata={"format": "pt"})


def shuffle(raw: bytes) -> bytes:
    # High bytes of bf16 (sign, exponent) compress to ~41%, low bytes not at all;
    # apart, zlib gets ~0.70 of the size, against ~0.80 interleaved.
    a = np.frombuffer(raw + b"\0" * (len(raw) % 2), np.uint8)
    return zlib.compress(a.reshape(-1, 2).T.tobytes(), 6)


def unshuffle(data: bytes, n: int) -> bytes:
    a = np.frombuffer(zlib.decompress(data), np.uint8)
    return a.reshape(2, -1).T.tobytes()[:n]


# --- pack (here) ---

def travel_bytes(repo=REPO) -> int:
    """What a call sends besides carried paths: tracked and untracked-not-ignored files, and shared/."""
    out = subprocess.run(["git", "-C", str(repo), "ls-files", "-co", "--exclude-standard", "-z"],
                         check=True, capture_output=True).stdout
    paths = [repo / p.decode() for p in out.split(b"\0") if p]
    paths += [p for p in (repo / "shared").rglob("*")] if (repo / "shared").is_dir() else []
    return sum(os.lstat(p).st_size for p in paths if os.path.lexists(p) and not p.is_dir())


def payload(base_dir: pathlib.Path, data: pathlib.Path):
    """(tar bytes, {path: sha256 of the file as it must come out})."""
    files = {f"base/{f}": (base_dir / f).read_bytes() for f in BASE_FILES}
    files["data/" + data.name] = data.read_bytes()
    weights = bf16_safetensors(base_dir / "model.safetensors")
    sums = {k: sha256_bytes(v) for k, v in files.items()}
    sums[WEIGHTS] = sha256_bytes(weights)
    files[PACKED_WEIGHTS] = shuffle(weights)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, blob in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue(), sums, len(weights)


def pack(args):
    out = pathlib.Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    budget = int(args.call_mib * MiB) if args.call_mib else TRAVEL_LIMIT - travel_bytes() - MARGIN
    blob, sums, n_weights = payload(pathlib.Path(args.base), pathlib.Path(args.data))
    manifest = {"payload_sha256": sha256_bytes(blob), "payload_bytes": len(blob), "files": sums,
                "weights_bytes": n_weights, "call_budget_bytes": budget, "pieces": []}
    size = budget - MANIFEST_ROOM
    pieces = [blob[i:i + size] for i in range(0, len(blob), size)]
    for k, piece in enumerate(pieces, 1):
        manifest["pieces"].append({"name": f"piece-{k:03d}", "bytes": len(piece), "sha256": sha256_bytes(piece)})
    for k, piece in enumerate(pieces, 1):
        call = out / f"c{k}"
        call.mkdir(parents=True)
        (call / f"piece-{k:03d}").write_bytes(piece)
        (call / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(blob) / MiB:.1f} MiB payload in {len(pieces)} calls of <= {budget / MiB:.1f} MiB -> {out}")


# --- device side ---

def stash(args):
    """Upload call: copy this call's piece out of the repo, where it stays while the machine is held."""
    STAGE.mkdir(parents=True, exist_ok=True)
    for f in pathlib.Path(args.call).iterdir():
        shutil.copyfile(f, STAGE / f.name)
    print("stage:", sorted(p.name for p in STAGE.iterdir()))


def check_pieces(manifest, dirs):
    """The pieces named in the manifest, from any of dirs, each sha256-checked, joined."""
    blob = bytearray()
    for p in manifest["pieces"]:
        found = [d / p["name"] for d in dirs if (d / p["name"]).exists()]
        path = next((f for f in found if sha256_file(f) == p["sha256"]), None)
        if path is None:  # absent, or only another pack's piece of that name
            raise SystemExit(f"{p['name']}: no file with the manifest's sha256 in {[str(f) for f in found] or 'any folder'}")
        blob += path.read_bytes()
    if sha256_bytes(bytes(blob)) != manifest["payload_sha256"]:
        raise SystemExit("joined payload: sha256 differs from the manifest")
    return bytes(blob)


def unpack(args):
    dirs = [STAGE] + [pathlib.Path(d) for d in args.also]
    manifest = json.loads(next(d / "manifest.json" for d in dirs if (d / "manifest.json").exists()).read_text())
    blob = check_pieces(manifest, dirs)
    to = pathlib.Path(args.to)
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(to, filter="data")
    packed = to / PACKED_WEIGHTS
    (to / WEIGHTS).write_bytes(unshuffle(packed.read_bytes(), manifest["weights_bytes"]))
    packed.unlink()
    for name, sha in manifest["files"].items():
        if sha256_file(to / name) != sha:
            raise SystemExit(f"{to / name}: sha256 differs from the manifest")
    print(f"unpacked and checked {len(manifest['files'])} files -> {to}")


def split(args):
    """First return call: tar --src, cut it in <= 16 MiB pieces, put the first
    --per-call of them and the manifest under $OUT, keep the rest in BACK."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(args.src, arcname=".")
    blob = buf.getvalue()
    size = int(args.piece_mib * MiB)
    pieces = [blob[i:i + size] for i in range(0, len(blob), size)]
    manifest = {"payload_sha256": sha256_bytes(blob), "payload_bytes": len(blob), "per_call": args.per_call,
                "pieces": [{"name": f"back-{k:03d}", "bytes": len(p), "sha256": sha256_bytes(p)}
                           for k, p in enumerate(pieces, 1)]}
    shutil.rmtree(BACK, ignore_errors=True)
    BACK.mkdir(parents=True)
    for p, data in zip(manifest["pieces"], pieces):
        (BACK / p["name"]).write_bytes(data)
    (BACK / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    calls = -(-len(pieces) // args.per_call)
    print(f"{len(blob) / MiB:.1f} MiB in {len(pieces)} pieces: {calls} return call(s)")
    give(argparse.Namespace(call=1, out=args.out))


def give(args):
    manifest = json.loads((BACK / "manifest.json").read_text())
    k, n = args.call, manifest["per_call"]
    out = pathlib.Path(args.out)
    shutil.copyfile(BACK / "manifest.json", out / "manifest.json")
    for p in manifest["pieces"][(k - 1) * n:k * n]:
        shutil.copyfile(BACK / p["name"], out / p["name"])
        print("out:", p["name"], p["bytes"])


def commands(args):
    """The run tool's calls, in order: (carry, timeout_s, command). The machine
    goes back 30 s after a call ends, so each call follows the last at once."""
    pack = pathlib.Path(args.pack)
    calls = sorted(pack.glob("c*"), key=lambda c: int(c.name[1:]))
    plan = pathlib.Path(__file__).resolve().relative_to(REPO)
    py = f"python3 {plan}"
    env = ("nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; "
           "python3 -c 'import torch, transformers, onnx, onnxruntime as o; "
           "print(torch.__version__, torch.cuda.is_available(), transformers.__version__, onnx.__version__, o.__version__)'; ")
    rows = []
    for k, c in enumerate(calls, 1):
        cmd = f"{py} stash --call {c.relative_to(REPO) if c.is_absolute() else c}"
        if k == 1:
            cmd = env + cmd
        if k == len(calls):
            cmd += f" && set -o pipefail && bash {plan.parent}/device_run.sh train 2>&1 | tee $OUT/log.txt"
        rows.append(([str(c)], 600 if k == len(calls) else 180 if k == 1 else 90, cmd))
    for k in range(2, args.returns + 1):
        cmd = f"{py} give --call {k} --out $OUT"
        if k == 2:
            cmd += f" && set -o pipefail && bash {plan.parent}/device_run.sh evaluate 2>&1 | tee $OUT/log-eval.txt"
        rows.append(([], 600 if k == 2 else 60, cmd))
    for carry, timeout, cmd in rows:
        assert len(cmd) <= 2000, cmd
        print(json.dumps({"carry": carry, "timeout_s": timeout, "command": cmd}))


# --- here, after ---

def join(args):
    dirs = [pathlib.Path(d) for d in args.sources]
    manifest = json.loads(next(d / "manifest.json" for d in dirs if (d / "manifest.json").exists()).read_text())
    blob = check_pieces(manifest, dirs)
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(args.to, filter="data")
    print(f"joined {len(manifest['pieces'])} pieces, sha256 {manifest['payload_sha256'][:16]}... ok -> {args.to}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--base", required=True, help="a base folder (base.py)")
    p.add_argument("--data", default=str(DATA))
    p.add_argument("--out", required=True, help="an ignored folder, e.g. .device/mpnet-base")
    p.add_argument("--call-mib", type=float, default=0, help="bytes per call (0 = 64 MiB less what the tree sends)")
    p = sub.add_parser("commands")
    p.add_argument("--pack", required=True)
    p.add_argument("--returns", type=int, default=2, help="return calls (the split step prints how many)")
    p = sub.add_parser("stash")
    p.add_argument("--call", required=True)
    p = sub.add_parser("unpack")
    p.add_argument("--to", required=True)
    p.add_argument("--also", nargs="*", default=[], help="more folders that may hold pieces")
    p = sub.add_parser("split")
    p.add_argument("--src", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--piece-mib", type=float, default=14)
    p.add_argument("--per-call", type=int, default=4, help="pieces per return call (8 files, 64 MiB at most)")
    p = sub.add_parser("give")
    p.add_argument("--call", type=int, required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("join")
    p.add_argument("--from", dest="sources", nargs="+", required=True)
    p.add_argument("--to", required=True)
    args = ap.parse_args()
    {"pack": pack, "commands": commands, "stash": stash, "unpack": unpack, "split": split, "give": give, "join": join}[args.cmd](args)


if __name__ == "__main__":
    main()
